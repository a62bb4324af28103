"""REST API v1 resources of the renewals app: contracts and the retention reports.

config/api_urls.py registers every (prefix, viewset, basename) in ROUTES on the v1 router and
appends PATHS (plain views such as reports) under /api/v1/.

Reports read the period from the query string (`start`, `end`: [start, end), ISO dates;
both missing = the last 12 whole months) through renewals.forms.RetentionQueryForm, so the
page and the API refuse the same bad input with the same messages (400 with field detail).
"""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, views
from rest_framework.response import Response

from accounts.api import AccountReferenceField
from accounts.models import Segment
from renewals import retention, services
from renewals.forms import RetentionQueryForm
from renewals.models import MAX_ARR_CENTS, MAX_SEATS, Contract, ContractKind, ContractStatus
from tenancy.api import TenantAPIView, TenantModelViewSet
from tenancy.ids import MAX_ID, id_parse
from tenancy.models import Role


@extend_schema_field({"type": "integer", "nullable": True})
class ContractReferenceField(serializers.Field):
    """A contract of the same organization, by id."""

    default_error_messages = {"not_found": "No contract with id {value}."}

    def get_attribute(self, instance):
        return getattr(instance, f"{self.source}_id")

    def to_representation(self, value):
        return value

    def to_internal_value(self, data):
        if data in (None, ""):
            return None
        pk = id_parse(data)
        contract = (
            Contract.objects.filter(organization=self.context["organization"], pk=pk).first()
            if pk is not None
            else None
        )
        if contract is None:
            self.fail("not_found", value=str(data)[:40])
        return contract


class ContractSerializer(serializers.ModelSerializer):
    account = AccountReferenceField(help_text="The account's id, or its external_id as a string.")
    kind = serializers.ChoiceField(choices=ContractKind.choices, required=False)
    status = serializers.ChoiceField(choices=ContractStatus.choices, required=False)
    arr_cents = serializers.IntegerField(min_value=0, max_value=MAX_ARR_CENTS)
    seats = serializers.IntegerField(min_value=0, max_value=MAX_SEATS, required=False)
    renewed_from = ContractReferenceField(required=False, allow_null=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "account",
            "kind",
            "start_date",
            "end_date",
            "arr_cents",
            "seats",
            "plan",
            "status",
            "renewed_from",
            "external_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: ClassVar[list] = []

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end <= start:
            raise serializers.ValidationError(
                {"end_date": ["The end date must be after the start date (it is exclusive)."]},
                code="end_before_start",
            )
        external_id = attrs.get("external_id", "").strip()
        if external_id:
            clash = Contract.objects.filter(
                organization=self.context["organization"], external_id=external_id
            )
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    {"external_id": ["Another contract already uses this external_id."]},
                    code="duplicate_external_id",
                )
        return attrs


class ContractFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(
        field_name="account_id", min_value=1, max_value=MAX_ID, label="Account id"
    )
    account_external_id = django_filters.CharFilter(field_name="account__external_id")
    kind = django_filters.ChoiceFilter(choices=ContractKind.choices)
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices)
    active_on = django_filters.DateFilter(method="filter_active_on", label="Active on (date)")

    class Meta:
        model = Contract
        fields: ClassVar[list[str]] = []

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gt=value)


class ContractViewSet(TenantModelViewSet):
    """Contracts: [start_date, end_date) with ARR in cents. Base contracts of one account may
    not overlap; add-ons may. Creating or changing one refreshes the account's ARR."""

    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    queryset = Contract.objects.none()
    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "head", "options"]

    def base_queryset(self):
        return Contract.objects.all()

    def perform_create(self, serializer):
        serializer.instance = services.contract_create(
            organization=self.organization,
            actor=self.actor,
            api_key=self.request._request.api_key,
            **serializer.validated_data,
        )

    def perform_update(self, serializer):
        serializer.instance = services.contract_update(
            organization=self.organization,
            contract=serializer.instance,
            actor=self.actor,
            api_key=self.request._request.api_key,
            **serializer.validated_data,
        )


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------
class ExpansionByCauseSerializer(serializers.Serializer):
    seats = serializers.IntegerField()
    price = serializers.IntegerField()
    new_plan_or_add_on = serializers.IntegerField()


class RetentionSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Exclusive.")
    basis = serializers.ChoiceField(choices=retention.BASES)
    grr = serializers.FloatField(allow_null=True, help_text="Σ min(ARR_E, ARR_S) / Σ ARR_S")
    nrr = serializers.FloatField(allow_null=True, help_text="Σ ARR_E / Σ ARR_S")
    logo_churn = serializers.FloatField(allow_null=True)
    accounts = serializers.IntegerField(help_text="Cohort size: accounts with ARR_S > 0.")
    churned_accounts = serializers.IntegerField()
    starting_arr_cents = serializers.IntegerField()
    ending_arr_cents = serializers.IntegerField()
    retained_arr_cents = serializers.IntegerField()
    expansion_arr_cents = serializers.IntegerField()
    contraction_arr_cents = serializers.IntegerField()
    churned_arr_cents = serializers.IntegerField()
    expansion_by_cause_cents = ExpansionByCauseSerializer(
        allow_null=True, help_text="Null for series points: the split is per period only."
    )
    new_accounts = serializers.IntegerField(help_text="ARR_S = 0, ARR_E > 0: excluded.")
    new_arr_cents = serializers.IntegerField()


class RetentionReportSerializer(RetentionSerializer):
    segment = serializers.CharField(allow_blank=True)
    owner = serializers.IntegerField(allow_null=True)


class RetentionSeriesSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    interval = serializers.ChoiceField(choices=retention.INTERVALS)
    basis = serializers.ChoiceField(choices=retention.BASES)
    points = RetentionSerializer(many=True)


class MovementContractSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    arr_cents = serializers.IntegerField()
    seats = serializers.IntegerField()
    plan = serializers.CharField()
    status = serializers.CharField()
    renewed_from = serializers.IntegerField(allow_null=True)


class MovementSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    account_name = serializers.CharField()
    arr_s_cents = serializers.IntegerField()
    arr_e_cents = serializers.IntegerField()
    change_cents = serializers.IntegerField()
    category = serializers.ChoiceField(choices=retention.PERIOD_CATEGORIES)
    counted = serializers.BooleanField(help_text="In the cohort (ARR_S > 0).")
    contracts = MovementContractSerializer(many=True)


class MovementListSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    count = serializers.IntegerField()
    offset = serializers.IntegerField()
    next_offset = serializers.IntegerField(allow_null=True)
    results = MovementSerializer(many=True)


PERIOD_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="Period start (inclusive)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Period end (exclusive)."),
    OpenApiParameter("segment", str, enum=Segment.values),
    OpenApiParameter("owner", int, description="Owner's member id."),
]


def parse_query(view: TenantAPIView, request) -> RetentionQueryForm:
    form = RetentionQueryForm(
        request.query_params,
        organization=view.organization,
        today=services.organization_today(view.organization),
    )
    if not form.is_valid():
        errors = {
            ("non_field_errors" if field == "__all__" else field): [
                serializers.ErrorDetail(message, code=error.code or "invalid")
                for error in field_errors
                for message in error.messages
            ]
            for field, field_errors in form.errors.as_data().items()
        }
        raise serializers.ValidationError(errors)
    return form


class RetentionReportView(TenantAPIView, views.APIView):
    """GRR, NRR, logo churn and the ARR bridge for [start, end) (`basis` is always `period`:
    the cohort is every account with ARR at `start`)."""

    action_roles: ClassVar[dict[str, str]] = {"get": Role.MANAGER}

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=RetentionReportSerializer)
    def get(self, request):
        form = parse_query(self, request)
        data = form.cleaned_data
        figures = retention.retention_report(
            organization=self.organization,
            start=data["start"],
            end=data["end"],
            filters=form.filters(),
        )
        return Response(
            {**figures.as_dict(), "segment": data["segment"] or "", "owner": data["owner"]}
        )


