"""Parsing a request body and validating one item's fields: limits, the result types and the
whole-request error."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

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
