"""REST API v1: touchpoints. Changed by the member who logged them or by a manager
(403 `not_author` otherwise; API keys create, never edit)."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from accounts.api import AccountReferenceField, ContactReferenceField
from lifecycle.models.touchpoints import (
    SUMMARY_MAX_LENGTH,
    Sentiment,
    Touchpoint,
    TouchpointChannel,
    TouchpointDirection,
    TouchpointSource,
)
from lifecycle.services import touchpoints as touchpoint_services
from tenancy.api import TenantModelViewSet
from tenancy.api_filters import BoundedIsoDateTimeFilter
from tenancy.ids import MAX_ID


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
        serializer.instance = touchpoint_services.touchpoint_log(
            organization=self.organization,
            actor=self.actor,
            source=TouchpointSource.API if self.request._request.api_key else "manual",
            **data,
        )

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
        serializer.instance = touchpoint_services.touchpoint_update(
            organization=self.organization,
            touchpoint=serializer.instance,
            membership=self.request._request.membership,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        self._require_author(instance)
        touchpoint_services.touchpoint_delete(
            organization=self.organization,
            touchpoint=instance,
            membership=self.request._request.membership,
        )
