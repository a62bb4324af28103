"""REST API v1: touchpoints, success plans, objectives and advocacy records.

Appended to lifecycle/api.py's ROUTES. Ids inside payloads (account, contact, plan) are
resolved inside the organization; rules are the services' (a contact of another account, a
touchpoint in the future, a target equal to the baseline, a status step that is not allowed)
and answer 400 with the field and a stable code. Touchpoints may be changed by the member who
logged them or by a manager (403 `not_author` otherwise; API keys create, never edit).
Advocacy status changes through `POST advocacy-records/{id}/transition/`.
"""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api import AccountReferenceField, OwnerEmailField
from accounts.models import Contact
from lifecycle.models.advocacy import (
    ADVOCACY_TRANSITIONS,
    AdvocacyKind,
    AdvocacyRecord,
    AdvocacyStatus,
    ReferralOutcome,
)
from lifecycle.models.success import (
    MetricAggregate,
    MetricWindow,
    Objective,
    ObjectiveStatus,
    SuccessPlan,
    SuccessPlanStatus,
)
from lifecycle.models.touchpoints import (
    SUMMARY_MAX_LENGTH,
    Sentiment,
    Touchpoint,
    TouchpointChannel,
    TouchpointDirection,
    TouchpointSource,
)
from lifecycle.selectors_records import objective_progress_for
from lifecycle.services import advocacy as advocacy_services
from lifecycle.services import success as success_services
from lifecycle.services import touchpoints as touchpoint_services
from tenancy.api import TenantModelViewSet
from tenancy.api_filters import BoundedIsoDateTimeFilter
from tenancy.ids import MAX_ID, id_parse
from tenancy.models import Role

MAX_VALUE = 1e12


def _drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    """A service's ValidationError as DRF's, keeping each message's code."""
    if not hasattr(error, "error_dict"):
        return serializers.ValidationError(
            [serializers.ErrorDetail(m, code=error.code or "invalid") for m in error.messages]
        )
    detail = {
        field: [
            serializers.ErrorDetail(message, code=item.code or "invalid")
            for item in items
            for message in item.messages
        ]
        for field, items in error.error_dict.items()
    }
    return serializers.ValidationError(detail)


def _reference(model, label: str):
    @extend_schema_field({"type": "integer", "nullable": True})
    class ReferenceField(serializers.Field):
        default_error_messages = {
            "not_found": f"No {label} with id {{value}}.",
            "invalid": f"Give the {label}'s id (integer).",
        }

        def get_attribute(self, instance):
            return getattr(instance, f"{self.source}_id")

        def to_representation(self, value):
            return value

        def to_internal_value(self, data):
            if data in (None, ""):
                return None
            if isinstance(data, bool) or not isinstance(data, int | str):
                self.fail("invalid")
            pk = id_parse(data)
            row = (
                model.objects.filter(organization=self.context["organization"], pk=pk).first()
                if pk is not None
                else None
            )
            if row is None:
                self.fail("not_found", value=str(data)[:40])
            return row

    ReferenceField.__name__ = f"{model.__name__}ReferenceField"
    return ReferenceField


ContactReferenceField = _reference(Contact, "contact")
SuccessPlanReferenceField = _reference(SuccessPlan, "success plan")


