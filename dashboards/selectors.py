"""My day: the CSM's home page in a fixed, small number of queries.

Every section is one LIMITed list plus its count (the counts of a kind share one aggregate
statement), filtered on indexes that start with the organization: tasks by
(organization, assignee, status, due_at), follow-ups by (organization, status, due_date),
stage transitions by (organization, -at), accounts by (organization, owner, …). The number of
statements does not depend on the size of the book (tests/dashboards). Accounts past an SLA
(the stage engine's flags: onboarding, follow-up, renewal) are one statement for the count and
the rows together (`COUNT(*) OVER ()`), plus the lifecycle settings read.

"Whose day": a member (their tasks and the accounts they own) or, for managers, `None` = the
unassigned work (tasks without assignee, accounts without owner).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Window
from django.utils import timezone

from accounts.models import Account, HealthBand, Stage
from lifecycle.models import FollowUp, Task
from lifecycle.models.followup import FollowUpStatus
from lifecycle.models.tasks import TaskStatus
from lifecycle.selectors_sla import (
    SlaBreachFilters,
    sla_breach_list,
    sla_breaches_attach,
    sla_windows,
)
from tenancy.models import Membership, Organization

SECTION_LIMIT = 8
FOLLOWUP_LIMIT = 10
UPCOMING_DAYS = 7
RECORDED_LIMIT = 5
STAGE_CHANGE_DAYS = 7


@dataclass
class MyDay:
    now: datetime
    today_start: datetime
    overdue_tasks: list[Task] = field(default_factory=list)
    overdue_tasks_count: int = 0
    today_tasks: list[Task] = field(default_factory=list)
    today_tasks_count: int = 0
    upcoming_tasks: list[Task] = field(default_factory=list)
    upcoming_tasks_count: int = 0
    followups: list[FollowUp] = field(default_factory=list)
    followups_count: int = 0
    followups_overdue_count: int = 0
    recorded_today: list[FollowUp] = field(default_factory=list)
    stage_changes: list = field(default_factory=list)
    stage_changes_count: int = 0
    red_accounts: list[Account] = field(default_factory=list)
    red_accounts_count: int = 0
    sla_accounts: list[Account] = field(default_factory=list)
    sla_accounts_count: int = 0
    limit: int = SECTION_LIMIT
    followup_limit: int = FOLLOWUP_LIMIT

    @property
    def is_clear(self) -> bool:
        return not (self.overdue_tasks_count or self.today_tasks_count or self.followups_count)


def _stage_transition_model():
    try:
        from lifecycle.models import StageTransition
    except ImportError:  # the stage engine is not installed yet
        return None
    return StageTransition


def my_day(
    *,
    organization: Organization,
    member: Membership | None,
    now: datetime | None = None,
    limit: int = SECTION_LIMIT,
) -> MyDay:
    """Everything My day shows for `member` (None = unassigned work)."""
    tz = ZoneInfo(organization.time_zone)
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=tz)
    start = datetime.combine(today, time.min, tzinfo=tz)
    tomorrow = start + timedelta(days=1)
    horizon = tomorrow + timedelta(days=UPCOMING_DAYS)
    day = MyDay(now=now, today_start=start, limit=limit)

    mine_task = Q(assignee=member) if member is not None else Q(assignee__isnull=True)
    mine_account = (
        Q(account__owner=member) if member is not None else Q(account__owner__isnull=True)
    )
    open_tasks = Task.objects.filter(mine_task, organization=organization, status=TaskStatus.OPEN)
    counts = open_tasks.filter(due_at__lt=horizon).aggregate(
        overdue=Count("id", filter=Q(due_at__lt=start)),
        today=Count("id", filter=Q(due_at__gte=start, due_at__lt=tomorrow)),
        upcoming=Count("id", filter=Q(due_at__gte=tomorrow)),
    )
    day.overdue_tasks_count = counts["overdue"]
    day.today_tasks_count = counts["today"]
    day.upcoming_tasks_count = counts["upcoming"]
    tasks = open_tasks.select_related("account", "assignee__user")
    day.overdue_tasks = list(tasks.filter(due_at__lt=start).order_by("due_at", "id")[:limit])
    day.today_tasks = list(
        tasks.filter(due_at__gte=start, due_at__lt=tomorrow).order_by("due_at", "id")[:limit]
    )
    day.upcoming_tasks = list(
        tasks.filter(due_at__gte=tomorrow, due_at__lt=horizon).order_by("due_at", "id")[:limit]
    )

    followups = FollowUp.objects.filter(mine_account, organization=organization)
    open_followups = followups.filter(status=FollowUpStatus.OPEN)
    counts = open_followups.aggregate(
        total=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today))
    )
    day.followups_count = counts["total"]
    day.followups_overdue_count = counts["overdue"]
    day.followups = list(
        open_followups.select_related(
            "account", "account__owner__user", "task", "message"
        ).order_by("due_date", "id")[:FOLLOWUP_LIMIT]
    )
    day.recorded_today = list(
        followups.filter(status=FollowUpStatus.DONE, recorded_at__gte=start)
        .select_related("account", "account__owner__user", "recorded_by")
        .order_by("-recorded_at", "-id")[:RECORDED_LIMIT]
    )

    transition = _stage_transition_model()
    if transition is not None:
        changes = transition.objects.filter(
            mine_account,
            organization=organization,
            at__gte=now - timedelta(days=STAGE_CHANGE_DAYS),
        )
        day.stage_changes_count = changes.count()
        day.stage_changes = list(changes.select_related("account").order_by("-at", "-id")[:limit])

    owned = Q(owner=member) if member is not None else Q(owner__isnull=True)
    red = Account.objects.filter(
        owned, organization=organization, health_band=HealthBand.RED
    ).exclude(stage=Stage.CHURNED)
    day.red_accounts_count = red.count()
    day.red_accounts = list(red.order_by("-arr_cents", "id")[:limit])

    windows = sla_windows(organization=organization, today=today)
    filters = SlaBreachFilters(owner=member.pk) if member is not None else None
    breaching = sla_breach_list(
        organization=organization,
        filters=filters or SlaBreachFilters(owner_none=True),
        windows=windows,
    ).annotate(sla_total=Window(Count("id")))
    rows: list[Any] = list(breaching.order_by("-arr_cents", "id")[:limit])
    day.sla_accounts = rows
    day.sla_accounts_count = rows[0].sla_total if rows else 0
    sla_breaches_attach(rows, windows=windows)
    return day


def my_day_members(*, organization: Organization) -> list[Membership]:
    """Members a manager can look at (everyone who can own accounts)."""
    return list(
        Membership.objects.filter(organization=organization)
        .exclude(role="viewer")
        .select_related("user")
        .order_by("user__name", "user__email")
    )


def organization_has_accounts(*, organization: Organization) -> bool:
    """Asked only when a day is empty: a new workspace gets the import prompt instead."""
    return Account.objects.filter(organization=organization).exists()