class RetentionSeriesView(TenantAPIView, views.APIView):
    """One point per month or quarter covering [start, end). basis=period: each point's
    cohort is the accounts with ARR at the point's start; basis=trailing12: each point is the
    twelve months ending at the point's end."""

    action_roles: ClassVar[dict[str, str]] = {"get": Role.MANAGER}

    @extend_schema(
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("interval", str, enum=retention.INTERVALS),
            OpenApiParameter("basis", str, enum=retention.BASES),
        ],
        responses=RetentionSeriesSerializer,
    )
    def get(self, request):
        form = parse_query(self, request)
        data = form.cleaned_data
        points = retention.retention_series(
            organization=self.organization,
            start=data["start"],
            end=data["end"],
            interval=data["interval"],
            basis=data["basis"],
            filters=form.filters(),
        )
        return Response(
            {
                "start": data["start"].isoformat(),
                "end": data["end"].isoformat(),
                "interval": data["interval"],
                "basis": data["basis"],
                "points": [point.as_dict() for point in points],
            }
        )


MAX_MOVEMENTS_LIMIT = 500


class RetentionMovementsView(TenantAPIView, views.APIView):
    """The accounts behind the figures: per account ARR_S, ARR_E, the category and the
    contracts that touch [start, end). Paged with `offset` and `limit` (≤ 500)."""

    action_roles: ClassVar[dict[str, str]] = {"get": Role.MANAGER}

    @extend_schema(
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("category", str, enum=retention.PERIOD_CATEGORIES),
            OpenApiParameter("offset", int),
            OpenApiParameter("limit", int),
        ],
        responses=MovementListSerializer,
    )
    def get(self, request):
        form = parse_query(self, request)
        data = form.cleaned_data
        offset = _bounded_int(request.query_params.get("offset"), "offset", 0, 10**9, 0)
        limit = _bounded_int(
            request.query_params.get("limit"), "limit", 1, MAX_MOVEMENTS_LIMIT, 100
        )
        page = retention.retention_movements(
            organization=self.organization,
            start=data["start"],
            end=data["end"],
            filters=form.filters(),
            category=data.get("category") or "",
            offset=offset,
            limit=limit,
        )
        return Response(
            {
                "start": data["start"].isoformat(),
                "end": data["end"].isoformat(),
                "count": page.total,
                "offset": offset,
                "next_offset": offset + limit if offset + limit < page.total else None,
                "results": [
                    {
                        "account_id": row.account_id,
                        "account_name": row.account_name,
                        "arr_s_cents": row.arr_s,
                        "arr_e_cents": row.arr_e,
                        "change_cents": row.change,
                        "category": row.category,
                        "counted": row.counted,
                        "contracts": [
                            {
                                "id": c.id,
                                "kind": c.kind,
                                "start_date": c.start_date.isoformat(),
                                "end_date": c.end_date.isoformat(),
                                "arr_cents": c.arr_cents,
                                "seats": c.seats,
                                "plan": c.plan,
                                "status": c.status,
                                "renewed_from": c.renewed_from_id,
                            }
                            for c in row.contracts
                        ],
                    }
                    for row in page.rows
                ],
            }
        )


def _bounded_int(value, name: str, low: int, high: int, default: int) -> int:
    if value in (None, ""):
        return default
    text = str(value)
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise serializers.ValidationError(
            {name: [f"Give a whole number between {low} and {high}."]}, code="invalid"
        )
    return int(text)


ROUTES = [("contracts", ContractViewSet, "contract")]
PATHS = [
    path("reports/retention/", RetentionReportView.as_view(), name="retention-report"),
    path("reports/retention/series/", RetentionSeriesView.as_view(), name="retention-series"),
    path(
        "reports/retention/movements/",
        RetentionMovementsView.as_view(),
        name="retention-movements",
    ),
]
