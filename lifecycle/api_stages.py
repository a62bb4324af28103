"""REST API of the stage engine: stage transitions (read; create = manual stage change), the
board summary (counts, ARR, median days in stage and SLA breaches per stage) and the accounts
past an SLA (`sla-breaches/`: onboarding overdue, follow-up overdue, renewal without activity)."""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar

import django_filters
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, views
from rest_framework.response import Response

from accounts.api import AccountReferenceField
from accounts.models import Account, Segment, Stage
from lifecycle import selectors_sla as sla
from lifecycle import selectors_stages as selectors
from lifecycle.models import StageTransition
from lifecycle.services import stages as services
from tenancy.api import READ_ROLES, TenantAPIView, TenantViewSet
from tenancy.ids import MAX_ID, id_parse
from tenancy.models import Role


class StageTransitionSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    actor = serializers.SerializerMethodField(help_text="The member's email; null if automatic.")
    reason = serializers.CharField(
        source="reason_display", read_only=True, help_text="In the reader's language."
    )

    class Meta:
        model = StageTransition
        fields = [
            "id",
            "account",
            "from_stage",
            "to_stage",
            "at",
            "automatic",
            "actor",
            "reason",
            "reason_code",
            "reason_params",
        ]
        read_only_fields = fields

    def get_actor(self, obj) -> str | None:
        return obj.actor.email if obj.actor_id is not None and obj.actor else None


class StageChangeSerializer(serializers.Serializer):
    account = AccountReferenceField(help_text="The account's id, or its external_id as a string.")
    to_stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.CharField(max_length=services.REASON_MAX, allow_blank=False)


class StageTransitionFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(
        field_name="account_id", min_value=1, max_value=MAX_ID, label="Account id"
    )
    to_stage = django_filters.ChoiceFilter(choices=Stage.choices)
    automatic = django_filters.BooleanFilter()

    class Meta:
        model = StageTransition
        fields: ClassVar[list[str]] = []


class StageTransitionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    """Every stage change of every account (newest first). POST sets a stage by hand: a reason
    is required and the stage holds (the rules leave the account alone) until released on the
    account's stage page."""

    serializer_class = StageTransitionSerializer
    filterset_class = StageTransitionFilter
    queryset = StageTransition.objects.none()
    action_roles: ClassVar[dict[str, str]] = {**READ_ROLES, "create": Role.CSM}

    def base_queryset(self):
        return StageTransition.objects.select_related("actor").order_by("-at", "-id")

    @extend_schema(request=StageChangeSerializer, responses={201: StageTransitionSerializer})
    def create(self, request, *args, **kwargs):
        data = StageChangeSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        change = services.account_stage_set(
            organization=self.organization,
            account=data.validated_data["account"],
            stage=data.validated_data["to_stage"],
            reason=data.validated_data["reason"],
            actor=self.actor,
            api_key=request._request.api_key,
        )
        body = StageTransitionSerializer(change.transition, context=self.get_serializer_context())
        return Response(body.data, status=status.HTTP_201_CREATED)


class BoardColumnSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    count = serializers.IntegerField()
    arr_cents = serializers.IntegerField()
    overdue = serializers.IntegerField(
        help_text="Accounts past an SLA (onboarding, follow-up, renewal)."
    )
    median_days = serializers.FloatField(allow_null=True, help_text="Median days in the stage.")


class BoardSerializer(serializers.Serializer):
    columns = BoardColumnSerializer(many=True)
    churned = serializers.IntegerField()
    churned_arr_cents = serializers.IntegerField()
    total = serializers.IntegerField()


class BoardQuerySerializer(serializers.Serializer):
    owner = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    segment = serializers.ChoiceField(choices=Segment.choices, required=False)


