"""Celery entry points of the tenancy app and the task base class.

`TenantTask` is the one place a task enters its tenant scope: every tenant task takes
`organization_id` as a keyword argument, and the body runs inside that organization's scope
with `organization` passed in. A task for an organization that no longer exists is dropped.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Task, shared_task
from django.utils import timezone
from django_scopes import scope

from tenancy.models import Invitation, Organization

logger = logging.getLogger(__name__)


class TenantTask(Task):
    abstract = True
    # Callers pass organization_id, the body receives organization: skip Celery's check of the
    # call against run()'s signature.
    typing = False
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, *args, organization_id: int, **kwargs):
        organization = Organization.objects.filter(pk=organization_id).first()
        if organization is None:
            logger.warning("%s: organization %s is gone; dropping task", self.name, organization_id)
            return None
        with scope(organization=organization):
            return self.run(*args, organization=organization, **kwargs)


@shared_task(base=TenantTask, bind=True, time_limit=60, soft_time_limit=50, max_retries=5)
def invitation_send_task(self, *, organization: Organization, invitation_id: int):
    from tenancy.services import invitation_send

    try:
        return invitation_send(organization=organization, invitation_id=invitation_id)
    except OSError as exc:  # SMTP unreachable: transient; retries stay ≤ 60 s (DESIGN.md, Jobs)
        raise self.retry(exc=exc, countdown=min(60, 2**self.request.retries * 5)) from exc


@shared_task(time_limit=120, soft_time_limit=100)
def invitations_purge_expired_task() -> int:
    """Delete invitations that expired more than 30 days ago, one organization at a time."""
    cutoff = timezone.now() - timedelta(days=30)
    deleted = 0
    for organization in Organization.objects.only("id").iterator():
        with scope(organization=organization):
            count, _ = Invitation.objects.filter(
                organization=organization, accepted_at__isnull=True, expires_at__lt=cutoff
            ).delete()
            deleted += count
    return deleted


@shared_task(time_limit=300, soft_time_limit=280)
def idempotency_records_purge_task() -> int:
    """Forget idempotency keys older than 24 hours, one organization at a time."""
    from tenancy.idempotency import idempotency_records_purge

    deleted = 0
    for organization in Organization.objects.only("id").iterator():
        with scope(organization=organization):
            deleted += idempotency_records_purge(organization=organization)
    return deleted


@shared_task(time_limit=60, soft_time_limit=50)
def invitations_send_pending_task() -> int:
    """Re-enqueue invitations still unsent a minute after creation (the broker was down when
    they were created, or the task was lost). The send itself is claimed, so a duplicate
    enqueue is harmless."""
    from tenancy.jobs import enqueue_now

    cutoff = timezone.now() - timedelta(minutes=1)
    enqueued = 0
    for organization in Organization.objects.only("id").iterator():
        with scope(organization=organization):
            pending = Invitation.objects.filter(
                organization=organization,
                sent_at__isnull=True,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                created_at__lt=cutoff,
                expires_at__gt=timezone.now(),
            ).values_list("id", flat=True)
            for invitation_id in pending:
                enqueued += enqueue_now(
                    invitation_send_task,
                    organization_id=organization.id,
                    invitation_id=invitation_id,
                )
    return enqueued


@shared_task(time_limit=30, soft_time_limit=25)
def scheduled_actions_dispatch_task() -> int:
    """Beat: fan out one claim per organization with due ScheduledActions."""
    from tenancy.scheduled import scheduled_organizations_due_unscoped

    organization_ids = scheduled_organizations_due_unscoped(now=timezone.now())
    for organization_id in organization_ids:
        scheduled_actions_claim_task.delay(organization_id=organization_id)
    return len(organization_ids)


@shared_task(base=TenantTask, time_limit=60, soft_time_limit=50)
def scheduled_actions_claim_task(*, organization: Organization) -> int:
    from tenancy.scheduled import scheduled_actions_dispatch

    return len(scheduled_actions_dispatch(organization=organization))


# The lease (tenancy.scheduled.LEASE, 10 min) outlives this limit, so a live run keeps it.
@shared_task(base=TenantTask, time_limit=300, soft_time_limit=280)
def scheduled_action_run_task(*, organization: Organization, action_id: int) -> str:
    from tenancy.scheduled import scheduled_action_run

    return scheduled_action_run(organization=organization, action_id=action_id)


@shared_task(time_limit=60, soft_time_limit=50)
def scheduled_actions_reap_task() -> int:
    """Beat: expired leases and lost enqueues go back to pending, one organization at a time."""
    from tenancy.scheduled import scheduled_actions_reap, scheduled_organizations_stuck_unscoped

    now = timezone.now()
    reaped = 0
    for organization in Organization.objects.filter(
        pk__in=scheduled_organizations_stuck_unscoped(now=now)
    ):
        with scope(organization=organization):
            reaped += scheduled_actions_reap(organization=organization, now=now)
    return reaped