# ---------------------------------------------------------------------------------------------
# Touchpoints
# ---------------------------------------------------------------------------------------------
class TouchpointSerializer(serializers.ModelSerializer):
    account = AccountReferenceField(help_text="The account's id, or its external_id as a string.")
    contact = ContactReferenceField(
        required=False, allow_null=True, help_text="A contact of that account, by id."
    )
    channel = serializers.ChoiceField(choices=TouchpointChannel.choices)
    direction = serializers.ChoiceField(choices=TouchpointDirection.choices, required=False)
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=SUMMARY_MAX_LENGTH)
    occurred_at = serializers.DateTimeField(
        required=False, help_text="Default: now. At most 5 minutes in the future."
    )
    logged_by = serializers.SerializerMethodField()
    source = serializers.ChoiceField(choices=TouchpointSource.choices, read_only=True)
    source_key = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Your key for this touchpoint: a second POST with the same key returns the "
        "stored one.",
    )

    class Meta:
        model = Touchpoint
        fields = [
            "id",
            "account",
            "contact",
            "channel",
            "direction",
            "summary",
            "sentiment",
            "occurred_at",
            "logged_by",
            "source",
            "source_key",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["source", "created_at", "updated_at"]

    @extend_schema_field({"type": "string", "format": "email", "nullable": True})
    def get_logged_by(self, touchpoint: Touchpoint) -> str | None:
        return touchpoint.logged_by.email if touchpoint.logged_by_id else None


class TouchpointUpdateSerializer(TouchpointSerializer):
    class Meta(TouchpointSerializer.Meta):
        read_only_fields = ["account", "source", "source_key", "created_at", "updated_at"]


class TouchpointFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(
        field_name="account_id", min_value=1, max_value=MAX_ID, label="Account id"
    )
    contact = django_filters.NumberFilter(
        field_name="contact_id", min_value=1, max_value=MAX_ID, label="Contact id"
    )
    channel = django_filters.ChoiceFilter(choices=TouchpointChannel.choices)
    sentiment = django_filters.ChoiceFilter(choices=Sentiment.choices)
    since = BoundedIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = BoundedIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Touchpoint
        fields: ClassVar[list[str]] = []


class TouchpointViewSet(TenantModelViewSet):
    """Calls, meetings, emails, WhatsApp messages and notes logged against an account.
    Edit and delete: the member who logged it, or a manager."""

    serializer_class = TouchpointSerializer
    filterset_class = TouchpointFilter
    queryset = Touchpoint.objects.none()

    def base_queryset(self):
        return Touchpoint.objects.select_related("logged_by")

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return TouchpointUpdateSerializer
        return TouchpointSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        try:
            serializer.instance = touchpoint_services.touchpoint_log(
                organization=self.organization,
                actor=self.actor,
                source=TouchpointSource.API if self.request._request.api_key else "manual",
                **data,
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None

    def _require_author(self, touchpoint: Touchpoint) -> None:
        membership = self.request._request.membership
        if not touchpoint_services.touchpoint_can_change(
            touchpoint=touchpoint,
            user=self.actor,
            role=membership.role if membership is not None else None,
        ):
            raise exceptions.PermissionDenied(
                "Only the member who logged this touchpoint, or a manager, can change it.",
                code="not_author",
            )

    def perform_update(self, serializer):
        self._require_author(serializer.instance)
        try:
            serializer.instance = touchpoint_services.touchpoint_update(
                organization=self.organization,
                touchpoint=serializer.instance,
                membership=self.request._request.membership,
                **serializer.validated_data,
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None

    def perform_destroy(self, instance):
        self._require_author(instance)
        touchpoint_services.touchpoint_delete(
            organization=self.organization,
            touchpoint=instance,
            membership=self.request._request.membership,
        )


# ---------------------------------------------------------------------------------------------
# Success plans and objectives
# ---------------------------------------------------------------------------------------------
class ObjectiveSerializer(serializers.ModelSerializer):
    plan = SuccessPlanReferenceField(help_text="The success plan's id.")
    baseline = serializers.FloatField(min_value=-MAX_VALUE, max_value=MAX_VALUE)
    target = serializers.FloatField(
        min_value=-MAX_VALUE,
        max_value=MAX_VALUE,
        help_text="Above the baseline: higher is better; below: lower is better.",
    )
    start_date = serializers.DateField(required=False, help_text="Default: today.")
    current_value = serializers.FloatField(
        min_value=-MAX_VALUE,
        max_value=MAX_VALUE,
        required=False,
        allow_null=True,
        help_text="Typed for unbound objectives; computed daily for bound ones.",
    )
    metric_event = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Bind to this event name (e.g. feature.reports): the current value then "
        "comes from the usage rollups.",
    )
    metric_window = serializers.ChoiceField(
        choices=MetricWindow.choices, required=False, allow_blank=True
    )
    metric_aggregate = serializers.ChoiceField(
        choices=MetricAggregate.choices, required=False, allow_blank=True
    )
    status = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Objective
        fields = [
            "id",
            "plan",
            "account",
            "title",
            "metric",
            "baseline",
            "target",
            "start_date",
            "due_date",
            "current_value",
            "current_value_at",
            "metric_event",
            "metric_window",
            "metric_aggregate",
            "status",
            "progress",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["account", "current_value_at", "created_at", "updated_at"]
        extra_kwargs: ClassVar[dict] = {"due_date": {"required": True}}

    def _progress(self, objective: Objective):
        today = self.context.get("today")
        if today is None:
            today = success_services.organization_today(self.context["organization"])
            self.context["today"] = today
        return objective_progress_for(objective, today)

    @extend_schema_field(serializers.ChoiceField(choices=ObjectiveStatus.choices))
    def get_status(self, objective: Objective) -> str:
        return self._progress(objective).status

    @extend_schema_field(
        {"type": "number", "description": "0-1: share of the way from baseline to target."}
    )
    def get_progress(self, objective: Objective) -> float:
        return round(self._progress(objective).progress, 4)


class ObjectiveUpdateSerializer(ObjectiveSerializer):
    class Meta(ObjectiveSerializer.Meta):
        read_only_fields = ["plan", "account", "current_value_at", "created_at", "updated_at"]
        extra_kwargs: ClassVar[dict] = {}


class ObjectiveFilter(django_filters.FilterSet):
    plan = django_filters.NumberFilter(
        field_name="plan_id", min_value=1, max_value=MAX_ID, label="Success plan id"
    )
    account = django_filters.NumberFilter(
        field_name="account_id", min_value=1, max_value=MAX_ID, label="Account id"
    )
    bound = django_filters.BooleanFilter(method="filter_bound", label="Bound to an event")

    class Meta:
        model = Objective
        fields: ClassVar[list[str]] = []

    def filter_bound(self, queryset, name, value):
        return queryset.exclude(metric_event="") if value else queryset.filter(metric_event="")


class ObjectiveViewSet(TenantModelViewSet):
    """Objectives of success plans. Status is derived: achieved, missed, on track (progress
    at least the elapsed share of time minus 10 points) or at risk."""

    serializer_class = ObjectiveSerializer
    filterset_class = ObjectiveFilter
    queryset = Objective.objects.none()

    def base_queryset(self):
        return Objective.objects.all()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return ObjectiveUpdateSerializer
        return ObjectiveSerializer

    def perform_create(self, serializer):
        try:
            serializer.instance = success_services.objective_create(
                organization=self.organization, actor=self.actor, **serializer.validated_data
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None

    def perform_update(self, serializer):
        try:
            serializer.instance = success_services.objective_update(
                organization=self.organization,
                objective=serializer.instance,
                actor=self.actor,
                **serializer.validated_data,
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None

    def perform_destroy(self, instance):
        success_services.objective_delete(
            organization=self.organization, objective=instance, actor=self.actor
        )


class SuccessPlanSerializer(serializers.ModelSerializer):
    account = AccountReferenceField(help_text="The account's id, or its external_id as a string.")
    owner = OwnerEmailField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=SuccessPlanStatus.choices, required=False)
    objectives = ObjectiveSerializer(many=True, read_only=True)

    class Meta:
        model = SuccessPlan
        fields = [
            "id",
            "account",
            "title",
            "owner",
            "status",
            "objectives",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: ClassVar[list] = []


class SuccessPlanUpdateSerializer(SuccessPlanSerializer):
    class Meta(SuccessPlanSerializer.Meta):
        read_only_fields = ["account", "created_at", "updated_at"]


class SuccessPlanFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(
        field_name="account_id", min_value=1, max_value=MAX_ID, label="Account id"
    )
    status = django_filters.ChoiceFilter(choices=SuccessPlanStatus.choices)

    class Meta:
        model = SuccessPlan
        fields: ClassVar[list[str]] = []


class SuccessPlanViewSet(TenantModelViewSet):
    """Success plans per account (one active at a time), with their objectives."""

    serializer_class = SuccessPlanSerializer
    filterset_class = SuccessPlanFilter
    queryset = SuccessPlan.objects.none()
    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "head", "options"]

    def base_queryset(self):
        organization = self.request._request.organization
        return SuccessPlan.objects.select_related("owner__user").prefetch_related(
            Prefetch(
                "objectives",
                queryset=Objective.objects.filter(organization=organization).order_by(
                    "due_date", "id"
                ),
            )
        )

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return SuccessPlanUpdateSerializer
        return SuccessPlanSerializer

    def perform_create(self, serializer):
        try:
            serializer.instance = success_services.success_plan_create(
                organization=self.organization, actor=self.actor, **serializer.validated_data
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None

    def perform_update(self, serializer):
        try:
            serializer.instance = success_services.success_plan_update(
                organization=self.organization,
                plan=serializer.instance,
                actor=self.actor,
                **serializer.validated_data,
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None


# ---------------------------------------------------------------------------------------------
# Advocacy
# ---------------------------------------------------------------------------------------------
class AdvocacyRecordSerializer(serializers.ModelSerializer):
    account = AccountReferenceField(help_text="The account's id, or its external_id as a string.")
    contact = ContactReferenceField(
        required=False, allow_null=True, help_text="A contact of that account, by id."
    )
    kind = serializers.ChoiceField(choices=AdvocacyKind.choices)
    referral_outcome = serializers.ChoiceField(
        choices=ReferralOutcome.choices, required=False, allow_blank=True
    )
    status = serializers.ChoiceField(choices=AdvocacyStatus.choices, read_only=True)
    requested_on = serializers.DateField(required=False, help_text="Default: today.")

    class Meta:
        model = AdvocacyRecord
        fields = [
            "id",
            "account",
            "contact",
            "kind",
            "status",
            "requested_on",
            "agreed_on",
            "done_on",
            "declined_on",
            "review_site",
            "referred_company",
            "referral_outcome",
            "notes",
            "link",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "agreed_on",
            "done_on",
            "declined_on",
            "created_at",
            "updated_at",
        ]


class AdvocacyRecordUpdateSerializer(AdvocacyRecordSerializer):
    class Meta(AdvocacyRecordSerializer.Meta):
        read_only_fields = [*AdvocacyRecordSerializer.Meta.read_only_fields, "account"]


class AdvocacyTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=AdvocacyStatus.choices,
        help_text="requested → agreed → done; requested or agreed → declined.",
    )
    on = serializers.DateField(required=False, allow_null=True, help_text="Default: today.")


class AdvocacyNextStepsSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AdvocacyStatus.choices)
    allowed = serializers.ListField(child=serializers.ChoiceField(choices=AdvocacyStatus.choices))


class AdvocacyRecordFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(
        field_name="account_id", min_value=1, max_value=MAX_ID, label="Account id"
    )
    kind = django_filters.ChoiceFilter(choices=AdvocacyKind.choices)
    status = django_filters.ChoiceFilter(choices=AdvocacyStatus.choices)

    class Meta:
        model = AdvocacyRecord
        fields: ClassVar[list[str]] = []


class AdvocacyRecordViewSet(TenantModelViewSet):
    """References, case studies, reviews, referrals and testimonials."""

    serializer_class = AdvocacyRecordSerializer
    filterset_class = AdvocacyRecordFilter
    queryset = AdvocacyRecord.objects.none()
    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "head", "options"]
    action_roles: ClassVar[dict[str, str]] = {
        **TenantModelViewSet.action_roles,
        "transition": Role.VIEWER,
    }

    def base_queryset(self):
        return AdvocacyRecord.objects.all()

    def required_role(self) -> str | None:
        if self.action == "transition" and self.request.method == "POST":
            return Role.CSM  # reading the next steps is a viewer's, taking one a CSM's
        return super().required_role()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return AdvocacyRecordUpdateSerializer
        if self.action == "transition":
            return AdvocacyTransitionSerializer
        return AdvocacyRecordSerializer

    def perform_create(self, serializer):
        try:
            serializer.instance = advocacy_services.advocacy_record_create(
                organization=self.organization, actor=self.actor, **serializer.validated_data
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None

    def perform_update(self, serializer):
        try:
            serializer.instance = advocacy_services.advocacy_record_update(
                organization=self.organization,
                record=serializer.instance,
                actor=self.actor,
                **serializer.validated_data,
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None

    @extend_schema(methods=["GET"], request=None, responses=AdvocacyNextStepsSerializer)
    @extend_schema(
        methods=["POST"], request=AdvocacyTransitionSerializer, responses=AdvocacyRecordSerializer
    )
    @action(detail=True, methods=["get", "post"])
    def transition(self, request, pk=None):
        """GET: the record's status and the steps allowed from it. POST: take one step
        (requested → agreed → done; requested or agreed → declined)."""
        record = self.get_object()
        if request.method == "GET":
            allowed = ADVOCACY_TRANSITIONS[AdvocacyStatus(record.status)]
            return Response(
                {
                    "status": record.status,
                    "allowed": [s for s in AdvocacyStatus.values if s in allowed],
                }
            )
        serializer = AdvocacyTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            record = advocacy_services.advocacy_record_transition(
                organization=self.organization,
                record=record,
                to_status=serializer.validated_data["status"],
                on=serializer.validated_data.get("on"),
                actor=self.actor,
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None
        return Response(
            AdvocacyRecordSerializer(record, context=self.get_serializer_context()).data
        )


ROUTES = [
    ("touchpoints", TouchpointViewSet, "touchpoint"),
    ("success-plans", SuccessPlanViewSet, "success-plan"),
    ("objectives", ObjectiveViewSet, "objective"),
    ("advocacy-records", AdvocacyRecordViewSet, "advocacy-record"),
]
PATHS: list = []
