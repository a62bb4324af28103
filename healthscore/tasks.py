"""Celery entry points of the healthscore app (thin: take ids, call one service).

The dirty sweeper runs on beat every 15 seconds and fans out one task per organization with
dirty accounts; each task claims its marks (DELETE … RETURNING under SKIP LOCKED), so a
double-fired beat or a redelivered task finds nothing left to do. A full recompute per
organization runs nightly; the expansion triggers are evaluated daily the same way.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from healthscore.models import HealthDirty, HistoryRecompute
from tenancy.jobs import organizations_with_rows_unscoped
from tenancy.models import Organization
from tenancy.tasks import TenantTask


def health_dirty_organizations_unscoped() -> list[int]:
    """Organizations with dirty accounts (a cross-tenant read of ids only, for the fan-out)."""
    return organizations_with_rows_unscoped(HealthDirty)


@shared_task(time_limit=30, soft_time_limit=25)
def health_dirty_sweep_task() -> int:
    organization_ids = health_dirty_organizations_unscoped()
    for organization_id in organization_ids:
        health_dirty_recompute_task.delay(organization_id=organization_id)
    return len(organization_ids)


@shared_task(base=TenantTask, time_limit=120, soft_time_limit=100)
def health_dirty_recompute_task(*, organization: Organization) -> int:
    from healthscore.services import health_dirty_recompute

    total = 0
    while True:  # a big backlog is taken in claims of DIRTY_CLAIM accounts
        outcome = health_dirty_recompute(organization=organization)
        total += outcome.accounts
        if outcome.accounts == 0 or total >= 200_000:
            return total


@shared_task(time_limit=120, soft_time_limit=100)
def health_full_recompute_sweep_task() -> int:
    ids = list(Organization.objects.values_list("id", flat=True))
    for organization_id in ids:
        health_full_recompute_task.delay(organization_id=organization_id)
    return len(ids)


@shared_task(base=TenantTask, time_limit=900, soft_time_limit=840)
def health_full_recompute_task(*, organization: Organization) -> int:
    from healthscore.services import health_score_recompute

    return health_score_recompute(organization=organization).accounts


@shared_task(base=TenantTask, time_limit=1800, soft_time_limit=1740, acks_late=True)
def health_history_recompute_task(*, organization: Organization, job_id: int) -> int:
    from healthscore.services import health_history_recompute

    return health_history_recompute(organization=organization, job_id=job_id)


def health_history_stale_organizations_unscoped(stale_before) -> list[int]:
    """Organizations with a history rebuild that looks stopped (ids only, for the fan-out)."""
    return organizations_with_rows_unscoped(
        HistoryRecompute,
        "status IN ('queued', 'running') AND COALESCE(heartbeat_at, created_at) < %s",
        [stale_before],
    )


@shared_task(time_limit=60, soft_time_limit=50)
def health_history_reap_sweep_task() -> int:
    stale_before = timezone.now() - HistoryRecompute.REAP_AFTER
    organization_ids = health_history_stale_organizations_unscoped(stale_before)
    for organization_id in organization_ids:
        health_history_reap_task.delay(organization_id=organization_id)
    return len(organization_ids)


@shared_task(base=TenantTask, time_limit=60, soft_time_limit=50)
def health_history_reap_task(*, organization: Organization) -> int:
    from healthscore.services import health_history_reap

    return health_history_reap(organization=organization)


@shared_task(time_limit=120, soft_time_limit=100)
def expansion_triggers_sweep_task() -> int:
    ids = list(Organization.objects.values_list("id", flat=True))
    for organization_id in ids:
        expansion_triggers_evaluate_task.delay(organization_id=organization_id)
    return len(ids)


@shared_task(base=TenantTask, time_limit=600, soft_time_limit=540)
def expansion_triggers_evaluate_task(*, organization: Organization) -> int:
    from healthscore.expansion import expansion_triggers_evaluate

    return expansion_triggers_evaluate(organization=organization)
