"""Celery tasks of touchpoints, success plans and advocacy (re-exported by lifecycle/tasks.py).

Objectives are refreshed once a day (beat `objectives-bound-refresh`, after the nightly
health recompute): the sweep fans out one task per organization that has objectives; each
runs one UPDATE of the bound ones (`objective_bound_refresh`) and then tells health where
every objective stands today (`objective_outcomes_sync`, which writes only what changed), so
a double-fired beat writes nothing the second time.
"""

from __future__ import annotations

from celery import shared_task

from lifecycle.models.success import Objective
from tenancy.jobs import organizations_with_rows_unscoped
from tenancy.models import Organization
from tenancy.tasks import TenantTask


def organizations_with_objectives_unscoped() -> list[int]:
    """Ids of organizations with objectives (a cross-tenant read of ids, for fan-out)."""
    return organizations_with_rows_unscoped(Objective)


@shared_task(time_limit=120, soft_time_limit=100)
def objectives_bound_refresh_sweep_task() -> int:
    ids = organizations_with_objectives_unscoped()
    for organization_id in ids:
        objectives_bound_refresh_task.delay(organization_id=organization_id)
    return len(ids)


@shared_task(base=TenantTask, time_limit=300, soft_time_limit=240)
def objectives_bound_refresh_task(*, organization: Organization) -> int:
    from lifecycle.services.success import objective_bound_refresh, objective_outcomes_sync

    refreshed = objective_bound_refresh(organization=organization).objectives
    objective_outcomes_sync(organization=organization)
    return refreshed
