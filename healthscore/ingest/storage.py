"""Storing validated event rows: the PostgreSQL path (COPY + one statement with
data-modifying CTEs) and the SQLite path (multi-row INSERTs, then `rollups_add`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from healthscore.models import (
    FIXED_KINDS,
    ContactActivity,
    Event,
    EventDaily,
    EventKind,
    HealthDirty,
    event_kind,
)
from healthscore.sql import (
    COPY_NULL,
    _copy_json,
    _copy_text,
    _staging_table,
    bulk_upsert,
    is_postgresql,
)
from tenancy.models import Organization

EVENT_COLUMNS = [
    ("organization_id", "bigint"),
    ("account_id", "bigint"),
    ("contact_id", "bigint"),
    ("name", "text"),
    ("occurred_at", "timestamptz"),
    ("day", "date"),
    ("quantity", "float8"),
    ("properties", "jsonb"),
    ("idempotency_key", "text"),
    ("received_at", "timestamptz"),
]


def events_insert(rows: list[tuple]) -> set[str]:
    """SQLite: insert event rows (EVENT_COLUMNS order) in multi-row INSERTs, skipping stored
    keys; the inserted keys. (PostgreSQL uses `events_store`.)"""
    if not rows:
        return set()
    returned = bulk_upsert(
        Event._meta.db_table,
        EVENT_COLUMNS,
        rows,
        on_conflict="ON CONFLICT (organization_id, idempotency_key) DO NOTHING",
        returning="idempotency_key",
    )
    return {row[0] for row in returned}


def _copy_buffer(rows: list[tuple]) -> str:
    """Event rows (EVENT_COLUMNS order) as COPY text, built with joins (no per-row writes).
    `name` is validated (a-z, 0-9, _ . -) and needs no escaping."""
    lines = []
    received_text: dict[datetime, str] = {}  # one batch shares its `received_at`: format it once
    for org, account, contact, name, moment, day, quantity, properties, key, received in rows:
        received_iso = received_text.get(received)
        if received_iso is None:
            received_iso = received_text[received] = received.isoformat()
        lines.append(
            f"{org}\t{account}\t{COPY_NULL if contact is None else contact}\t{name}\t"
            f"{moment.isoformat()}\t{day.isoformat()}\t{quantity!r}\t"
            f"{_copy_json(properties) if properties else '{}'}\t"
            f"{_copy_text(key)}\t{received_iso}\n"
        )
    return "".join(lines)


def _kind_sql(column: str) -> str:
    """`event_kind` in SQL."""
    fixed = " ".join(f"WHEN '{name}' THEN {int(kind)}" for name, kind in FIXED_KINDS.items())
    return (
        f"CASE {column} {fixed} ELSE CASE WHEN starts_with({column}, 'feature.') "
        f"THEN {int(EventKind.FEATURE)} ELSE {int(EventKind.CUSTOM)} END END"
    )


def events_store(*, organization: Organization, rows: list[tuple], now: datetime) -> set[str]:
    """PostgreSQL: store event rows (EVENT_COLUMNS order) and their rollups; the inserted keys.

    COPY into a per-connection temporary table (emptied at commit), then ONE statement: the
    `INSERT … ON CONFLICT DO NOTHING RETURNING` of the events feeds, as data-modifying CTEs,
    the `EventDaily` upsert (grouped: each key once), contacts' last login day and the
    `HealthDirty` marks — exactly the rows inserted, nothing for duplicates (same semantics
    as `rollups_add`)."""
    if not rows:
        return set()
    names = ", ".join(name for name, _ in EVENT_COLUMNS)
    event, daily = Event._meta.db_table, EventDaily._meta.db_table
    activity, dirty = ContactActivity._meta.db_table, HealthDirty._meta.db_table
    with connection.cursor() as cursor:
        incoming = _staging_table(cursor, event, EVENT_COLUMNS)
        raw = cursor.cursor  # the psycopg cursor: COPY is not part of the DB-API
        with raw.copy(f"COPY {incoming} ({names}) FROM STDIN") as copy:
            copy.write(_copy_buffer(rows))
        cursor.execute(
            f"""
            WITH ins AS (
              INSERT INTO {event} ({names}) SELECT {names} FROM {incoming}
              ON CONFLICT (organization_id, idempotency_key) DO NOTHING
              RETURNING account_id, contact_id, name, day, quantity, idempotency_key
            ), rollup AS (
              INSERT INTO {daily} AS d (organization_id, account_id, day, name, kind, count,
                quantity_sum)
              SELECT %(org)s, account_id, day, name, {_kind_sql("name")}, COUNT(*), SUM(quantity)
              FROM ins GROUP BY account_id, day, name
              ON CONFLICT (organization_id, account_id, day, name) DO UPDATE SET
                count = d.count + excluded.count,
                quantity_sum = d.quantity_sum + excluded.quantity_sum
            ), logins AS (
              INSERT INTO {activity} AS a (organization_id, account_id, contact_id,
                last_login_day)
              SELECT DISTINCT ON (contact_id) %(org)s, account_id, contact_id, day FROM ins
              WHERE name = 'login' AND contact_id IS NOT NULL ORDER BY contact_id, day DESC
              ON CONFLICT (organization_id, contact_id) DO UPDATE SET
                last_login_day = GREATEST(a.last_login_day, excluded.last_login_day)
            ), marks AS (
              INSERT INTO {dirty} (organization_id, account_id, marked_at)
              SELECT DISTINCT %(org)s, account_id, %(now)s::timestamptz FROM ins
              ON CONFLICT (organization_id, account_id) DO NOTHING
            )
            SELECT idempotency_key FROM ins
            """,  # noqa: S608
            {"org": organization.pk, "now": now},
        )
        inserted = {row[0] for row in cursor.fetchall()}
        cursor.execute(f"TRUNCATE {incoming}")
    return inserted


def rollups_add(*, organization: Organization, rows: list[tuple]) -> None:
    """Add freshly inserted event rows (ingest's tuple layout) to the rollups, contacts' last
    login day and the dirty marks — three set-based statements, in the caller's transaction."""
    if not rows:
        return
    daily: dict[tuple, list] = defaultdict(lambda: [0, 0.0])
    logins: dict[int, tuple[int, Any]] = {}
    for row in rows:
        bucket = daily[(row[1], row[5], row[3])]
        bucket[0] += 1
        bucket[1] += row[6]
        if row[3] == "login" and row[2] is not None:
            last = logins.get(row[2])
            if last is None or row[5] > last[1]:
                logins[row[2]] = (row[1], row[5])
    bulk_upsert(
        EventDaily._meta.db_table,
        [
            ("organization_id", "bigint"),
            ("account_id", "bigint"),
            ("day", "date"),
            ("name", "text"),
            ("kind", "smallint"),
            ("count", "integer"),
            ("quantity_sum", "float8"),
        ],
        [(organization.pk, a, d, n, event_kind(n), c, q) for (a, d, n), (c, q) in daily.items()],
        on_conflict=(
            "ON CONFLICT (organization_id, account_id, day, name) DO UPDATE SET "
            f"count = {EventDaily._meta.db_table}.count + excluded.count, "
            f"quantity_sum = {EventDaily._meta.db_table}.quantity_sum + excluded.quantity_sum"
        ),
    )
    greatest = "GREATEST" if is_postgresql() else "MAX"
    table = ContactActivity._meta.db_table
    bulk_upsert(
        table,
        [
            ("organization_id", "bigint"),
            ("account_id", "bigint"),
            ("contact_id", "bigint"),
            ("last_login_day", "date"),
        ],
        [(organization.pk, a, c, d) for c, (a, d) in logins.items()],
        on_conflict=(
            "ON CONFLICT (organization_id, contact_id) DO UPDATE SET "
            f"last_login_day = {greatest}({table}.last_login_day, excluded.last_login_day)"
        ),
    )
    now = timezone.now()
    bulk_upsert(
        HealthDirty._meta.db_table,
        [("organization_id", "bigint"), ("account_id", "bigint"), ("marked_at", "timestamptz")],
        [(organization.pk, a, now) for a in {row[1] for row in rows}],
        on_conflict="ON CONFLICT (organization_id, account_id) DO NOTHING",
    )
