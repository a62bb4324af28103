"""Success plans and their objectives.

Invariants (DESIGN.md, Decisions: success plans):
- An objective's `account` is its plan's account (set by the service; kept on the row so the
  rollup refresh is one statement without a join).
- `target != baseline` (check constraint): the direction of "better" is taken from their
  order (target above baseline: higher is better; below: lower is better).
- A bound objective (`metric_event` not empty) gets `current_value` from healthscore's
  `EventDaily` rollups (`objective_bound_refresh`); a typed value is refused for it.
- At most one active plan per account.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from tenancy.models import Membership, TenantModel


class SuccessPlanStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    ARCHIVED = "archived", _("Archived")


class MetricWindow(models.TextChoices):
    WEEKLY = "weekly", _("Last 7 days")
    MONTHLY = "monthly", _("Last 30 days")


class MetricAggregate(models.TextChoices):
    COUNT = "count", _("Number of events")
    SUM = "sum", _("Sum of quantity")


class ObjectiveStatus(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    ACHIEVED = "achieved", _("Achieved")
    MISSED = "missed", _("Missed")


WINDOW_DAYS = {MetricWindow.WEEKLY: 7, MetricWindow.MONTHLY: 30}


class SuccessPlan(TenantModel):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="success_plans", verbose_name=_("account")
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SuccessPlanStatus, default=SuccessPlanStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("success plan")
        verbose_name_plural = _("success plans")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="successplan_unique_org_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "account"],
                condition=models.Q(status="active"),
                name="successplan_one_active_per_account",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "account", "id"], name="successplan_org_account")
        ]

    def __str__(self) -> str:
        return self.title


class Objective(TenantModel):
    plan = models.ForeignKey(
        SuccessPlan, on_delete=models.CASCADE, related_name="objectives", verbose_name=_("plan")
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    metric = models.CharField(_("metric"), max_length=200)
    baseline = models.FloatField(_("baseline"))
    target = models.FloatField(_("target"))
    start_date = models.DateField(_("start date"))
    due_date = models.DateField(_("due date"))
    current_value = models.FloatField(_("current value"), null=True, blank=True)
    current_value_at = models.DateTimeField(null=True, blank=True)
    metric_event = models.CharField(_("bound to event"), max_length=100, blank=True)
    metric_window = models.CharField(_("window"), max_length=8, choices=MetricWindow, blank=True)
    metric_aggregate = models.CharField(
        _("aggregate"), max_length=8, choices=MetricAggregate, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="objective_unique_org_id"),
            models.CheckConstraint(
                condition=~models.Q(target=models.F("baseline")),
                name="objective_target_differs_from_baseline",
            ),
            models.CheckConstraint(
                condition=models.Q(due_date__gt=models.F("start_date")),
                name="objective_due_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(metric_event="")
                | (~models.Q(metric_window="") & ~models.Q(metric_aggregate="")),
                name="objective_bound_has_window",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "plan", "due_date"], name="objective_org_plan"),
            models.Index(
                fields=["organization", "metric_event"],
                condition=~models.Q(metric_event=""),
                name="objective_org_bound",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_bound(self) -> bool:
        return bool(self.metric_event)
