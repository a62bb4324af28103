"""Outreach: per-organization channel settings, message templates, the outbound outbox and
inbound messages.

Invariants (DESIGN.md, Outreach):
- `OutboundMessage` is an outbox with one row per (organization, dedupe_key): queueing the
  same cause twice returns the first row. Its status only moves forward
  (queued → sending → sent → delivered → read; failed and skipped are final). A row is
  marked `sending` with a lease and committed BEFORE the provider is called; a row found in
  `sending` after its lease expired is never sent again (at most once): it becomes failed
  "outcome unknown" unless the provider's status webhook reconciles it first.
- An opted-out contact is never messaged: the attempt is stored as `skipped` with a reason.
- `InboundMessage` is unique per (organization, provider_message_id): a redelivered webhook
  stores nothing new.
- `MessageTemplate.clean()` runs the no-selling guard and the variable check, so every path
  that validates a template (service, form, API, admin) refuses the same input.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact
from tenancy.models import TenantModel

WHATSAPP_DEFAULT_BASE_URL = "https://graph.facebook.com/v21.0"


def webhook_token_new() -> str:
    return secrets.token_urlsafe(24)


class Channel(models.TextChoices):
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("Email")


class Backend(models.TextChoices):
    """Who delivered a message: the console backend stores and logs, sending nothing."""

    CONSOLE = "console", _("Console (not sent)")
    EMAIL = "email", _("Email")
    WHATSAPP = "whatsapp", _("WhatsApp Cloud API")


class OutreachSettings(TenantModel):
    """One row per organization (created on first save; reads fall back to defaults).

    The access token and app secret are write-only in the UI; `webhook_token` names the
    organization's public webhook URL (it identifies, the app-secret signature authenticates).
    """

    whatsapp_enabled = models.BooleanField(_("WhatsApp enabled"), default=False)
    whatsapp_base_url = models.URLField(
        _("WhatsApp API base URL"), max_length=200, default=WHATSAPP_DEFAULT_BASE_URL
    )
    whatsapp_phone_number_id = models.CharField(
        _("WhatsApp phone number ID"), max_length=40, blank=True
    )
    whatsapp_access_token = models.CharField(_("access token"), max_length=500, blank=True)
    whatsapp_app_secret = models.CharField(_("app secret"), max_length=200, blank=True)
    whatsapp_verify_token = models.CharField(_("verify token"), max_length=200, blank=True)
    webhook_token = models.CharField(max_length=64, default=webhook_token_new, db_index=True)
    quiet_hours_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    selling_words_pt_br = models.TextField(
        _("extra selling words (Portuguese)"),
        blank=True,
        help_text=_("One word or phrase per line, refused in follow-up templates."),
    )
    selling_words_en = models.TextField(
        _("extra selling words (English)"),
        blank=True,
        help_text=_("One word or phrase per line, refused in follow-up templates."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("outreach settings")
        verbose_name_plural = _("outreach settings")
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="outreachsettings_one_per_org"),
            models.UniqueConstraint(
                fields=["organization", "webhook_token"], name="outreachsettings_webhook_token"
            ),
        ]

    def __str__(self) -> str:
        return f"outreach settings of {self.organization_id}"

    @property
    def whatsapp_configured(self) -> bool:
        return bool(
            self.whatsapp_enabled
            and self.whatsapp_phone_number_id
            and self.whatsapp_access_token
            and self.whatsapp_base_url
        )

    @property
    def has_quiet_hours(self) -> bool:
        return (
            self.quiet_hours_start is not None
            and self.quiet_hours_end is not None
            and self.quiet_hours_start != self.quiet_hours_end
        )

    def extra_selling_words(self, locale: str) -> list[str]:
        text = self.selling_words_pt_br if locale == "pt-br" else self.selling_words_en
        return [line.strip() for line in text.splitlines() if line.strip()]


class TemplateLocale(models.TextChoices):
    PT_BR = "pt-br", _("Portuguese (Brazil)")
    EN = "en", _("English")


class MessageTemplate(TenantModel):
    """An organization's wording for a message key in one language (overrides the default in
    code, outreach/defaults.py)."""

    key = models.CharField(_("key"), max_length=80)
    locale = models.CharField(_("language"), max_length=8, choices=TemplateLocale)
    subject = models.CharField(_("email subject"), max_length=200, blank=True)
    body = models.TextField(_("body"), max_length=4000)
    whatsapp_template_name = models.CharField(
        _("approved WhatsApp template name"),
        max_length=120,
        blank=True,
        help_text=_(
            "Sent when the contact has not written in the last 24 hours (WhatsApp only "
            "allows approved templates then)."
        ),
    )
    whatsapp_template_language = models.CharField(
        _("WhatsApp template language"), max_length=12, blank=True
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key", "locale"], name="messagetemplate_unique_key"
            ),
            models.UniqueConstraint(
                fields=["organization", "id"], name="messagetemplate_unique_org_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.locale})"

    def clean(self) -> None:
        from outreach.templating import template_validate

        template_validate(
            organization=self.organization if self.organization_id else None,
            key=self.key,
            locale=self.locale,
            subject=self.subject,
            body=self.body,
        )


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


# Forward order of the provider-reported statuses; failed/skipped are final.
STATUS_RANK: dict[str, int] = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.READ: 4,
}
FINAL_STATUSES = (MessageStatus.FAILED, MessageStatus.SKIPPED)


class SkipReason(models.TextChoices):
    OPTED_OUT = "opted_out", _("opted out")
    NO_CONSENT = "no_consent", _("no consent on any channel")
    NO_CHANNEL = "no_channel", _("no usable channel")


class OutboundMessage(TenantModel):
    """One message to one contact (the outbox row); see the module docstring."""

    MAX_ATTEMPTS = 6

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, blank=True)
    backend = models.CharField(_("sent through"), max_length=10, choices=Backend, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus, default=MessageStatus.QUEUED
    )
    template_key = models.CharField(_("template"), max_length=80)
    locale = models.CharField(_("language"), max_length=8)
    to_address = models.CharField(_("to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    # Values of the template's variables in order of first appearance: the body parameters of
    # an approved WhatsApp template.
    template_params = models.JSONField(default=list, blank=True)
    whatsapp_template_name = models.CharField(max_length=120, blank=True)
    whatsapp_template_language = models.CharField(max_length=12, blank=True)
    dedupe_key = models.CharField(max_length=200)
    source = models.CharField(_("source"), max_length=40)
    skip_reason = models.CharField(_("skip reason"), max_length=16, choices=SkipReason, blank=True)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_message = models.CharField(_("error"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="outboundmessage_unique_org_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "dedupe_key"], name="outboundmessage_unique_dedupe"
            ),
            models.CheckConstraint(
                condition=~Q(status="skipped") | ~Q(skip_reason=""),
                name="outboundmessage_skip_has_reason",
            ),
        ]
        indexes = [
            # The dispatcher's claim: due queued rows, and leases to expire.
            models.Index(
                fields=["organization", "status", "next_attempt_at"], name="outbound_org_due"
            ),
            models.Index(fields=["organization", "-id"], name="outbound_org_recent"),
            models.Index(fields=["organization", "contact", "-id"], name="outbound_org_contact"),
            models.Index(fields=["organization", "account", "-id"], name="outbound_org_account"),
            models.Index(
                fields=["organization", "provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="outbound_org_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_key} → {self.contact_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class InboundMessage(TenantModel):
    """A message a contact sent us (WhatsApp webhook); opens the 24-hour window."""

    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel, default=Channel.WHATSAPP)
    from_address = models.CharField(max_length=40)
    provider_message_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, default="text")
    body = models.TextField(blank=True)
    received_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="inboundmessage_unique_org_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "provider_message_id"], name="inbound_unique_provider_id"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "from_address", "-received_at"], name="inbound_org_from"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_address}: {self.body[:40]}"
