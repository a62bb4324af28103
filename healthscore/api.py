"""REST API v1 resources of the healthscore app.

- `POST /api/v1/events/`: bulk ingest (healthscore/ingest/ holds the contract).
- `GET /api/v1/health/accounts/{pk}/` and `…/history/?days=90`: an account's health.
- `GET|PUT|PATCH /api/v1/health/model/`: the scoring model (admin; a write is a new version).
- `GET /api/v1/health/at-risk/`: red accounts or accounts that fell a band in 14 days.

config/api_urls.py registers ROUTES on the v1 router and appends PATHS under /api/v1/.
"""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import RequestDataTooBig
from django.urls import path
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, views
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from accounts.models import Account
from healthscore import scoring, selectors, services
from healthscore.backtest import health_backtest
from healthscore.ingest import BatchError, batch_parse, events_ingest
from tenancy.api import TenantAPIView, TenantViewSet
from tenancy.models import Role


class EventInSerializer(serializers.Serializer):
    """Documentation of one event (the endpoint validates with plain code, not this)."""

    account = serializers.CharField(help_text="The account's external_id.")
    contact = serializers.CharField(
        required=False, help_text="A contact of that account: its id or email."
    )
    name = serializers.RegexField(
        r"^(login|ticket\.opened|ticket\.closed|invoice\.overdue|invoice\.paid|"
        r"(feature|custom)\.[a-z0-9][a-z0-9_.\-]{0,79})$",
        help_text="login, ticket.opened, ticket.closed, invoice.overdue, invoice.paid, "
        "feature.<key> or custom.<key> (key: a-z 0-9 _ . -, up to 80 characters).",
    )
    occurred_at = serializers.DateTimeField(
        help_text="ISO 8601 with a UTC offset; from 2000 to at most 5 minutes in the future."
    )
    quantity = serializers.FloatField(required=False, default=1)
    properties = serializers.DictField(
        required=False, help_text="Any JSON object of at most 4 KB (compact JSON, UTF-8)."
    )
    idempotency_key = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Unique per organization: a repeated key is stored once and answered "
        "`duplicate`. Without a key the server generates one, so a retry stores it again.",
    )


class ItemErrorSerializer(serializers.Serializer):
    field = serializers.CharField()
    code = serializers.CharField()
    detail = serializers.CharField()


class ItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    idempotency_key = serializers.CharField(required=False)
    errors = ItemErrorSerializer(many=True, required=False)


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    items = ItemResultSerializer(many=True)


ErrorSerializer = inline_serializer(
    "HealthError", fields={"code": serializers.CharField(), "detail": serializers.CharField()}
)


class EventIngestView(TenantAPIView, views.APIView):
    """Ingest up to 10,000 usage and support events in one call; each item is answered."""

    action_roles: ClassVar[dict[str, str]] = {"post": Role.CSM}

    @extend_schema(
        request=EventInSerializer(many=True),
        responses={200: IngestResultSerializer, 400: ErrorSerializer, 413: ErrorSerializer},
    )
    def post(self, request):
        try:
            body = request._request.body
        except RequestDataTooBig:
            return Response(
                {"code": "payload_too_large", "detail": gettext("The body is larger than 20 MB.")},
                status=413,
            )
        try:
            items = batch_parse(body)
        except BatchError as error:
            return Response({"code": error.code, "detail": error.detail}, status=error.status)
        result = events_ingest(organization=self.organization, items=items)
        return Response(result.as_dict())


class DriverSerializer(serializers.Serializer):
    code = serializers.CharField()


class HealthSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    score = serializers.IntegerField(allow_null=True)
    band = serializers.CharField(allow_null=True, help_text="green, yellow or red")
    model_version = serializers.IntegerField(allow_null=True)
    components = serializers.DictField()
    why = serializers.CharField()
    drivers = serializers.ListField(child=serializers.DictField())
    adjustment = serializers.IntegerField()
    computed_at = serializers.DateTimeField(allow_null=True)


class SnapshotSerializer(serializers.Serializer):
    day = serializers.DateField()
    score = serializers.IntegerField()
    band = serializers.CharField(help_text="green, yellow or red")
    model_version = serializers.IntegerField()
    components = serializers.DictField(
        help_text="Each component's score that day (null: no data, left out)."
    )


