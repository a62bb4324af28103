"""The 7-day follow-up: exactly one proactive contact per account after its go-live.

Invariants (DESIGN.md, "Lifecycle: scheduled actions, 7-day follow-up, My day"):
- One FollowUp per account (UNIQUE(organization, account)): written *scheduled* in the same
  transaction as the go-live date, together with its ScheduledAction
  (`followup.start`, subject = account id); a go-live edited before the action ran moves both
  rows, a cleared one cancels both, and once the action ran (status open/done) go-live edits
  leave the follow-up alone — the contact was made for the first go-live.
- `due_date = go_live_date + LifecycleSettings.followup_days` (the organization's days).
- The start handler is idempotent: it acts only on a *scheduled* follow-up, its task carries
  `source_key = followup:<id>` and its welcome message `dedupe_key = followup:<id>:welcome`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from tenancy.models import TenantModel


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class FollowUpOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    ISSUE_FOUND = "issue_found", _("Issue found")


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class FollowUp(TenantModel):
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+"
    )
    go_live_date = models.DateField(_("go-live date"))
    due_date = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=FollowUpStatus, default=FollowUpStatus.SCHEDULED
    )
    task = models.ForeignKey(
        "lifecycle.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.ForeignKey(
        "outreach.OutboundMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=FollowUpOutcome, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="followup_unique_org_id"),
            models.UniqueConstraint(
                fields=["organization", "account"], name="followup_one_per_account"
            ),
            models.CheckConstraint(
                condition=Q(status="done", recorded_at__isnull=False, outcome__gt="")
                | ~Q(status="done"),
                name="followup_done_has_outcome",
            ),
        ]
        indexes = [
            # My day and the overdue selector: open follow-ups by due date.
            models.Index(fields=["organization", "status", "due_date"], name="followup_org_due"),
            # The report: follow-ups due in a period.
            models.Index(fields=["organization", "due_date", "id"], name="followup_org_period"),
        ]

    def __str__(self) -> str:
        return f"follow-up of {self.account_id} ({self.go_live_date})"
