"""Reads of tasks and playbooks for pages and the API (fixed query counts, indexed filters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from lifecycle.models import Playbook, Task
from lifecycle.models.tasks import TaskStatus
from tenancy.models import Membership, Organization


@dataclass(frozen=True)
class TaskFilters:
    assignee: str | int = "me"  # me | all | none | member id
    status: str = "open"  # open | done | cancelled | all
    due: str = ""  # "" | overdue | today | week
    account: int | None = None


def day_bounds(organization: Organization, now: datetime | None = None) -> tuple[datetime, ...]:
    """(now, start of today, start of tomorrow, start of the day a week from today) in the
    organization's time zone."""
    tz = ZoneInfo(organization.time_zone)
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=tz)
    start = datetime.combine(today, time.min, tzinfo=tz)
    return now, start, start + timedelta(days=1), start + timedelta(days=8)


def task_list(
    *, organization: Organization, membership: Membership, filters: TaskFilters
) -> QuerySet[Task]:
    """Tasks for the list page, open ones by due date first (index `task_org_assignee` or
    `task_org_status_due`)."""
    queryset = Task.objects.filter(organization=organization).select_related(
        "account", "assignee__user"
    )
    if filters.assignee == "me":
        queryset = queryset.filter(assignee=membership)
    elif filters.assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif isinstance(filters.assignee, int):
        queryset = queryset.filter(assignee_id=filters.assignee)
    if filters.status != "all":
        queryset = queryset.filter(status=filters.status)
    if filters.account is not None:
        queryset = queryset.filter(account_id=filters.account)
    now, start, tomorrow, week_end = day_bounds(organization)
    if filters.due == "overdue":
        queryset = queryset.filter(status=TaskStatus.OPEN, due_at__lt=now)
    elif filters.due == "today":
        queryset = queryset.filter(due_at__gte=start, due_at__lt=tomorrow)
    elif filters.due == "week":
        queryset = queryset.filter(due_at__gte=start, due_at__lt=week_end)
    if filters.status == TaskStatus.OPEN:
        return queryset.order_by("due_at", "id")
    return queryset.order_by("-due_at", "-id")


def task_counts(*, organization: Organization, membership: Membership, assignee) -> dict:
    """Open tasks of the chosen assignee: overdue, due today, total (one aggregate query)."""
    now, _start, tomorrow, _week = day_bounds(organization)
    queryset = Task.objects.filter(organization=organization, status=TaskStatus.OPEN)
    if assignee == "me":
        queryset = queryset.filter(assignee=membership)
    elif assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif isinstance(assignee, int):
        queryset = queryset.filter(assignee_id=assignee)
    return queryset.aggregate(
        open=Count("id"),
        overdue=Count("id", filter=Q(due_at__lt=now)),
        today=Count("id", filter=Q(due_at__gte=now, due_at__lt=tomorrow)),
    )


def account_tasks(*, organization: Organization, account_id: int, done_limit: int = 5):
    """The Account 360 panel: open tasks by due date (up to 25) and the last done ones."""
    base = Task.objects.filter(organization=organization, account_id=account_id).select_related(
        "assignee__user"
    )
    open_tasks = list(base.filter(status=TaskStatus.OPEN).order_by("due_at", "id")[:26])
    done = list(base.filter(status=TaskStatus.DONE).order_by("-completed_at", "-id")[:done_limit])
    return open_tasks[:25], len(open_tasks) > 25, done


def playbook_list(*, organization: Organization) -> list[Playbook]:
    return list(
        Playbook.objects.filter(organization=organization)
        .prefetch_related("steps")
        .order_by("trigger", "trigger_value", "name", "id")
    )
