"""Inbound WhatsApp webhook: delivery statuses and contacts' messages.

The payload is checked completely before anything is written (`whatsapp_webhook_parse`
raises `WebhookPayloadError` naming the first problem); then one transaction applies it.
Statuses only move a message forward (sent → delivered → read; `failed` only before
delivered); a message that failed "outcome unknown" is reconciled by any later status.
A message is found by its provider id, else by the `biz_opaque_callback_data` we sent
(`jornada:<organization>:<message>`, honoured only for this organization). Inbound messages
are stored once per provider id and announced with `message_received` after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Contact
from outreach import signals
from outreach.models import (
    STATUS_RANK,
    Channel,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
)
from outreach.services.queue import message_status_announce
from tenancy.ids import id_parse
from tenancy.models import Organization

PROVIDER_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "failed": MessageStatus.FAILED,
}


class WebhookPayloadError(ValueError):
    """The body is not a WhatsApp webhook notification we understand (answered 400)."""


@dataclass(frozen=True)
class StatusUpdate:
    provider_message_id: str
    status: str
    at: datetime
    callback_data: str
    error_code: str
    error_message: str


@dataclass(frozen=True)
class Incoming:
    provider_message_id: str
    from_address: str
    kind: str
    body: str
    at: datetime


@dataclass(frozen=True)
class WebhookOutcome:
    statuses_applied: int
    inbound_stored: int


def _text(value, path: str, *, required: bool = True, limit: int = 200) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
        raise WebhookPayloadError(f"{path} must be a non-empty string")
    text = str(value)
    if len(text) > limit:
        raise WebhookPayloadError(f"{path} is longer than {limit} characters")
    return text


def _timestamp(value, path: str) -> datetime:
    text = _text(value, path, limit=20)
    if not text.isdigit():
        raise WebhookPayloadError(f"{path} must be a Unix timestamp")
    try:
        return datetime.fromtimestamp(int(text), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise WebhookPayloadError(f"{path} is out of range") from None


def _list(value, path: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise WebhookPayloadError(f"{path} must be a list")
    return value


def _dict(value, path: str) -> dict:
    if not isinstance(value, dict):
        raise WebhookPayloadError(f"{path} must be an object")
    return value


def whatsapp_webhook_parse(payload) -> tuple[list[StatusUpdate], list[Incoming]]:
    payload = _dict(payload, "body")
    if payload.get("object") != "whatsapp_business_account":
        raise WebhookPayloadError("object must be 'whatsapp_business_account'")
    statuses: list[StatusUpdate] = []
    incoming: list[Incoming] = []
    for e, entry in enumerate(_list(payload.get("entry"), "entry")):
        entry = _dict(entry, f"entry[{e}]")
        for c, change in enumerate(_list(entry.get("changes"), f"entry[{e}].changes")):
            change = _dict(change, f"entry[{e}].changes[{c}]")
            value = _dict(change.get("value"), f"entry[{e}].changes[{c}].value")
            where = f"entry[{e}].changes[{c}].value"
            for s, item in enumerate(_list(value.get("statuses"), f"{where}.statuses")):
                at = f"{where}.statuses[{s}]"
                item = _dict(item, at)
                status = _text(item.get("status"), f"{at}.status", limit=20)
                if status not in PROVIDER_STATUSES:
                    continue  # e.g. "deleted", "warning": nothing to record
                errors = _list(item.get("errors"), f"{at}.errors")
                first_error = errors[0] if errors and isinstance(errors[0], dict) else {}
                statuses.append(
                    StatusUpdate(
                        provider_message_id=_text(item.get("id"), f"{at}.id"),
                        status=PROVIDER_STATUSES[status],
                        at=_timestamp(item.get("timestamp"), f"{at}.timestamp"),
                        callback_data=_text(
                            item.get("biz_opaque_callback_data"),
                            f"{at}.biz_opaque_callback_data",
                            required=False,
                            limit=512,
                        ),
                        error_code=str(first_error.get("code", ""))[:40],
                        error_message=str(
                            first_error.get("message") or first_error.get("title") or ""
                        )[:500],
                    )
                )
            for m, item in enumerate(_list(value.get("messages"), f"{where}.messages")):
                at = f"{where}.messages[{m}]"
                item = _dict(item, at)
                kind = _text(item.get("type"), f"{at}.type", limit=20)
                body = ""
                if kind == "text":
                    text = _dict(item.get("text"), f"{at}.text")
                    body = _text(text.get("body"), f"{at}.text.body", limit=4096)
                elif kind == "button":
                    button = item.get("button")
                    if isinstance(button, dict):
                        body = str(button.get("text", ""))[:4096]
                incoming.append(
                    Incoming(
                        provider_message_id=_text(item.get("id"), f"{at}.id"),
                        from_address=_text(item.get("from"), f"{at}.from", limit=20).lstrip("+"),
                        kind=kind,
                        body=body,
                        at=_timestamp(item.get("timestamp"), f"{at}.timestamp"),
                    )
                )
    return statuses, incoming


def _callback_message_id(organization: Organization, callback_data: str) -> int | None:
    parts = callback_data.split(":")
    if len(parts) != 3 or parts[0] != "jornada" or parts[1] != str(organization.id):
        return None
    return id_parse(parts[2])


def _status_apply(
    *, organization: Organization, message: OutboundMessage, update: StatusUpdate
) -> bool:
    current = message.status
    reconciling = current == MessageStatus.FAILED and message.error_code == "outcome_unknown"
    if update.status == MessageStatus.FAILED:
        if current not in (MessageStatus.SENDING, MessageStatus.SENT) and not reconciling:
            return False
        message.status = MessageStatus.FAILED
        message.failed_at = update.at
        message.error_code = update.error_code or "provider_failed"
        message.error_message = update.error_message
    else:
        if current in (MessageStatus.SKIPPED, MessageStatus.FAILED) and not reconciling:
            return False
        current_rank = -1 if reconciling else STATUS_RANK.get(current, 99)
        if STATUS_RANK[update.status] <= current_rank:
            return False
        message.status = update.status
        message.sent_at = message.sent_at or update.at
        if update.status in (MessageStatus.DELIVERED, MessageStatus.READ):
            message.delivered_at = message.delivered_at or update.at
        if update.status == MessageStatus.READ:
            message.read_at = update.at
        if reconciling:
            message.failed_at = None
            message.error_code = message.error_message = ""
        message.lease_until = None
    if not message.provider_message_id:
        message.provider_message_id = update.provider_message_id
    message.save(
        update_fields=[
            "status",
            "sent_at",
            "delivered_at",
            "read_at",
            "failed_at",
            "error_code",
            "error_message",
            "lease_until",
            "provider_message_id",
            "updated_at",
        ]
    )
    message_status_announce(organization=organization, message=message)
    return True


def _contacts_by_phone(organization: Organization, numbers: set[str]) -> dict[str, Contact]:
    found: dict[str, Contact] = {}
    rows = (
        Contact.objects.filter(organization=organization, phone__in=[f"+{n}" for n in numbers])
        .order_by("-is_primary", "-id")
        .only("id", "account_id", "phone")
    )
    for contact in rows:
        found.setdefault(contact.phone.lstrip("+"), contact)
    return found


def whatsapp_webhook_process(*, organization: Organization, payload) -> WebhookOutcome:
    """Apply a webhook notification (see the module docstring). Raises WebhookPayloadError
    before writing anything when the payload is malformed."""
    statuses, incoming = whatsapp_webhook_parse(payload)
    applied = stored = 0
    with transaction.atomic():
        if statuses:
            provider_ids = {update.provider_message_id for update in statuses}
            callback_ids = {
                pk
                for update in statuses
                if (pk := _callback_message_id(organization, update.callback_data)) is not None
            }
            messages = list(
                OutboundMessage.objects.select_for_update().filter(
                    Q(provider_message_id__in=provider_ids) | Q(pk__in=callback_ids),
                    organization=organization,
                )
            )
            by_provider = {m.provider_message_id: m for m in messages if m.provider_message_id}
            by_id = {m.pk: m for m in messages}
            for update in sorted(statuses, key=lambda u: (u.at, STATUS_RANK.get(u.status, 9))):
                message = by_provider.get(update.provider_message_id) or by_id.get(
                    _callback_message_id(organization, update.callback_data) or 0
                )
                if message is not None and _status_apply(
                    organization=organization, message=message, update=update
                ):
                    applied += 1
        if incoming:
            contacts = _contacts_by_phone(organization, {item.from_address for item in incoming})
            for item in incoming:
                contact = contacts.get(item.from_address)
                try:
                    with transaction.atomic():
                        inbound = InboundMessage.objects.create(
                            organization=organization,
                            contact=contact,
                            account_id=contact.account_id if contact else None,
                            channel=Channel.WHATSAPP,
                            from_address=item.from_address,
                            provider_message_id=item.provider_message_id,
                            kind=item.kind,
                            body=item.body,
                            received_at=min(item.at, timezone.now()),
                        )
                except IntegrityError:
                    continue  # redelivered: stored already
                stored += 1
                _announce_received(organization=organization, inbound=inbound)
    return WebhookOutcome(statuses_applied=applied, inbound_stored=stored)


def _announce_received(*, organization: Organization, inbound: InboundMessage) -> None:
    transaction.on_commit(
        lambda: signals.message_received.send(
            sender=InboundMessage,
            organization=organization,
            inbound_id=inbound.id,
            account_id=inbound.account_id,
            contact_id=inbound.contact_id,
            channel=inbound.channel,
            body=inbound.body,
            received_at=inbound.received_at,
        )
    )
