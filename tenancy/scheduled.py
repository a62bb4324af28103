"""The ScheduledAction outbox: work due later than a minute from now (DESIGN.md, Jobs).

Why: a Celery countdown/ETA above a minute is unsafe with a Redis broker (re-delivered every
visibility timeout, lost when Redis restarts), so delayed work is a database row written in
the same transaction as its cause, and Celery only ever runs what is due now.

Life of a row (`tenancy.models.ScheduledAction`, unique per organization + kind + subject):
- `scheduled_action_put` / `scheduled_actions_put` (bulk) upsert it: a new row is *pending*;
  a pending or cancelled row moves to the new `due_at` (cancelled → pending again); a row
  that is enqueued, running, done or dead is left alone (its handler reads the current state
  of the world when it runs; a done action never runs twice).
- `scheduled_actions_cancel`: pending/enqueued → *cancelled* (a runner that then picks it up
  finds it no longer enqueued and does nothing).
- The dispatcher (beat every 15 s, fanned out per organization) claims due pending rows with
  `SELECT … FOR UPDATE SKIP LOCKED` → *enqueued*, and publishes one run task per row after
  commit: two dispatchers at once claim disjoint rows, a second beat finds nothing.
- The runner claims enqueued → *running* with a lease (attempts + 1) in its own transaction,
  then, in a second transaction that re-locks the row under that lease, calls the handler
  and marks the row *done*: the handler's database writes and "done" commit together, so a
  worker killed mid-handler leaves nothing half-written. A redelivered run task finds the row
  not enqueued and does nothing. Handlers must still be idempotent (unique keys): external
  effects they start (an outbox message) are at least once.
- A failure returns the row to *pending* with exponential backoff (1, 2, 4 … 60 minutes),
  attempts + 1, the error kept; after MAX_ATTEMPTS the row is *dead* and listed for admins
  (`scheduled_action_list`, Settings), who can retry it.
- The reaper (beat every minute) returns rows whose lease expired (the worker died: counted as
  an attempt, dead after MAX_ATTEMPTS) and rows enqueued for more than LOST_ENQUEUE_AFTER
  (the publish or the message was lost) to pending.

Handlers are registered by higher apps with `@scheduled_handler("<kind>")` when their
modules load (an AppConfig.ready import); a handler is `handler(*, organization, action)`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy.jobs import enqueue_on_commit, organizations_with_rows_unscoped
from tenancy.models import Organization, ScheduledAction, User
from tenancy.services import audit_record

logger = logging.getLogger(__name__)

Status = ScheduledAction.Status
Handler = Callable[..., None]

MAX_ATTEMPTS = 8
# Longer than the run task's time limit, so a live worker never loses its lease.
LEASE = timedelta(minutes=10)
LOST_ENQUEUE_AFTER = timedelta(minutes=5)
# Pending rows this late mean the dispatcher is not running: shown to admins.
LATE_AFTER = timedelta(minutes=15)
CLAIM_BATCH = 500
BACKOFF_MAX = timedelta(hours=1)

_HANDLERS: dict[str, Handler] = {}


def scheduled_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that performs actions of `kind` (one handler per kind)."""

    def register(function: Handler) -> Handler:
        existing = _HANDLERS.get(kind)
        if existing is not None and existing is not function:
            raise ValueError(f"a handler for scheduled action kind {kind!r} already exists")
        _HANDLERS[kind] = function
        return function

    return register


