"""Tasks and playbooks: the CSM's to-do list and the rules that fill it.

Invariants:
- A Task made by automation carries a `source_key`, unique per organization when not empty;
  a second attempt for the same cause inserts nothing (`bulk_create(ignore_conflicts=True)`
  or the service's get-on-conflict). Keys: `pb:<step id>:<account id>:<cause>` for playbook
  steps; other sources choose their own prefix (e.g. `fu:<followup id>`).
- A PlaybookStep's due date is `fired + N days` (anchor `fired`) or `contract end - N days`
  (anchor `contract_end`: the renewal reminders at 120/90/60/30 days).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from tenancy.models import Membership, TenantModel

MAX_OFFSET_DAYS = 365


class TaskKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    REVIEW = "review", _("Review")
    ESCALATION = "escalation", _("Escalation")
    FOLLOW_UP = "follow_up", _("Follow-up")
    OTHER = "other", _("Other")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TaskSource(models.TextChoices):
    PLAYBOOK = "playbook", _("Playbook")
    FOLLOW_UP = "follow_up", _("Follow-up")
    ALERT = "alert", _("Alert")
    MANUAL = "manual", _("Manual")


class PlaybookTrigger(models.TextChoices):
    """Stable trigger names: other parts of the code fire them by these strings."""

    STAGE_ENTERED = "stage_entered", _("Stage entered")
    BAND_CHANGED = "band_changed", _("Health band dropped")
    SCORE_DROPPED = "score_dropped", _("Health score dropped")
    RENEWAL_WINDOW = "renewal_window", _("Renewal window entered")
    DETRACTOR = "detractor", _("Detractor answer")
    PROMOTER = "promoter", _("Promoter answer")
    FOLLOWUP_OUTCOME = "followup_outcome", _("Follow-up outcome recorded")


class DueAnchor(models.TextChoices):
    FIRED = "fired", _("days after the trigger")
    CONTRACT_END = "contract_end", _("days before the contract ends")


class Playbook(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    trigger = models.CharField(_("trigger"), max_length=20, choices=PlaybookTrigger)
    # Empty = any value; else the stage (stage_entered), the band (band_changed) or the
    # outcome (followup_outcome) the playbook reacts to.
    trigger_value = models.CharField(_("only when"), max_length=20, blank=True, default="")
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True, default="")
    # Set on seeded defaults so seeding again never duplicates them (empty for custom ones).
    default_key = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        ordering = ["trigger", "trigger_value", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="playbook_unique_org_id"),
            models.UniqueConstraint(
                fields=["organization", "default_key"],
                condition=~Q(default_key=""),
                name="playbook_unique_default_key",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "trigger", "active"], name="playbook_org_trigger"),
        ]

    def __str__(self) -> str:
        return self.name


class PlaybookStep(TenantModel):
    playbook = models.ForeignKey(
        Playbook, verbose_name=_("playbook"), on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=TaskKind, default=TaskKind.CALL)
    due_offset_days = models.PositiveSmallIntegerField(
        _("due in (days)"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_OFFSET_DAYS)],
    )
    due_anchor = models.CharField(
        _("counted"), max_length=12, choices=DueAnchor, default=DueAnchor.FIRED
    )
    # "owner" or "role:<role>" (lifecycle.services.playbooks.assignee_rule_choices()).
    assignee_rule = models.CharField(_("assignee"), max_length=20, default="owner")

    class Meta:
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="playbookstep_unique_org_id"
            ),
            models.CheckConstraint(
                condition=Q(due_offset_days__lte=MAX_OFFSET_DAYS),
                name="playbookstep_offset_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "playbook", "order"], name="playbookstep_org_playbook"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Task(TenantModel):
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="tasks"
    )
    assignee = models.ForeignKey(
        Membership,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=TaskKind, default=TaskKind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus, default=TaskStatus.OPEN
    )
    outcome = models.TextField(_("outcome"), blank=True, default="")
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(
        _("source"), max_length=10, choices=TaskSource, default=TaskSource.MANUAL
    )
    source_key = models.CharField(max_length=120, blank=True, default="")
    playbook = models.ForeignKey(
        Playbook, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    step = models.ForeignKey(
        PlaybookStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="task_unique_org_id"),
            models.UniqueConstraint(
                fields=["organization", "source_key"],
                condition=~Q(source_key=""),
                name="task_unique_source_key",
            ),
        ]
        indexes = [
            # "My open tasks by due" and the whole team's list (manager view).
            models.Index(
                fields=["organization", "assignee", "status", "due_at"], name="task_org_assignee"
            ),
            models.Index(fields=["organization", "status", "due_at"], name="task_org_status_due"),
            # Account 360 panel and timeline.
            models.Index(
                fields=["organization", "account", "status", "due_at"], name="task_org_account"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.status == TaskStatus.OPEN and self.due_at < timezone.now()