def health_payload(account: Account, health) -> dict:
    if health is None:
        return {
            "account": account.pk,
            "score": None,
            "band": None,
            "model_version": None,
            "components": {},
            "why": "",
            "drivers": [],
            "adjustment": 0,
            "computed_at": None,
        }
    return {
        "account": account.pk,
        "score": health.score,
        "band": health.band,
        "model_version": health.model_version,
        "components": health.components,
        "why": scoring.why_text(health.drivers),
        "drivers": health.drivers,
        "adjustment": health.adjustment,
        "computed_at": health.computed_at,
    }


class AccountHealthViewSet(TenantViewSet):
    """An account's current health (why in the request's language) and its daily history."""

    queryset = Account.objects.none()
    serializer_class = HealthSerializer
    action_roles: ClassVar[dict[str, str]] = {"retrieve": Role.VIEWER, "history": Role.VIEWER}

    def base_queryset(self):
        return Account.objects.all()

    def retrieve(self, request, pk=None):
        account = self.get_object()
        health = selectors.health_score_get(organization=self.organization, account=account)
        return Response(HealthSerializer(health_payload(account, health)).data)

    @extend_schema(
        parameters=[OpenApiParameter("days", OpenApiTypes.INT, description="1-400, default 90")],
        responses=SnapshotSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        account = self.get_object()
        try:
            days = int(request.query_params.get("days", 90))
        except ValueError:
            days = 0
        if not 1 <= days <= 400:
            raise serializers.ValidationError({"days": ["Give a number of days from 1 to 400."]})
        rows = selectors.health_history(organization=self.organization, account=account, days=days)
        return Response(SnapshotSerializer(rows, many=True).data)


class ThresholdSerializer(serializers.Serializer):
    bad = serializers.FloatField(min_value=-1e6, max_value=1e6)
    good = serializers.FloatField(min_value=-1e6, max_value=1e6)


class HealthModelSerializer(serializers.Serializer):
    version = serializers.IntegerField(read_only=True)
    weights = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=100))
    thresholds = serializers.DictField(child=ThresholdSerializer())
    key_features = serializers.ListField(
        child=serializers.RegexField(r"^[a-z0-9][a-z0-9_.\-]{0,79}$"), max_length=50
    )
    green_min = serializers.IntegerField(min_value=1, max_value=100)
    yellow_min = serializers.IntegerField(min_value=0, max_value=99)

    def validate_weights(self, value):
        unknown = set(value) - set(scoring.COMPONENTS)
        if unknown:
            raise serializers.ValidationError(
                gettext("Unknown components: %(names)s.") % {"names": ", ".join(sorted(unknown))}
            )
        return value

    def validate_thresholds(self, value):
        unknown = set(value) - set(scoring.DEFAULT_THRESHOLDS)
        if unknown:
            raise serializers.ValidationError(
                gettext("Unknown components: %(names)s.") % {"names": ", ".join(sorted(unknown))}
            )
        for name, pair in value.items():
            if pair["bad"] == pair["good"]:
                raise serializers.ValidationError(f"{name}: bad and good must differ.")
        return value

    def validate(self, attrs):
        if attrs["yellow_min"] >= attrs["green_min"]:
            raise serializers.ValidationError(
                {"yellow_min": ["The yellow threshold must be below the green one."]}
            )
        weights = {**scoring.DEFAULT_WEIGHTS, **attrs["weights"]}
        if sum(weights.values()) <= 0:
            raise serializers.ValidationError({"weights": ["At least one weight must be > 0."]})
        return attrs


def model_data(model) -> dict:
    return {
        "version": model.version,
        "weights": {**scoring.DEFAULT_WEIGHTS, **model.weights},
        "thresholds": {**scoring.DEFAULT_THRESHOLDS, **model.thresholds},
        "key_features": list(model.key_features),
        "green_min": model.green_min,
        "yellow_min": model.yellow_min,
    }