def scheduled_handler_get(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def backoff_after(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failures: 1, 2, 4 … minutes, capped."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_MAX)


# ---- writes by causes ---------------------------------------------------------------------


@transaction.atomic
def scheduled_actions_put(
    *, organization: Organization, kind: str, due: dict[str, datetime]
) -> int:
    """Upsert one row per subject (set-based: one read, one insert, one update per batch).
    Returns how many rows were created or moved."""
    if not due:
        return 0
    existing = {
        row.subject: row
        for row in ScheduledAction.objects.select_for_update().filter(
            organization=organization, kind=kind, subject__in=list(due)
        )
    }
    to_create = [
        ScheduledAction(organization=organization, kind=kind, subject=subject, due_at=due_at)
        for subject, due_at in due.items()
        if subject not in existing
    ]
    to_move = []
    now = timezone.now()
    for subject, row in existing.items():
        if row.status not in (Status.PENDING, Status.CANCELLED):
            continue
        if row.status == Status.PENDING and row.due_at == due[subject]:
            continue
        row.status = Status.PENDING
        row.due_at = due[subject]
        row.updated_at = now
        to_move.append(row)
    # A concurrent writer of the same subject loses the race to the unique constraint and
    # keeps the winner's row (the cause is the same).
    ScheduledAction.objects.bulk_create(to_create, batch_size=500, ignore_conflicts=True)
    if to_move:
        ScheduledAction.objects.bulk_update(
            to_move, fields=["status", "due_at", "updated_at"], batch_size=500
        )
    return len(to_create) + len(to_move)


def scheduled_action_put(
    *, organization: Organization, kind: str, subject: str, due_at: datetime
) -> ScheduledAction:
    """Upsert one row (see the module docstring for what happens to each status)."""
    with transaction.atomic():
        scheduled_actions_put(organization=organization, kind=kind, due={subject: due_at})
        return ScheduledAction.objects.get(organization=organization, kind=kind, subject=subject)


@transaction.atomic
def scheduled_actions_cancel(
    *, organization: Organization, kind: str, subjects: Iterable[str]
) -> int:
    """Pending or enqueued rows of these subjects → cancelled. Running/done rows stay."""
    subjects = list(subjects)
    if not subjects:
        return 0
    return ScheduledAction.objects.filter(
        organization=organization,
        kind=kind,
        subject__in=subjects,
        status__in=[Status.PENDING, Status.ENQUEUED],
    ).update(status=Status.CANCELLED, lease_until=None, updated_at=timezone.now())


def scheduled_action_cancel(*, organization: Organization, kind: str, subject: str) -> int:
    return scheduled_actions_cancel(organization=organization, kind=kind, subjects=[subject])


# ---- dispatcher, runner, reaper -----------------------------------------------------------


def scheduled_organizations_due_unscoped(*, now: datetime) -> list[int]:
    """Organizations with due pending rows (a cross-tenant read of ids only, for the fan-out)."""
    return organizations_with_rows_unscoped(
        ScheduledAction, "status = %s AND due_at <= %s", [Status.PENDING, now]
    )


def scheduled_organizations_stuck_unscoped(*, now: datetime) -> list[int]:
    """Organizations with expired leases or lost enqueues (ids only, for the reaper)."""
    return organizations_with_rows_unscoped(
        ScheduledAction,
        "(status = %s AND lease_until < %s) OR (status = %s AND enqueued_at < %s)",
        [Status.RUNNING, now, Status.ENQUEUED, now - LOST_ENQUEUE_AFTER],
    )


def scheduled_actions_dispatch(
    *, organization: Organization, now: datetime | None = None, limit: int = CLAIM_BATCH
) -> list[int]:
    """Claim due pending rows → enqueued and publish their run tasks after commit."""
    from tenancy.tasks import scheduled_action_run_task

    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            ScheduledAction.objects.select_for_update(skip_locked=True)
            .filter(organization=organization, status=Status.PENDING, due_at__lte=now)
            .order_by("due_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        ScheduledAction.objects.filter(
            organization=organization, pk__in=ids, status=Status.PENDING
        ).update(status=Status.ENQUEUED, enqueued_at=now, updated_at=now)
        for action_id in ids:
            enqueue_on_commit(
                scheduled_action_run_task, organization_id=organization.id, action_id=action_id
            )
    return ids


def scheduled_action_run(
    *, organization: Organization, action_id: int, now: datetime | None = None
) -> str:
    """Run one enqueued action: claim with a lease, call its handler, mark it done. Returns
    the row's resulting status, or "skipped" when it was not this run's to take."""
    now = now or timezone.now()
    with transaction.atomic():
        action = (
            ScheduledAction.objects.select_for_update(skip_locked=True)
            .filter(organization=organization, pk=action_id, status=Status.ENQUEUED)
            .first()
        )
        if action is None:
            return "skipped"
        lease_until = now + LEASE
        action.status = Status.RUNNING
        action.lease_until = lease_until
        action.attempts += 1
        action.save(update_fields=["status", "lease_until", "attempts", "updated_at"])

    try:
        with transaction.atomic():
            locked = (
                ScheduledAction.objects.select_for_update()
                .filter(
                    organization=organization,
                    pk=action_id,
                    status=Status.RUNNING,
                    lease_until=lease_until,
                )
                .first()
            )
            if locked is None:  # reaped while we were starting: the next run owns it
                return "skipped"
            handler = _HANDLERS.get(locked.kind)
            if handler is None:
                raise LookupError(f"no handler registered for kind {locked.kind!r}")
            handler(organization=organization, action=locked)
            locked.status = Status.DONE
            locked.lease_until = None
            locked.last_error = ""
            locked.save(update_fields=["status", "lease_until", "last_error", "updated_at"])
            return Status.DONE
    except Exception as exc:
        logger.exception("scheduled action %s failed", action_id)
        return _action_failed(
            organization=organization,
            action_id=action_id,
            lease_until=lease_until,
            error=f"{type(exc).__name__}: {exc}",
        )


def _action_failed(
    *, organization: Organization, action_id: int, lease_until: datetime, error: str
) -> str:
    now = timezone.now()
    with transaction.atomic():
        action = (
            ScheduledAction.objects.select_for_update()
            .filter(
                organization=organization,
                pk=action_id,
                status=Status.RUNNING,
                lease_until=lease_until,
            )
            .first()
        )
        if action is None:
            return "skipped"
        if action.attempts >= MAX_ATTEMPTS:
            action.status = Status.DEAD
        else:
            action.status = Status.PENDING
            action.due_at = now + backoff_after(action.attempts)
        action.lease_until = None
        action.last_error = error[:2000]
        action.save(update_fields=["status", "due_at", "lease_until", "last_error", "updated_at"])
        return action.status


@transaction.atomic
def scheduled_actions_reap(*, organization: Organization, now: datetime | None = None) -> int:
    """Expired leases (a dead worker: an attempt) and lost enqueues → pending (or dead)."""
    now = now or timezone.now()
    expired = ScheduledAction.objects.filter(
        organization=organization, status=Status.RUNNING, lease_until__lt=now
    )
    message = "lease expired: the worker stopped before finishing"
    dead = expired.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=Status.DEAD, lease_until=None, last_error=message, updated_at=now
    )
    returned = expired.update(
        status=Status.PENDING, lease_until=None, due_at=now, last_error=message, updated_at=now
    )
    lost = ScheduledAction.objects.filter(
        organization=organization,
        status=Status.ENQUEUED,
        enqueued_at__lt=now - LOST_ENQUEUE_AFTER,
    ).update(status=Status.PENDING, enqueued_at=None, updated_at=now)
    return dead + returned + lost


# ---- admin: dead and stuck rows -------------------------------------------------------------


def scheduled_action_problems(
    *, organization: Organization, now: datetime | None = None
) -> QuerySet[ScheduledAction]:
    """Rows an admin should see: dead, running past the lease, enqueued and never run, or
    pending long past due (the dispatcher is not running)."""
    now = now or timezone.now()
    return ScheduledAction.objects.filter(
        Q(status=Status.DEAD)
        | Q(status=Status.RUNNING, lease_until__lt=now)
        | Q(status=Status.ENQUEUED, enqueued_at__lt=now - LOST_ENQUEUE_AFTER)
        | Q(status=Status.PENDING, due_at__lt=now - LATE_AFTER),
        organization=organization,
    ).order_by("due_at", "id")


@transaction.atomic
def scheduled_action_retry(
    *, organization: Organization, action: ScheduledAction, actor: User | None
) -> ScheduledAction:
    """An admin sends a dead or stuck row back to pending, due now, with fresh attempts."""
    if action.organization_id != organization.id:
        raise PermissionDenied("Scheduled action belongs to another organization.")
    locked = ScheduledAction.objects.select_for_update().get(
        organization=organization, pk=action.pk
    )
    if locked.status in (Status.DONE, Status.CANCELLED):
        raise ValidationError(
            _("This action is %(status)s; only failed or stuck actions can be retried.")
            % {"status": locked.get_status_display().lower()},
            code="not_retryable",
        )
    before = {"status": locked.status, "attempts": locked.attempts}
    now = timezone.now()
    locked.status = Status.PENDING
    locked.attempts = 0
    locked.due_at = now
    locked.lease_until = None
    locked.enqueued_at = None
    locked.save(
        update_fields=["status", "attempts", "due_at", "lease_until", "enqueued_at", "updated_at"]
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="scheduled_action.retried",
        target=locked,
        before=before,
        after={"status": locked.status, "attempts": 0},
    )
    return locked