class StageBoardView(TenantAPIView, views.APIView):
    """Per stage: accounts, ARR, SLA breaches and median days in stage (filters: owner =
    member id, segment)."""

    action_roles: ClassVar[dict[str, str]] = {"get": Role.VIEWER}

    @extend_schema(parameters=[BoardQuerySerializer], responses=BoardSerializer)
    def get(self, request):
        query = BoardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        owner = query.validated_data.get("owner")
        board = selectors.stage_board(
            organization=self.organization,
            filters=selectors.BoardFilters(
                owner=id_parse(owner) if owner is not None else None,
                segment=query.validated_data.get("segment", ""),
            ),
            top=0,
        )
        return Response(BoardSerializer(board).data)


class SlaBreachSerializer(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField(help_text="The owner's email; null: no owner.")
    days_in_stage = serializers.IntegerField(read_only=True)
    onboarding_overdue = serializers.BooleanField(
        read_only=True, help_text="Still onboarding past the onboarding SLA (days after go-live)."
    )
    onboarding_overdue_since = serializers.DateField(
        read_only=True, allow_null=True, help_text="Go-live + the onboarding SLA days."
    )
    followup_overdue = serializers.BooleanField(
        read_only=True, help_text="The go-live follow-up is not done after its due date."
    )
    followup_overdue_since = serializers.DateField(
        read_only=True, allow_null=True, help_text="The follow-up's due date."
    )
    renewal_stalled = serializers.BooleanField(
        read_only=True,
        help_text="In renewal, a contract ends within the inactivity window and nothing "
        "happened in it (no renewal opportunity moved, no touchpoint).",
    )
    renewal_stalled_since = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="The first day both held: contract end − the window, or the last activity "
        "+ the window.",
    )

    class Meta:
        model = Account
        fields = [
            "id",
            "external_id",
            "name",
            "stage",
            "owner",
            "days_in_stage",
            "arr_cents",
            "onboarding_overdue",
            "onboarding_overdue_since",
            "followup_overdue",
            "followup_overdue_since",
            "renewal_stalled",
            "renewal_stalled_since",
        ]
        read_only_fields = fields

    def get_owner(self, account: Account) -> str | None:
        return account.owner.user.email if account.owner is not None else None


class SlaBreachFilter(django_filters.FilterSet):
    owner = django_filters.NumberFilter(
        field_name="owner_id", min_value=1, max_value=MAX_ID, label="Owner (member id)"
    )
    segment = django_filters.ChoiceFilter(choices=Segment.choices)
    stage = django_filters.ChoiceFilter(
        choices=[(stage.value, stage.label) for stage in selectors.BOARD_STAGES]
    )
    kind = django_filters.ChoiceFilter(
        choices=[
            ("onboarding", "Onboarding overdue"),
            ("followup", "Follow-up overdue"),
            ("renewal", "Renewal without activity"),
        ],
        method="filter_kind",
        label="Only this breach",
    )

    class Meta:
        model = Account
        fields: ClassVar[list[str]] = []

    def filter_kind(self, queryset, name, value):
        return queryset.filter(**{sla.SLA_FLAGS[value]: True})


class SlaBreachViewSet(mixins.ListModelMixin, TenantViewSet):
    """Accounts past an SLA (not churned), newest account first: onboarding overdue, follow-up
    overdue, renewal without activity — each flag with the day it ran out, days in the current
    stage and ARR. Filters: owner (member id), segment, stage, kind."""

    serializer_class = SlaBreachSerializer
    filterset_class = SlaBreachFilter
    queryset = Account.objects.none()
    action_roles: ClassVar[dict[str, str]] = {"list": Role.VIEWER}

    @cached_property
    def windows(self) -> sla.SlaWindows:
        return sla.sla_windows(organization=self.organization)

    def base_queryset(self):
        if self.organization is None:
            return Account.objects.none()
        return sla.sla_breach_list(organization=self.organization, windows=self.windows)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page) if page is not None else list(queryset)
        sla.sla_breaches_attach(rows, windows=self.windows)
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)


ROUTES = [
    ("stage-transitions", StageTransitionViewSet, "stage-transition"),
    ("sla-breaches", SlaBreachViewSet, "sla-breach"),
]
PATHS = [path("lifecycle/board/", StageBoardView.as_view(), name="lifecycle-board")]
