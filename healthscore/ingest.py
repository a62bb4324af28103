"""Bulk event ingest (POST /api/v1/events/ and the CSV page): validate, insert, roll up.

Contract:
- At most MAX_EVENTS items per call. Each item is answered `accepted`, `duplicate` (its
  idempotency key is already stored: nothing is written, and it counts as success) or
  `rejected` with every reason. Accepted items are stored even when others are rejected.
- Validation is plain Python over the parsed JSON (no per-item serializer); all external ids
  are resolved in one query, all contacts in one more.
- Storage is set-based in one transaction: one `INSERT … ON CONFLICT (organization,
  idempotency_key) DO NOTHING RETURNING idempotency_key` for the events, then one upsert that
  adds to `EventDaily` only what was inserted (`count = count + excluded.count`), one upsert of
  contacts' last login day, and one insert of `HealthDirty` marks for the sweeper.
- An item without `idempotency_key` is stored under a generated key `auto-<uuid4>`: retrying
  such an item stores it again (send a key to make retries safe).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact
from healthscore.models import (
    FIXED_KINDS,
    ContactActivity,
    Event,
    EventDaily,
    EventKind,
    HealthDirty,
    event_kind,
)
from healthscore.sql import bulk_upsert, is_postgresql
from tenancy.models import Organization

MAX_EVENTS = 10_000
MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_PROPERTIES_BYTES = 4096
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_KEY_LENGTH = 200
FIXED_NAMES = frozenset(
    {"login", "ticket.opened", "ticket.closed", "invoice.overdue", "invoice.paid"}
)
# feature.<key> and custom.<key>: lowercase letters, digits, _ . - ; 1-80 characters.
NAME_PATTERN = re.compile(r"^(feature|custom)\.[a-z0-9][a-z0-9_.\-]{0,79}$")


@dataclass
class ItemResult:
    index: int
    status: str
    idempotency_key: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.idempotency_key is not None:
            data["idempotency_key"] = self.idempotency_key
        if self.errors:
            data["errors"] = self.errors
        return data


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    rejected: int
    items: list[ItemResult]

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "items": [item.as_dict() for item in self.items],
        }


class BatchError(Exception):
    """The whole request is refused (HTTP status, stable code, message)."""

    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


def batch_parse(body: bytes) -> list[Any]:
    if len(body) > MAX_BODY_BYTES:
        raise BatchError(
            413, "payload_too_large", _("The body is larger than 20 MB; send smaller batches.")
        )
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BatchError(400, "malformed_json", _("The body is not valid JSON.")) from None
    if not isinstance(data, list):
        raise BatchError(400, "invalid_batch", _("Send a JSON list of events."))
    if len(data) > MAX_EVENTS:
        raise BatchError(
            413,
            "too_many_events",
            _("At most %(max)s events per request; this one has %(count)s.")
            % {"max": MAX_EVENTS, "count": len(data)},
        )
    return data


def _error(field_name: str, code: str, detail: str) -> dict[str, str]:
    return {"field": field_name, "code": code, "detail": detail}


def _timestamp(value: Any, now: datetime) -> tuple[datetime | None, dict | None]:
    if not isinstance(value, str) or not value:
        return None, _error(
            "occurred_at", "invalid_timestamp", _("Give an ISO 8601 time with a UTC offset.")
        )
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None, _error(
            "occurred_at", "invalid_timestamp", _("Give an ISO 8601 time with a UTC offset.")
        )
    if moment.tzinfo is None:
        return None, _error(
            "occurred_at", "invalid_timestamp", _("The time needs a UTC offset (e.g. Z).")
        )
    if moment < EARLIEST:
        return None, _error("occurred_at", "too_old", _("Events before 2000 are not accepted."))
    if moment > now + FUTURE_TOLERANCE:
        return None, _error(
            "occurred_at", "in_future", _("The time is more than 5 minutes in the future.")
        )
    return moment, None


def events_ingest(*, organization: Organization, items: list[Any]) -> IngestResult:
    """Validate and store a parsed batch (see the module docstring)."""
    now = timezone.now()
    tz = ZoneInfo(organization.time_zone)
    results: list[ItemResult] = [ItemResult(index=i, status="rejected") for i in range(len(items))]

    external_ids = {
        str(item["account"])
        for item in items
        if isinstance(item, dict)
        and isinstance(item.get("account"), str | int)
        and not isinstance(item.get("account"), bool)
    }
    accounts: dict[str, int] = {}
    # PostgreSQL text cannot hold NUL: such an id matches no account (reported per item).
    external_list = [value for value in external_ids if "\x00" not in value]
    if is_postgresql() and external_list:
        # One array parameter instead of thousands of placeholders; `<> ''` lets the
        # planner use the partial unique index (it cannot infer it from a long array).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT external_id, id FROM accounts_account "
                "WHERE organization_id = %s AND external_id <> '' AND external_id = ANY(%s)",
                [organization.pk, external_list],
            )
            accounts.update(cursor.fetchall())
        external_list = []
    for start in range(0, len(external_list), 5000):
        accounts.update(
            Account.objects.filter(
                organization=organization, external_id__in=external_list[start : start + 5000]
            ).values_list("external_id", "id")
        )
    contact_ids: set[int] = set()
    contact_emails: set[str] = set()
    for item in items:
        if isinstance(item, dict):
            contact = item.get("contact")
            if isinstance(contact, int) and not isinstance(contact, bool) and 0 < contact < 2**63:
                contact_ids.add(contact)
            elif isinstance(contact, str) and "@" in contact and "\x00" not in contact:
                contact_emails.add(contact.strip().lower())
    by_id: dict[int, int] = {}
    by_email: dict[tuple[int, str], int] = {}
    if contact_ids or contact_emails:
        contact_rows = Contact.objects.filter(
            organization=organization, account_id__in=set(accounts.values())
        )
        for found_id, found_account in (
            contact_rows.filter(id__in=contact_ids).values_list("id", "account_id")
            if contact_ids
            else []
        ):
            by_id[found_id] = found_account
        for found_id, found_account, email in (
            contact_rows.filter(email__in=contact_emails).values_list("id", "account_id", "email")
            if contact_emails
            else []
        ):
            by_email[(found_account, email.lower())] = found_id

    rows: list[tuple] = []
    row_index: dict[str, int] = {}
    seen_keys: set[str] = set()
    for index, item in enumerate(items):
        result = results[index]
        if not isinstance(item, dict):
            result.errors.append(_error("", "invalid", _("Each event must be a JSON object.")))
            continue
        errors = result.errors
        account_value = item.get("account")
        account_id: int | None = None
        if isinstance(account_value, bool) or not isinstance(account_value, str | int):
            errors.append(_error("account", "required", _("Give the account's external_id.")))
        else:
            account_id = accounts.get(str(account_value))
            if account_id is None:
                errors.append(
                    _error("account", "unknown_account", _("No account has this external_id."))
                )
        contact_id: int | None = None
        contact_value = item.get("contact")
        if contact_value not in (None, ""):
            if isinstance(contact_value, int) and not isinstance(contact_value, bool):
                contact_id = contact_value if by_id.get(contact_value) == account_id else None
            elif isinstance(contact_value, str) and account_id is not None:
                contact_id = by_email.get((account_id, contact_value.strip().lower()))
            if contact_id is None and account_id is not None:
                errors.append(
                    _error("contact", "unknown_contact", _("No contact of this account matches."))
                )
        name = item.get("name")
        if not isinstance(name, str) or not (name in FIXED_NAMES or NAME_PATTERN.match(name)):
            errors.append(
                _error(
                    "name",
                    "invalid_name",
                    _(
                        "Use login, ticket.opened, ticket.closed, invoice.overdue, invoice.paid, "
                        "feature.<key> or custom.<key> (key: a-z, 0-9, _ . -; up to 80)."
                    ),
                )
            )
        moment, error = _timestamp(item.get("occurred_at"), now)
        if error:
            errors.append(error)
        quantity = item.get("quantity", 1)
        if quantity is None:
            quantity = 1
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int | float)
            or not math.isfinite(quantity)
            or abs(quantity) > 1e12
        ):
            errors.append(
                _error("quantity", "invalid_quantity", _("The quantity must be a number."))
            )
        properties = item.get("properties")
        properties_json = "{}"
        if properties is not None:
            if not isinstance(properties, dict):
                errors.append(
                    _error("properties", "invalid_properties", _("Properties must be an object."))
                )
            else:
                properties_json = json.dumps(properties, separators=(",", ":"), ensure_ascii=False)
                if "\\u0000" in properties_json:  # jsonb refuses the NUL character
                    errors.append(
                        _error(
                            "properties",
                            "invalid_properties",
                            _("Properties cannot contain the NUL character."),
                        )
                    )
                elif len(properties_json.encode()) > MAX_PROPERTIES_BYTES:
                    errors.append(
                        _error(
                            "properties",
                            "properties_too_large",
                            _("Properties take at most 4 KB of JSON."),
                        )
                    )
        key = item.get("idempotency_key")
        if key is None or key == "":
            key = f"auto-{uuid.uuid4().hex}"
        elif not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or "\x00" in key:
            errors.append(
                _error(
                    "idempotency_key",
                    "invalid_idempotency_key",
                    _("The idempotency key is a string of at most 200 characters."),
                )
            )
            key = None
        else:
            result.idempotency_key = key
        if errors:
            continue
        if key in seen_keys:
            result.status = "duplicate"
            continue
        if moment is None or account_id is None or key is None:  # validated above
            continue
        seen_keys.add(key)
        row_index[key] = index
        rows.append(
            (
                organization.pk,
                account_id,
                contact_id,
                name,
                moment,
                moment.astimezone(tz).date(),
                float(quantity),
                properties if properties is not None else {},
                key,
                now,
            )
        )

    with transaction.atomic():
        if is_postgresql():
            inserted = events_store(organization=organization, rows=rows, now=now)
        else:
            inserted = events_insert(rows)
            rollups_add(organization=organization, rows=[r for r in rows if r[8] in inserted])
    for row in rows:
        results[row_index[row[8]]].status = "accepted" if row[8] in inserted else "duplicate"
    accepted = sum(1 for r in results if r.status == "accepted")
    duplicates = sum(1 for r in results if r.status == "duplicate")
    return IngestResult(
        accepted=accepted,
        duplicates=duplicates,
        rejected=len(results) - accepted - duplicates,
        items=results,
    )


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
INCOMING = "healthscore_event_incoming"
COPY_NULL = "\\N"


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


def _copy_text(value: str) -> str:
    """A string as a field of COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


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
            f"{_copy_text(json.dumps(properties, separators=(',', ':'))) if properties else '{}'}\t"
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
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {INCOMING} ("
            + ", ".join(f"{name} {pg_type}" for name, pg_type in EVENT_COLUMNS)
            + ") ON COMMIT DELETE ROWS"
        )
        raw = cursor.cursor  # the psycopg cursor: COPY is not part of the DB-API
        with raw.copy(f"COPY {INCOMING} ({names}) FROM STDIN") as copy:
            copy.write(_copy_buffer(rows))
        cursor.execute(
            f"""
            WITH ins AS (
              INSERT INTO {event} ({names}) SELECT {names} FROM {INCOMING}
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
        cursor.execute(f"TRUNCATE {INCOMING}")
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
