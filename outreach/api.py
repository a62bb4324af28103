"""REST API of the outreach app: the outbound message log (read-only) and message templates.

ROUTES = [(prefix, viewset, basename)] are registered on the v1 router by config/api_urls.py.
Template writes go through `message_template_save`, so the API refuses what the page refuses
(unknown variables, selling words in follow-up templates) with the same messages.
"""

from __future__ import annotations

from typing import ClassVar

import django_filters
from rest_framework import mixins, serializers

from outreach.models import Channel, MessageStatus, MessageTemplate, OutboundMessage, TemplateLocale
from outreach.services import message_template_save
from tenancy.api import READ_ROLES, TenantViewSet
from tenancy.ids import MAX_ID
from tenancy.models import Role


class OutboundMessageSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.name", read_only=True)

    class Meta:
        model = OutboundMessage
        fields = [
            "id",
            "account",
            "contact",
            "contact_name",
            "channel",
            "backend",
            "status",
            "template_key",
            "locale",
            "to_address",
            "subject",
            "body",
            "source",
            "skip_reason",
            "error_code",
            "error_message",
            "attempts",
            "not_before",
            "next_attempt_at",
            "provider_message_id",
            "created_at",
            "sent_at",
            "delivered_at",
            "read_at",
            "failed_at",
        ]
        read_only_fields = fields


class OutboundMessageFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MessageStatus.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    account = django_filters.NumberFilter(
        field_name="account_id", min_value=1, max_value=MAX_ID, label="Account id"
    )
    contact = django_filters.NumberFilter(
        field_name="contact_id", min_value=1, max_value=MAX_ID, label="Contact id"
    )

    class Meta:
        model = OutboundMessage
        fields: ClassVar[list[str]] = []


class OutboundMessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Messages sent (or skipped) to contacts: WhatsApp and email, with their delivery status,
    the provider's error when one failed and the reason when one was skipped. Read-only."""

    serializer_class = OutboundMessageSerializer
    filterset_class = OutboundMessageFilter
    queryset = OutboundMessage.objects.none()
    action_roles: ClassVar[dict[str, str]] = dict(READ_ROLES)

    def base_queryset(self):
        return OutboundMessage.objects.select_related("contact")


class MessageTemplateSerializer(serializers.ModelSerializer):
    key = serializers.RegexField(r"^[a-z0-9][a-z0-9_.-]{0,79}$", max_length=80)
    locale = serializers.ChoiceField(choices=TemplateLocale.choices)

    class Meta:
        model = MessageTemplate
        fields = [
            "id",
            "key",
            "locale",
            "subject",
            "body",
            "whatsapp_template_name",
            "whatsapp_template_language",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]
        validators: ClassVar[list] = []


class MessageTemplateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    TenantViewSet,
):
    """The organization's message wording per key and language (the defaults in code apply
    where there is no row). POST creates or replaces the (key, locale) row (managers; API keys
    act as CSMs and may only read). Templates whose key starts with `followup.` must not sell:
    selling words are refused (`selling_words`)."""

    serializer_class = MessageTemplateSerializer
    queryset = MessageTemplate.objects.none()
    action_roles: ClassVar[dict[str, str]] = {
        **READ_ROLES,
        "create": Role.MANAGER,
    }

    def base_queryset(self):
        return MessageTemplate.objects.order_by("key", "locale")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = message_template_save(
            organization=self.organization,
            actor=self.actor,
            key=data["key"],
            locale=data["locale"],
            subject=data.get("subject", ""),
            body=data["body"],
            whatsapp_template_name=data.get("whatsapp_template_name", ""),
            whatsapp_template_language=data.get("whatsapp_template_language", ""),
        )


ROUTES: list = [
    ("messages", OutboundMessageViewSet, "outbound-message"),
    ("message-templates", MessageTemplateViewSet, "message-template"),
]
PATHS: list = []
