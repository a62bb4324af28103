"""The outbox dispatcher: claim, send, record (DESIGN.md, Outreach: the delivery guarantee).

One message at a time: `outbound_message_claim` moves a due `queued` row to `sending` with a
lease and COMMITS; only then is the provider called (`outbound_message_deliver`), and the
result is recorded in a second transaction that only applies while the row is still the same
claim (status `sending`, same attempt number). A row still `sending` after its lease (the
worker died between the provider call and the commit) is never sent again:
`outbound_messages_expire_leases` marks it failed "outcome unknown"; WhatsApp's status
webhook, which echoes our id in `biz_opaque_callback_data`, may still move it forward.
So a message is sent at most once; the price is that a crash in that window leaves a message
we cannot vouch for, visible as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from outreach.channels import SendRequest, SendResult, backend_for
from outreach.models import Channel, MessageStatus, OutboundMessage
from outreach.selectors import outreach_settings_get, whatsapp_window_open
from outreach.services.queue import message_status_announce, quiet_hours_end
from tenancy.models import Organization

LEASE = timedelta(minutes=2)  # > the WhatsApp backend's 5 s connect + 15 s read timeouts
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
OUTCOME_UNKNOWN_TEXT = (
    "The worker stopped while sending; the provider may or may not have it. Not retried, so "
    "it is never sent twice."
)


def backoff_seconds(attempts: int) -> int:
    """1 min, 2, 4, 8, 16 … capped at an hour."""
    return min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))


def outbound_message_claim(*, organization: Organization, now=None) -> OutboundMessage | None:
    """Take the next due queued message: `sending` with a lease, committed on return.
    During quiet hours nothing is claimed and due rows wait for the end of the window."""
    now = now or timezone.now()
    outreach_settings = outreach_settings_get(organization=organization)
    with transaction.atomic():
        quiet_end = quiet_hours_end(
            organization=organization, outreach_settings=outreach_settings, now=now
        )
        due = OutboundMessage.objects.filter(
            organization=organization, status=MessageStatus.QUEUED, next_attempt_at__lte=now
        )
        if quiet_end is not None:
            due.update(next_attempt_at=quiet_end, not_before=quiet_end, updated_at=now)
            return None
        candidate = (
            due.select_for_update(skip_locked=True).order_by("next_attempt_at", "id").first()
        )
        if candidate is None:
            return None
        # The status in the WHERE clause makes the claim safe without row locks (SQLite).
        claimed = OutboundMessage.objects.filter(
            organization=organization, pk=candidate.pk, status=MessageStatus.QUEUED
        ).update(
            status=MessageStatus.SENDING,
            lease_until=now + LEASE,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        if not claimed:
            return None
    candidate.refresh_from_db()
    return candidate


def _send_request(*, organization: Organization, message: OutboundMessage) -> SendRequest:
    window_open = message.channel == Channel.WHATSAPP and whatsapp_window_open(
        organization=organization, contact=message.contact
    )
    return SendRequest(
        message_id=message.id,
        organization_id=organization.id,
        channel=message.channel,
        to_address=message.to_address,
        subject=message.subject,
        body=message.body,
        template_params=list(message.template_params or []),
        whatsapp_template_name=message.whatsapp_template_name,
        whatsapp_template_language=message.whatsapp_template_language,
        window_open=window_open,
    )


def outbound_message_deliver(
    *, organization: Organization, message: OutboundMessage
) -> OutboundMessage:
    """Call the provider for a claimed message (outside any transaction) and record it."""
    if message.status != MessageStatus.SENDING:
        return message
    backend = backend_for(
        channel=message.channel,
        outreach_settings=outreach_settings_get(organization=organization),
    )
    result = backend.send(_send_request(organization=organization, message=message))
    return outbound_message_record(
        organization=organization, message_id=message.id, attempt=message.attempts, result=result
    )


def outbound_message_record(
    *, organization: Organization, message_id: int, attempt: int, result: SendResult, now=None
) -> OutboundMessage:
    """Record a provider answer for claim number `attempt` of the message (no-op when the
    claim is no longer current: its lease expired, or a status webhook got there first)."""
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update()
            .filter(organization=organization, pk=message_id)
            .first()
        )
        if message is None:
            raise OutboundMessage.DoesNotExist
        if message.status != MessageStatus.SENDING or message.attempts != attempt:
            if result.outcome == SendResult.SENT and not message.provider_message_id:
                message.provider_message_id = result.provider_message_id
                message.backend = result.backend
                message.save(update_fields=["provider_message_id", "backend", "updated_at"])
            return message
        message.backend = result.backend
        message.lease_until = None
        if result.outcome == SendResult.SENT:
            message.status = MessageStatus.SENT
            message.sent_at = now
            message.provider_message_id = result.provider_message_id
            message.error_code = message.error_message = ""
        elif result.outcome == SendResult.TRANSIENT and message.attempts < message.MAX_ATTEMPTS:
            delay = max(backoff_seconds(message.attempts), result.retry_after_seconds or 0)
            message.status = MessageStatus.QUEUED
            message.next_attempt_at = now + timedelta(seconds=min(delay, BACKOFF_MAX_SECONDS))
            message.error_code = result.error_code
            message.error_message = result.error_message
        else:
            message.status = MessageStatus.FAILED
            message.failed_at = now
            message.error_code = result.error_code
            message.error_message = result.error_message
            if result.outcome == SendResult.TRANSIENT:
                message.error_message = (
                    f"Gave up after {message.attempts} attempts: {result.error_message}"
                )[:500]
        message.save(
            update_fields=[
                "backend",
                "lease_until",
                "status",
                "sent_at",
                "failed_at",
                "provider_message_id",
                "next_attempt_at",
                "error_code",
                "error_message",
                "updated_at",
            ]
        )
        if message.status != MessageStatus.QUEUED:
            message_status_announce(organization=organization, message=message)
    return message


def outbound_messages_expire_leases(*, organization: Organization, now=None) -> int:
    """Rows left `sending` past their lease become failed "outcome unknown" (never resent)."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            OutboundMessage.objects.select_for_update(skip_locked=True)
            .filter(organization=organization, status=MessageStatus.SENDING, lease_until__lt=now)
            .values_list("id", flat=True)
        )
        if not stale:
            return 0
        OutboundMessage.objects.filter(
            organization=organization, pk__in=stale, status=MessageStatus.SENDING
        ).update(
            status=MessageStatus.FAILED,
            failed_at=now,
            lease_until=None,
            error_code="outcome_unknown",
            error_message=OUTCOME_UNKNOWN_TEXT,
            updated_at=now,
        )
        for message_id in stale:
            message_status_announce(
                organization=organization,
                message=OutboundMessage(id=message_id, status=MessageStatus.FAILED),
            )
    return len(stale)


@dataclass(frozen=True)
class DispatchOutcome:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    expired: int = 0


def outbound_messages_dispatch(
    *, organization: Organization, max_messages: int = 200, max_seconds: float = 40.0
) -> DispatchOutcome:
    """Expire stale leases, then claim and deliver due messages one by one."""
    started = timezone.now()
    expired = outbound_messages_expire_leases(organization=organization)
    counts: dict[str, int] = {
        MessageStatus.SENT: 0,
        MessageStatus.QUEUED: 0,
        MessageStatus.FAILED: 0,
    }
    for _ in range(max_messages):
        if (timezone.now() - started).total_seconds() > max_seconds:
            break
        message = outbound_message_claim(organization=organization)
        if message is None:
            break
        message = outbound_message_deliver(organization=organization, message=message)
        if message.status in counts:
            counts[message.status] += 1
    return DispatchOutcome(
        sent=counts[MessageStatus.SENT],
        retrying=counts[MessageStatus.QUEUED],
        failed=counts[MessageStatus.FAILED],
        expired=expired,
    )
