"""Events from a CSV upload: the same ingest as the API, one report line per row.

Reuses accounts/csv_io's decoding (UTF-8/UTF-16, BOM) and delimiter detection. Columns
(header names, any order): account (external_id), name, occurred_at, quantity, contact (id or
email), idempotency_key. Row N of the report is line N + 1 of the file (line 1 is the header).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext as _

from accounts.csv_io.reading import _decode, _delimiter, _FileError, _header_key
from healthscore.ingest import MAX_EVENTS, BatchError, IngestResult, events_ingest
from tenancy.models import Organization

COLUMNS = ("account", "name", "occurred_at", "quantity", "contact", "idempotency_key")


def events_csv_ingest(*, organization: Organization, content: bytes) -> IngestResult:
    try:
        text = _decode(content)
    except _FileError as error:
        raise BatchError(400, "unreadable_file", str(error)) from None
    lines = text.splitlines()
    if lines and lines[0].lower().startswith("sep="):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        lines = lines[1:]
    if not lines:
        raise BatchError(400, "empty_file", _("The file is empty."))
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(lines[0]))
    rows = list(reader)
    header = [_header_key(cell) for cell in rows[0]]
    missing = [c for c in ("account", "name", "occurred_at") if c not in header]
    if missing:
        raise BatchError(
            400,
            "missing_columns",
            _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)},
        )
    body = [row for row in rows[1:] if any(cell.strip() for cell in row)]
    if len(body) > MAX_EVENTS:
        raise BatchError(
            413, "too_many_events", _("At most %(max)s rows per file.") % {"max": MAX_EVENTS}
        )
    index = {name: header.index(name) for name in COLUMNS if name in header}
    items: list[dict[str, Any]] = []
    for row in body:
        cell = {name: (row[i].strip() if i < len(row) else "") for name, i in index.items()}
        item: dict[str, Any] = {
            "account": cell["account"],
            "name": cell["name"],
            "occurred_at": cell["occurred_at"],
        }
        if cell.get("quantity"):
            try:
                item["quantity"] = float(cell["quantity"].replace(",", "."))
            except ValueError:
                item["quantity"] = cell["quantity"]
        if cell.get("contact"):
            item["contact"] = int(cell["contact"]) if cell["contact"].isdigit() else cell["contact"]
        if cell.get("idempotency_key"):
            item["idempotency_key"] = cell["idempotency_key"]
        items.append(item)
    return events_ingest(organization=organization, items=items)
