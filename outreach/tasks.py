"""Celery entry points of the outreach app (thin: take ids, call a service).

The beat sweeper (every 15 s) fans out one dispatch task per organization with due queued
messages or expired leases; `message_queue` also enqueues one after commit so a message
leaves at once. A double-fired beat or two dispatchers for one organization are harmless:
each message is claimed by a conditional state change (services/dispatch.py).
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from outreach.models import MessageStatus, OutboundMessage
from tenancy.jobs import enqueue_now, organizations_with_rows_unscoped
from tenancy.models import Organization
from tenancy.tasks import TenantTask


def outreach_due_organizations_unscoped() -> list[int]:
    """Organizations with due or stale outbox rows (a cross-tenant read of ids, for fan-out)."""
    now = timezone.now()
    return organizations_with_rows_unscoped(
        OutboundMessage,
        "(status = %s AND next_attempt_at <= %s) OR (status = %s AND lease_until < %s)",
        [MessageStatus.QUEUED, now, MessageStatus.SENDING, now],
    )


@shared_task(time_limit=30, soft_time_limit=25)
def outbound_messages_dispatch_sweep_task() -> int:
    organization_ids = outreach_due_organizations_unscoped()
    for organization_id in organization_ids:
        enqueue_now(outbound_messages_dispatch_task, organization_id=organization_id)
    return len(organization_ids)


@shared_task(base=TenantTask, time_limit=60, soft_time_limit=55)
def outbound_messages_dispatch_task(*, organization: Organization) -> int:
    from outreach.services import outbound_messages_dispatch

    outcome = outbound_messages_dispatch(organization=organization)
    return outcome.sent
