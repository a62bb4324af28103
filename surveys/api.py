"""REST API v1: surveys (managers write, members read; results per survey) and survey
responses (integrations push answers collected by another tool; members read)."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api import AccountReferenceField, ContactReferenceField
from accounts.models import Segment
from surveys import selectors, services
from surveys.models import (
    COMMENT_MAX_LENGTH,
    DELAY_DAYS_RANGE,
    PERIOD_DAYS_RANGE,
    ResponseSource,
    Survey,
    SurveyKind,
    SurveyResponse,
)
from surveys.scoring import CATEGORIES, score_category
from tenancy.api import TenantViewSet
from tenancy.api_fields import reference_field
from tenancy.api_filters import BoundedIsoDateTimeField, BoundedIsoDateTimeFilter
from tenancy.idempotency import IdempotentCreateMixin
from tenancy.ids import MAX_ID
from tenancy.models import ApiKey, Role


class SurveySerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(
        choices=SurveyKind.choices,
        help_text="nps (0–10), csat (1–5) or ces (1–7, 7 = very easy). Fixed once answered.",
    )
    # Declared with their ranges: the model's PositiveSmallIntegerField would document the
    # database's integer range, which differs between PostgreSQL and SQLite.
    delay_days = serializers.IntegerField(
        min_value=DELAY_DAYS_RANGE[0],
        max_value=DELAY_DAYS_RANGE[1],
        required=False,
        help_text="Days after go-live (after_go_live); default 30.",
    )
    period_days = serializers.IntegerField(
        min_value=PERIOD_DAYS_RANGE[0],
        max_value=PERIOD_DAYS_RANGE[1],
        required=False,
        help_text="Days between two invitations to a contact (periodic); default 180.",
    )

    class Meta:
        model = Survey
        fields = [
            "id",
            "name",
            "kind",
            "question_en",
            "question_pt_br",
            "active",
            "auto_trigger",
            "delay_days",
            "period_days",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs: ClassVar[dict] = {
            "auto_trigger": {
                "help_text": '"" (manual only), "after_go_live" (delay_days after the '
                'account\'s go-live) or "periodic" (every period_days). One active survey per '
                "kind of automatic sending."
            },
        }


SurveyReferenceField = reference_field(Survey, "survey", nullable=False)


class StrictIntegerField(serializers.IntegerField):
    """An integer given as a JSON number (no strings, booleans or fractions)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class BoundedDateTimeField(serializers.DateTimeField):
    """The filters' bounds for a date-time in a body: a real offset, years 1900-9999."""

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                BoundedIsoDateTimeField().clean(value)
            except DjangoValidationError:
                self.fail("invalid", format="ISO 8601 with an offset")
        return super().to_internal_value(value)


class SurveyResponseSerializer(serializers.ModelSerializer):
    survey = SurveyReferenceField(help_text="The survey's id.")
    account = AccountReferenceField(help_text="The account's id, or its external_id as a string.")
    contact = ContactReferenceField(
        required=False, allow_null=True, help_text="A contact of that account, by id."
    )
    score = StrictIntegerField(
        help_text="NPS 0–10, CSAT 1–5, CES 1–7 (by the survey's kind; else `invalid_score`).",
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=COMMENT_MAX_LENGTH, trim_whitespace=True
    )
    answered_at = BoundedDateTimeField(
        required=False, help_text="ISO 8601 with an offset. Default: now."
    )
    kind = serializers.ChoiceField(choices=SurveyKind.choices, read_only=True)
    category = serializers.SerializerMethodField()
    source = serializers.ChoiceField(choices=ResponseSource.choices, read_only=True)

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "survey",
            "account",
            "contact",
            "kind",
            "score",
            "category",
            "comment",
            "answered_at",
            "updated_at",
            "source",
        ]
        read_only_fields = ["updated_at"]

    @extend_schema_field(serializers.ChoiceField(choices=CATEGORIES))
    def get_category(self, response: SurveyResponse) -> str:
        return score_category(response.kind, response.score)


class SurveyResponseFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(
        field_name="account_id", min_value=1, max_value=MAX_ID, label="Account id"
    )
    survey = django_filters.NumberFilter(
        field_name="survey_id", min_value=1, max_value=MAX_ID, label="Survey id"
    )
    kind = django_filters.ChoiceFilter(choices=SurveyKind.choices)
    category = django_filters.ChoiceFilter(
        choices=[(name, name) for name in CATEGORIES],
        method="filter_category",
        label="promoter | passive | detractor (by each response's kind)",
    )
    since = BoundedIsoDateTimeFilter(field_name="answered_at", lookup_expr="gte")
    until = BoundedIsoDateTimeFilter(field_name="answered_at", lookup_expr="lt")

    class Meta:
        model = SurveyResponse
        fields: ClassVar[list[str]] = []

    def filter_category(self, queryset, name, value):
        kind = self.form.cleaned_data.get("kind") or ""
        return selectors._filter(queryset, selectors.ResponseFilters(kind=kind, category=value))


