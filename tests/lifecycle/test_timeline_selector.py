"""The Account 360 timeline: every source merged newest first, keyset pages without gaps or
repeats, and a fixed number of queries per page whatever the data."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecycle.selectors_timeline import SOURCES, TimelineCursor, account_timeline
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_records import TouchpointFactory
from tests.lifecycle.factories_stages import StageTransitionFactory
from tests.lifecycle.factories_tasks import TaskFactory
from tests.outreach.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _feed(account, n: int) -> None:
    """n entries of each kind (tasks give two: created, completed)."""
    for i in range(n):
        TouchpointFactory(account=account, occurred_at=_at(10 * i))
        OutboundMessageFactory(account=account, created_at=_at(10 * i + 1))
        StageTransitionFactory(account=account, at=_at(10 * i + 2))
        TaskFactory(
            organization=account.organization,
            account=account,
            created_at=_at(10 * i + 3),
            completed_at=_at(10 * i + 4),
            status="done",
        )


def test_entries_of_every_source_newest_first(org, in_scope):
    account = AccountFactory(organization=org)
    _feed(account, 1)
    TouchpointFactory(account=AccountFactory(organization=org), occurred_at=_at(100))

    with in_scope(org):
        page = account_timeline(organization=org, account=account)

    assert [(e.kind, e.at) for e in page.entries] == [
        ("task_completed", _at(4)),
        ("task_created", _at(3)),
        ("stage", _at(2)),
        ("message", _at(1)),
        ("touchpoint", _at(0)),
    ]
    assert page.next_cursor is None


def test_ties_order_by_source_then_id(org, in_scope):
    account = AccountFactory(organization=org)
    first = TouchpointFactory(account=account, occurred_at=_at(0))
    second = TouchpointFactory(account=account, occurred_at=_at(0))
    stage = StageTransitionFactory(account=account, at=_at(0))

    with in_scope(org):
        page = account_timeline(organization=org, account=account)

    assert [(e.kind, e.id) for e in page.entries] == [
        ("touchpoint", second.pk),
        ("touchpoint", first.pk),
        ("stage", stage.pk),
    ]


def test_pages_cover_everything_once(org, in_scope):
    # Given 7 of each kind (35 entries) including ties across pages
    account = AccountFactory(organization=org)
    _feed(account, 7)
    TouchpointFactory(account=account, occurred_at=_at(30))
    TouchpointFactory(account=account, occurred_at=_at(30))

    # When the pages are followed with the cursor, 6 at a time
    seen, cursor, pages = [], None, 0
    with in_scope(org):
        while True:
            page = account_timeline(organization=org, account=account, cursor=cursor, size=6)
            seen.extend((e.kind, e.id, e.at) for e in page.entries)
            pages += 1
            cursor = page.next_cursor
            if cursor is None:
                break

    # Then every entry came once, in order
    assert len(seen) == 37
    assert len(set(seen)) == 37
    assert pages == 7
    keys = [(at, next(s.rank for s in SOURCES if s.kind == kind), pk) for kind, pk, at in seen]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize("bad", ["", "abc", "1.2", "-5.1.1", "1.1.99999999999999999999", "x" * 99])
def test_malformed_cursor_reads_as_the_first_page(bad, org, in_scope):
    account = AccountFactory(organization=org)
    TouchpointFactory(account=account)

    with in_scope(org):
        page = account_timeline(organization=org, account=account, cursor=bad)

    assert len(page.entries) == 1
    assert TimelineCursor.decode(bad) is None


def test_cursor_round_trip():
    cursor = TimelineCursor(at=datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC), rank=3, id=42)

    assert TimelineCursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize("per_kind", [1, 10])
def test_query_count_does_not_depend_on_the_data(per_kind, org, in_scope):
    # 1 → 5 entries, 10 → 50 entries (a full page of 20 and more)
    account = AccountFactory(organization=org)
    _feed(account, per_kind)

    with in_scope(org), CaptureQueriesContext(connection) as first_page:
        page = account_timeline(organization=org, account=account)
        for entry in page.entries:  # what the template reads
            str(entry.obj)
            getattr(entry.obj, "contact", None)
            getattr(entry.obj, "logged_by", None)
            getattr(entry.obj, "actor", None)
            getattr(entry.obj, "assignee", None)
    with in_scope(org), CaptureQueriesContext(connection) as next_page:
        account_timeline(organization=org, account=account, cursor=page.next_cursor)

    assert len(first_page.captured_queries) == len(SOURCES) == 5
    assert len(next_page.captured_queries) == 5
