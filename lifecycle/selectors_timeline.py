"""The Account 360 timeline: touchpoints, outbound messages, stage transitions and tasks
(created and completed), newest first, in keyset pages.

Contract (DESIGN.md, Decisions: timeline):
- Every entry has a key (at, rank, id): `at` its time, `rank` a fixed number per source (ties
  on `at` order by source, then id). A page is read as ONE query per source, each asking for
  the `size + 1` newest rows strictly before the cursor key; the union is merged in Python
  and cut at `size`. So a page costs `len(SOURCES)` queries whatever its contents (no N+1:
  related rows come through `select_related`), and deep pages cost the same as the first.
- The cursor is `"<at in µs since epoch>.<rank>.<id>"`; a malformed cursor reads as the first
  page (the cursor comes from our own "load more" link, a bad one is not worth an error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Account
from lifecycle.models.stages import StageTransition
from lifecycle.models.tasks import Task
from lifecycle.models.touchpoints import Touchpoint
from outreach.models import OutboundMessage
from tenancy.ids import MAX_ID
from tenancy.models import Organization

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class TimelineCursor:
    at: datetime
    rank: int
    id: int

    def encode(self) -> str:
        micros = (self.at - EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.rank}.{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> TimelineCursor | None:
        if not text or len(text) > 60:
            return None
        parts = text.split(".")
        if len(parts) != 3 or not all(part.isdigit() for part in parts):
            return None
        micros, rank, pk = (int(part) for part in parts)
        if micros > 10**17 or rank > 100 or not 0 < pk <= MAX_ID:
            return None
        return cls(at=EPOCH + timedelta(microseconds=micros), rank=rank, id=pk)


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # touchpoint, message, stage, task_created, task_completed
    at: datetime
    rank: int
    id: int
    obj: Any

    @property
    def key(self) -> TimelineCursor:
        return TimelineCursor(at=self.at, rank=self.rank, id=self.id)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None


@dataclass(frozen=True)
class Source:
    kind: str
    rank: int
    time_field: str
    rows: Callable[[Organization, Account], QuerySet]


def _touchpoints(organization: Organization, account: Account) -> QuerySet:
    return Touchpoint.objects.filter(organization=organization, account=account).select_related(
        "contact", "logged_by"
    )


def _messages(organization: Organization, account: Account) -> QuerySet:
    return OutboundMessage.objects.filter(
        organization=organization, account=account
    ).select_related("contact")


def _transitions(organization: Organization, account: Account) -> QuerySet:
    return StageTransition.objects.filter(
        organization=organization, account=account
    ).select_related("actor")


def _tasks_created(organization: Organization, account: Account) -> QuerySet:
    return Task.objects.filter(organization=organization, account=account).select_related(
        "assignee__user", "created_by__user"
    )


def _tasks_completed(organization: Organization, account: Account) -> QuerySet:
    return Task.objects.filter(
        organization=organization, account=account, completed_at__isnull=False
    ).select_related("assignee__user", "completed_by__user")


SOURCES: tuple[Source, ...] = (
    Source("touchpoint", 5, "occurred_at", _touchpoints),
    Source("message", 4, "created_at", _messages),
    Source("stage", 3, "at", _transitions),
    Source("task_completed", 2, "completed_at", _tasks_completed),
    Source("task_created", 1, "created_at", _tasks_created),
)


def _before(source: Source, cursor: TimelineCursor) -> Q:
    field = source.time_field
    if source.rank < cursor.rank:
        return Q(**{f"{field}__lte": cursor.at})
    if source.rank > cursor.rank:
        return Q(**{f"{field}__lt": cursor.at})
    return Q(**{f"{field}__lt": cursor.at}) | Q(**{field: cursor.at, "id__lt": cursor.id})


def account_timeline(
    *,
    organization: Organization,
    account: Account,
    cursor: str | None = None,
    size: int = PAGE_SIZE,
) -> TimelinePage:
    """One page of the account's timeline, newest first (see the module docstring)."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    after = TimelineCursor.decode(cursor)
    entries: list[TimelineEntry] = []
    for source in SOURCES:
        rows = source.rows(organization, account)
        if after is not None:
            rows = rows.filter(_before(source, after))
        rows = rows.order_by(f"-{source.time_field}", "-id")[: size + 1]
        entries.extend(
            TimelineEntry(
                kind=source.kind,
                at=getattr(row, source.time_field),
                rank=source.rank,
                id=row.pk,
                obj=row,
            )
            for row in rows
        )
    entries.sort(key=lambda entry: (entry.at, entry.rank, entry.id), reverse=True)
    page = entries[:size]
    next_cursor = page[-1].key.encode() if len(entries) > size else None
    return TimelinePage(entries=page, next_cursor=next_cursor)