class HealthModelView(TenantAPIView, views.APIView):
    """The organization's scoring model. PUT/PATCH store a new version (admins)."""

    action_roles: ClassVar[dict[str, str]] = {
        "get": Role.VIEWER,
        "put": Role.ADMIN,
        "patch": Role.ADMIN,
    }

    @extend_schema(responses=HealthModelSerializer)
    def get(self, request):
        model = selectors.health_model_active(organization=self.organization)
        return Response(HealthModelSerializer(model_data(model)).data)

    def _write(self, request, partial: bool):
        current = model_data(selectors.health_model_active(organization=self.organization))
        payload = request.data if isinstance(request.data, dict) else None
        if payload is None:
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
        data = {**current, **payload} if partial else payload
        serializer = HealthModelSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        model = services.health_model_save(
            organization=self.organization,
            data=services.ModelInput(
                weights=dict(values["weights"]),
                thresholds={k: dict(v) for k, v in values["thresholds"].items()},
                key_features=list(dict.fromkeys(values["key_features"])),
                green_min=values["green_min"],
                yellow_min=values["yellow_min"],
            ),
            actor=self.actor,
            api_key=request._request.api_key,
        )
        return Response(HealthModelSerializer(model_data(model)).data)

    @extend_schema(request=HealthModelSerializer, responses=HealthModelSerializer)
    def put(self, request):
        return self._write(request, partial=False)

    @extend_schema(request=HealthModelSerializer, responses=HealthModelSerializer)
    def patch(self, request):
        return self._write(request, partial=True)


class AtRiskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    external_id = serializers.CharField()
    score = serializers.IntegerField(source="health_score", allow_null=True)
    band = serializers.CharField(source="health_band")
    fell_band = serializers.BooleanField()
    arr_cents = serializers.IntegerField()
    renewal_date = serializers.DateField(allow_null=True)
    owner = serializers.SerializerMethodField()
    why = serializers.SerializerMethodField()

    def get_owner(self, account) -> str | None:
        return account.owner.user.email if account.owner_id else None

    def get_why(self, account) -> str:
        return scoring.why_text(self.context["drivers"].get(account.pk, []))


class AtRiskPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class AtRiskView(TenantAPIView, views.APIView):
    """Red accounts and accounts that fell a band in the last 14 days, by ARR (largest first)."""

    action_roles: ClassVar[dict[str, str]] = {"get": Role.VIEWER}

    @extend_schema(responses=AtRiskSerializer(many=True))
    def get(self, request):
        paginator = AtRiskPagination()
        queryset = selectors.at_risk_list(organization=self.organization)
        page = paginator.paginate_queryset(queryset, request, view=self)
        drivers = selectors.drivers_for_accounts(
            organization=self.organization, account_ids=[a.pk for a in page]
        )
        data = AtRiskSerializer(page, many=True, context={"drivers": drivers}).data
        return paginator.get_paginated_response(data)


class BacktestQuerySerializer(serializers.Serializer):
    horizon_days = serializers.IntegerField(min_value=30, max_value=365, default=90)


class BandOutcomeSerializer(serializers.Serializer):
    band = serializers.CharField()
    snapshots = serializers.IntegerField()
    churned = serializers.IntegerField()
    contracted = serializers.IntegerField()
    churn_rate = serializers.FloatField(allow_null=True)
    contraction_rate = serializers.FloatField(allow_null=True)


class BacktestSerializer(serializers.Serializer):
    horizon_days = serializers.IntegerField()
    snapshots = serializers.IntegerField()
    churned_accounts = serializers.IntegerField()
    bands = BandOutcomeSerializer(many=True)
    lift_red_over_green = serializers.FloatField(allow_null=True)
    contraction_lift_red_over_green = serializers.FloatField(allow_null=True)
    precision_red = serializers.FloatField(allow_null=True)
    recall_red = serializers.FloatField(allow_null=True)
    median_lead_days = serializers.FloatField(allow_null=True)


class BacktestView(TenantAPIView, views.APIView):
    """Does the score predict churn? Per band, over snapshots at least `horizon_days` old: the
    share followed by churn and by contraction within the horizon; lift, precision and recall
    of red; median days from first red to churn (managers)."""

    action_roles: ClassVar[dict[str, str]] = {"get": Role.MANAGER}

    @extend_schema(parameters=[BacktestQuerySerializer], responses=BacktestSerializer)
    def get(self, request):
        query = BacktestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = health_backtest(
            organization=self.organization, horizon_days=query.validated_data["horizon_days"]
        )
        return Response(BacktestSerializer(result).data)


ROUTES: list = [("health/accounts", AccountHealthViewSet, "health-account")]
PATHS: list = [
    path("events/", EventIngestView.as_view(), name="event-ingest"),
    path("health/model/", HealthModelView.as_view(), name="health-model"),
    path("health/at-risk/", AtRiskView.as_view(), name="health-at-risk"),
    path("health/backtest/", BacktestView.as_view(), name="health-backtest"),
]
