"""Celery entry points of the stage engine (thin: ids in, one service call).

`stages_daily_sweep_task` (beat, daily) fans out one `stages_evaluate_task` per organization;
the evaluation is idempotent (stages already right are not written; writers of one
organization serialise on its row), so a double beat or a redelivery writes nothing twice.
"""

from __future__ import annotations

from celery import shared_task

from tenancy.jobs import enqueue_now
from tenancy.models import Organization
from tenancy.tasks import TenantTask


@shared_task(base=TenantTask, time_limit=900, soft_time_limit=840)
def stages_evaluate_task(*, organization: Organization) -> int:
    from lifecycle.services.stages import stages_evaluate

    return stages_evaluate(organization=organization).changed


@shared_task(time_limit=120, soft_time_limit=100)
def stages_daily_sweep_task() -> int:
    count = 0
    for organization_id in Organization.objects.values_list("id", flat=True).iterator():
        enqueue_now(stages_evaluate_task, organization_id=organization_id)
        count += 1
    return count
