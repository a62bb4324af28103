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

Modules: `validation` (body parsing, per-item checks, result types), `storage` (the
PostgreSQL COPY path, the SQLite path and `rollups_add`); `events_ingest` lives here. Import
from the package.
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact
from healthscore.ingest.storage import (
    COPY_NULL,
    EVENT_COLUMNS,
    _copy_buffer,
    _copy_text,
    _kind_sql,
    events_insert,
    events_store,
    rollups_add,
)
from healthscore.ingest.validation import (
    EARLIEST,
    FIXED_NAMES,
    FUTURE_TOLERANCE,
    MAX_BODY_BYTES,
    MAX_EVENTS,
    MAX_KEY_LENGTH,
    MAX_PROPERTIES_BYTES,
    NAME_PATTERN,
    BatchError,
    IngestResult,
    ItemResult,
    _error,
    _timestamp,
    batch_parse,
)
from healthscore.sql import is_postgresql
from tenancy.models import Organization

__all__ = [
    "COPY_NULL",
    "EARLIEST",
    "EVENT_COLUMNS",
    "FIXED_NAMES",
    "FUTURE_TOLERANCE",
    "MAX_BODY_BYTES",
    "MAX_EVENTS",
    "MAX_KEY_LENGTH",
    "MAX_PROPERTIES_BYTES",
    "NAME_PATTERN",
    "BatchError",
    "IngestResult",
    "ItemResult",
    "_copy_buffer",
    "_copy_text",
    "_error",
    "_kind_sql",
    "_timestamp",
    "batch_parse",
    "events_ingest",
    "events_insert",
    "events_store",
    "rollups_add",
]


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
