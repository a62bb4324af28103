"""Reads of touchpoints, success plans and advocacy records (DESIGN.md, Decisions:
touchpoints, timeline, success plans, advocacy).

Objective status is derived, never stored (it moves with the calendar):
- *achieved* when the current value reached the target (target above baseline: higher is
  better, `current ≥ target`; below: lower is better, `current ≤ target`);
- else *missed* when today is after the due date;
- else *on track* when progress ≥ elapsed - TOLERANCE, *at risk* otherwise, where
  progress = clamp((current - baseline) / (target - baseline), 0, 1) (no value yet: 0) and
  elapsed = clamp((today - start_date) / (due_date - start_date), 0, 1) in days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, QuerySet

from accounts.models import Account
from lifecycle.models.advocacy import AdvocacyRecord, AdvocacyStatus
from lifecycle.models.success import Objective, ObjectiveStatus, SuccessPlan, SuccessPlanStatus
from tenancy.models import Organization

TOLERANCE = 0.10


@dataclass(frozen=True)
class ObjectiveProgress:
    status: str
    progress: float
    elapsed: float

    @property
    def progress_percent(self) -> int:
        return round(self.progress * 100)

    @property
    def elapsed_percent(self) -> int:
        return round(self.elapsed * 100)


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def objective_progress(
    *,
    baseline: float,
    target: float,
    current: float | None,
    start_date: date,
    due_date: date,
    today: date,
) -> ObjectiveProgress:
    higher_is_better = target > baseline
    progress = 0.0 if current is None else _clamp((current - baseline) / (target - baseline))
    span = (due_date - start_date).days
    elapsed = _clamp((today - start_date).days / span) if span > 0 else 1.0
    if current is not None and (current >= target if higher_is_better else current <= target):
        status = ObjectiveStatus.ACHIEVED
    elif today > due_date:
        status = ObjectiveStatus.MISSED
    elif progress >= elapsed - TOLERANCE:
        status = ObjectiveStatus.ON_TRACK
    else:
        status = ObjectiveStatus.AT_RISK
    return ObjectiveProgress(status=str(status), progress=progress, elapsed=elapsed)


def objective_progress_for(objective: Objective, today: date) -> ObjectiveProgress:
    return objective_progress(
        baseline=objective.baseline,
        target=objective.target,
        current=objective.current_value,
        start_date=objective.start_date,
        due_date=objective.due_date,
        today=today,
    )


def success_plans_for_account(*, organization: Organization, account: Account) -> list[SuccessPlan]:
    """The account's plans, active first, each with its objectives (two queries)."""
    plans = (
        SuccessPlan.objects.filter(organization=organization, account=account)
        .select_related("owner__user")
        .prefetch_related(
            Prefetch(
                "objectives",
                queryset=Objective.objects.filter(organization=organization).order_by(
                    "due_date", "id"
                ),
            )
        )
        .order_by("status", "-id")
    )
    active = [p for p in plans if p.status == SuccessPlanStatus.ACTIVE]
    return active + [p for p in plans if p.status != SuccessPlanStatus.ACTIVE]


@dataclass(frozen=True)
class AdvocacyFilters:
    kind: str = ""
    status: str = ""
    account: Account | None = None


def advocacy_record_list(
    *, organization: Organization, filters: AdvocacyFilters | None = None
) -> QuerySet[AdvocacyRecord]:
    filters = filters or AdvocacyFilters()
    queryset = AdvocacyRecord.objects.filter(organization=organization)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.account is not None:
        queryset = queryset.filter(account=filters.account)
    return queryset.select_related("account", "contact").order_by("-id")


def advocacy_status_counts(*, organization: Organization, kind: str = "") -> dict[str, int]:
    """Records per status (every status present, zero when none), one GROUP BY query."""
    queryset = AdvocacyRecord.objects.filter(organization=organization)
    if kind:
        queryset = queryset.filter(kind=kind)
    counts = dict(queryset.order_by().values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in AdvocacyStatus.values}


def advocacy_page(
    *, organization: Organization, filters: AdvocacyFilters, page_number: str | None, size: int
) -> Page:
    return Paginator(
        advocacy_record_list(organization=organization, filters=filters), size
    ).get_page(page_number)