class CategoryCountsSerializer(serializers.Serializer):
    promoter = serializers.IntegerField()
    passive = serializers.IntegerField()
    detractor = serializers.IntegerField()


class ScoreCountSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    count = serializers.IntegerField()


class SurveyResultsSerializer(serializers.Serializer):
    survey = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SurveyKind.choices)
    score = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        allow_null=True,
        coerce_to_string=False,
        help_text="NPS: % promoters − % detractors (integer); CSAT: % of answers 4–5 (one "
        "decimal); CES: mean score (two decimals). Null without answers.",
    )
    responses = serializers.IntegerField(help_text="Answers in the period.")
    counts = CategoryCountsSerializer()
    scores = ScoreCountSerializer(many=True)
    since = serializers.DateTimeField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)


class ResultsQuerySerializer(serializers.Serializer):
    since = serializers.CharField(required=False)
    until = serializers.CharField(required=False)
    segment = serializers.ChoiceField(choices=Segment.choices, required=False)

    def validate_since(self, value):
        return BoundedIsoDateTimeField().clean(value)

    def validate_until(self, value):
        return BoundedIsoDateTimeField().clean(value)

    def validate(self, attrs):
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since >= until:
            raise serializers.ValidationError({"until": "Must be after since."}, code="invalid")
        return attrs


class SurveyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    IdempotentCreateMixin,
    mixins.CreateModelMixin,
    TenantViewSet,
):
    """NPS/CSAT/CES surveys. Members read; managers create and edit (no delete: deactivate)."""

    serializer_class = SurveySerializer
    queryset = Survey.objects.none()
    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "head", "options"]
    action_roles: ClassVar[dict[str, str]] = {
        "list": Role.VIEWER,
        "retrieve": Role.VIEWER,
        "results": Role.VIEWER,
        "create": Role.MANAGER,
        "update": Role.MANAGER,
        "partial_update": Role.MANAGER,
    }

    def base_queryset(self):
        return Survey.objects.all()

    def perform_create(self, serializer):
        serializer.instance = services.survey_create(
            organization=self.organization, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.survey_update(
            organization=self.organization,
            survey=serializer.instance,
            actor=self.actor,
            **serializer.validated_data,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Answered at or after."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Answered before."),
            OpenApiParameter("segment", OpenApiTypes.STR, enum=Segment.values),
        ],
        responses=SurveyResultsSerializer,
    )
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """The survey's score (NPS, CSAT or CES), answers and counts per category and per
        score over the answers in [since, until)."""
        survey = self.get_object()
        query = ResultsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since, until = query.validated_data.get("since"), query.validated_data.get("until")
        results = selectors.survey_results(
            organization=self.organization,
            survey=survey,
            since=since,
            until=until,
            segment=query.validated_data.get("segment", ""),
        )
        return Response(
            SurveyResultsSerializer(
                {
                    "survey": survey.id,
                    "kind": survey.kind,
                    "score": results.score,
                    "responses": results.total,
                    "counts": results.counts_by_category,
                    "scores": [{"score": s, "count": c} for s, c in results.scores],
                    "since": since,
                    "until": until,
                }
            ).data
        )


class SurveyResponseViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    TenantViewSet,
):
    """Survey answers. Integrations (write keys) push answers collected elsewhere; members
    read them. Filters: account, survey, kind, category, since, until."""

    serializer_class = SurveyResponseSerializer
    filterset_class = SurveyResponseFilter
    queryset = SurveyResponse.objects.none()
    action_roles: ClassVar[dict[str, str]] = {
        "list": Role.VIEWER,
        "retrieve": Role.VIEWER,
        "create": Role.CSM,
    }

    def base_queryset(self):
        return SurveyResponse.objects.all()

    def perform_create(self, serializer):
        data = serializer.validated_data
        auth = self.request.auth
        # A service refusal (ValidationError with codes) becomes the JSON 400 in api_errors.
        serializer.instance = services.survey_response_record(
            organization=self.organization,
            survey=data["survey"],
            account=data["account"],
            contact=data.get("contact"),
            score=data["score"],
            comment=data.get("comment", ""),
            answered_at=data.get("answered_at"),
            source=ResponseSource.API,
            actor=self.actor,
            api_key=auth if isinstance(auth, ApiKey) else None,
        )


ROUTES = [
    ("surveys", SurveyViewSet, "survey"),
    ("survey-responses", SurveyResponseViewSet, "survey-response"),
]
PATHS: list = []
