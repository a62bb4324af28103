"""Reads of the 7-day follow-up: due/overdue lists (board, My day, API) and the report.

Overdue = not done after its due date: status scheduled or open and `due_date` before the
organization's today. The report is set-based (aggregates in SQL, one statement each).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet

from lifecycle.models import FollowUp
from lifecycle.models.followup import FollowUpOutcome, FollowUpStatus
from tenancy.models import Membership, Organization
from tenancy.timezones import organization_today

ACTIVE = (FollowUpStatus.SCHEDULED, FollowUpStatus.OPEN)


def followups_overdue(
    *, organization: Organization, today: date | None = None
) -> QuerySet[FollowUp]:
    """Follow-ups not done after their due date (a queryset: filter by owner, count, page)."""
    today = today or organization_today(organization)
    return FollowUp.objects.filter(organization=organization, status__in=ACTIVE, due_date__lt=today)


def followup_is_overdue(followup: FollowUp, *, today: date) -> bool:
    return followup.status in ACTIVE and followup.due_date < today


def followups_due(
    *, organization: Organization, owner: Membership | None = None, today: date | None = None
) -> QuerySet[FollowUp]:
    """Open follow-ups (the start ran), oldest due first — My day's "follow-ups due" list:
    everything open is due within the window, so it is all listed; overdue ones first."""
    queryset = FollowUp.objects.filter(organization=organization, status=FollowUpStatus.OPEN)
    if owner is not None:
        queryset = queryset.filter(account__owner=owner)
    return queryset.select_related("account", "account__owner__user", "task", "message").order_by(
        "due_date", "id"
    )


def followup_list(
    *,
    organization: Organization,
    status: str = "",
    owner: Membership | None = None,
    account_id: int | None = None,
    overdue: bool | None = None,
) -> QuerySet[FollowUp]:
    queryset = FollowUp.objects.filter(organization=organization).select_related("account")
    if status:
        queryset = queryset.filter(status=status)
    if owner is not None:
        queryset = queryset.filter(account__owner=owner)
    if account_id is not None:
        queryset = queryset.filter(account_id=account_id)
    if overdue is not None:
        today = organization_today(organization)
        late = Q(status__in=ACTIVE, due_date__lt=today)
        queryset = queryset.filter(late) if overdue else queryset.exclude(late)
    return queryset


def followup_for_account(*, organization: Organization, account_id: int) -> FollowUp | None:
    return (
        FollowUp.objects.filter(organization=organization, account_id=account_id)
        .select_related("account", "account__owner__user", "task", "recorded_by", "message")
        .first()
    )


@dataclass(frozen=True)
class FollowUpFigures:
    owner_id: int | None
    owner_name: str
    due: int
    done: int
    done_on_time: int
    median_days_to_contact: float | None
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def completion_rate(self) -> float | None:
        return None if self.due == 0 else self.done / self.due

    @property
    def on_time_rate(self) -> float | None:
        return None if self.due == 0 else self.done_on_time / self.due

    @property
    def completion_percent(self) -> float | None:
        rate = self.completion_rate
        return None if rate is None else round(rate * 100, 1)

    @property
    def on_time_percent(self) -> float | None:
        rate = self.on_time_rate
        return None if rate is None else round(rate * 100, 1)

    @property
    def outcome_items(self) -> list[tuple[str, str, int]]:
        return [
            (value, str(label), self.outcomes.get(value, 0))
            for value, label in FollowUpOutcome.choices
        ]

    @property
    def outcome_counts(self) -> list[int]:
        return [self.outcomes.get(value, 0) for value in FollowUpOutcome.values]


@dataclass(frozen=True)
class FollowUpReport:
    start: date
    end: date
    overall: FollowUpFigures
    per_owner: list[FollowUpFigures]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def followup_report(
    *, organization: Organization, start: date, end: date, owner: Membership | None = None
) -> FollowUpReport:
    """Follow-ups due in [start, end) (cancelled ones excluded): completion rate (done ÷ due),
    on-time rate, median days from go-live to the recorded contact, outcomes — per owner of
    the account and overall. One aggregate statement; medians and on-time come from one
    narrow read of (owner, go-live, due, recorded) of the done follow-ups in the period."""
    base = FollowUp.objects.filter(
        organization=organization, due_date__gte=start, due_date__lt=end
    ).exclude(status=FollowUpStatus.CANCELLED)
    if owner is not None:
        base = base.filter(account__owner=owner)
    done = Q(status=FollowUpStatus.DONE)
    aggregates = {
        "due": Count("id"),
        "done": Count("id", filter=done),
        **{
            f"outcome_{value}": Count("id", filter=Q(outcome=value))
            for value in FollowUpOutcome.values
        },
    }
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in base.values("account__owner").annotate(**aggregates).order_by("account__owner")
    ]
    # Days from go-live to contact and "on time" in the organization's calendar: the local day
    # of recorded_at (one narrow read of the done follow-ups of the period).
    contacts = base.filter(done).values_list(
        "account__owner", "go_live_date", "due_date", "recorded_at"
    )
    tz = ZoneInfo(organization.time_zone)
    days: dict[int | None, list[float]] = {}
    on_time: dict[int | None, int] = {}
    for owner_id, go_live, due_date, recorded_at in contacts:
        if recorded_at is None:
            continue
        contact_day = recorded_at.astimezone(tz).date()
        days.setdefault(owner_id, []).append((contact_day - go_live).days)
        on_time[owner_id] = on_time.get(owner_id, 0) + (contact_day <= due_date)
    names = {
        pk: name or email
        for pk, name, email in Membership.objects.filter(
            organization=organization,
            pk__in=[row["account__owner"] for row in rows if row["account__owner"]],
        ).values_list("pk", "user__name", "user__email")
    }

    def figures(owner_id: int | None, row: dict[str, Any]) -> FollowUpFigures:
        return FollowUpFigures(
            owner_id=owner_id,
            owner_name=names.get(owner_id, "") if owner_id else "",
            due=row["due"],
            done=row["done"],
            done_on_time=on_time.get(owner_id, 0),
            median_days_to_contact=_median(days.get(owner_id, [])),
            outcomes={value: row[f"outcome_{value}"] for value in FollowUpOutcome.values},
        )

    per_owner = [figures(row["account__owner"], row) for row in rows]
    totals = {key: sum(row[key] for row in rows) for key in aggregates}
    overall = FollowUpFigures(
        owner_id=None,
        owner_name="",
        due=totals["due"],
        done=totals["done"],
        done_on_time=sum(on_time.values()),
        median_days_to_contact=_median([d for values in days.values() for d in values]),
        outcomes={value: totals[f"outcome_{value}"] for value in FollowUpOutcome.values},
    )
    per_owner.sort(key=lambda f: (f.owner_id is None, f.owner_name.lower()))
    return FollowUpReport(start=start, end=end, overall=overall, per_owner=per_owner)
