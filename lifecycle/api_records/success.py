"""REST API v1: success plans and their objectives."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api import AccountReferenceField, OwnerEmailField
from lifecycle.api_records.common import MAX_VALUE, SuccessPlanReferenceField
from lifecycle.models.success import (
    MetricAggregate,
    MetricWindow,
    Objective,
    ObjectiveStatus,
    SuccessPlan,
    SuccessPlanStatus,
)
from lifecycle.selectors_records import objective_progress_for
from lifecycle.services import success as success_services
from tenancy.api import TenantModelViewSet
from tenancy.ids import MAX_ID


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
        serializer.instance = success_services.objective_create(
            organization=self.organization, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = success_services.objective_update(
            organization=self.organization,
            objective=serializer.instance,
            actor=self.actor,
            **serializer.validated_data,
        )

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
        serializer.instance = success_services.success_plan_create(
            organization=self.organization, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = success_services.success_plan_update(
            organization=self.organization,
            plan=serializer.instance,
            actor=self.actor,
            **serializer.validated_data,
        )
