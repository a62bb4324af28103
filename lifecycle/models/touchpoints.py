"""Touchpoints: calls, meetings, emails, WhatsApp messages and notes logged against an account.

Invariants (DESIGN.md, Decisions: touchpoints):
- A touchpoint's contact, when set, belongs to the touchpoint's account (checked by the
  service, `touchpoint_log`).
- `source_key` de-duplicates touchpoints that other parts create (an inbound WhatsApp reply is
  `inbound:<id>`): unique per organization when not empty, so a signal delivered twice logs
  one touchpoint.
- `occurred_at` is never more than `FUTURE_TOLERANCE` ahead of the clock at logging time.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact
from lifecycle.models.followup import Sentiment  # one vocabulary for follow-ups and touchpoints
from tenancy.models import TenantModel

SUMMARY_MAX_LENGTH = 4000
FUTURE_TOLERANCE = timedelta(minutes=5)


class TouchpointChannel(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("Email")
    WHATSAPP = "whatsapp", _("WhatsApp")
    NOTE = "note", _("Note")


class TouchpointDirection(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    INTERNAL = "internal", _("Internal")


class TouchpointSource(models.TextChoices):
    MANUAL = "manual", _("Logged by hand")
    WHATSAPP_REPLY = "whatsapp_reply", _("WhatsApp reply")
    EMAIL_REPLY = "email_reply", _("Email reply")
    API = "api", _("API")
    DEMO = "demo", _("Demo data")


class Touchpoint(TenantModel):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="touchpoints", verbose_name=_("account")
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=TouchpointChannel)
    direction = models.CharField(
        _("direction"),
        max_length=16,
        choices=TouchpointDirection,
        default=TouchpointDirection.OUTBOUND,
    )
    summary = models.TextField(_("summary"), max_length=SUMMARY_MAX_LENGTH)
    sentiment = models.CharField(_("sentiment"), max_length=16, choices=Sentiment, blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logged by"),
    )
    source = models.CharField(
        _("source"), max_length=24, choices=TouchpointSource, default=TouchpointSource.MANUAL
    )
    source_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="touchpoint_unique_org_id"),
            models.UniqueConstraint(
                fields=["organization", "source_key"],
                condition=~models.Q(source_key=""),
                name="touchpoint_unique_source_key",
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=TouchpointChannel.values),
                name="touchpoint_channel_valid",
            ),
        ]
        indexes = [
            # The timeline reads one account newest first; the API filters by time.
            models.Index(
                fields=["organization", "account", "occurred_at", "id"], name="touchpoint_timeline"
            ),
            models.Index(fields=["organization", "occurred_at"], name="touchpoint_org_when"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"
