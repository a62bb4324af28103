"""Celery entry points of the automatic survey sends (thin: ids in, one service call).

`survey_periodic_sweep_task` (beat, daily) fans out one `survey_periodic_send_task` per
organization with an active periodic survey; a contact invited today is no longer due, so a
double beat or a redelivery invites nobody twice.
"""

from __future__ import annotations

from celery import shared_task

from tenancy.jobs import enqueue_now, organizations_with_rows_unscoped
from tenancy.models import Organization
from tenancy.tasks import TenantTask


@shared_task(base=TenantTask, time_limit=900, soft_time_limit=840)
def survey_periodic_send_task(*, organization: Organization) -> int:
    from lifecycle.services.survey_triggers import survey_periodic_send

    return survey_periodic_send(organization=organization)


@shared_task(time_limit=120, soft_time_limit=100)
def survey_periodic_sweep_task() -> int:
    from surveys.models import AutoTrigger, Survey

    organization_ids = organizations_with_rows_unscoped(
        Survey, "active AND auto_trigger = %s", [AutoTrigger.PERIODIC]
    )
    for organization_id in organization_ids:
        enqueue_now(survey_periodic_send_task, organization_id=organization_id)
    return len(organization_ids)
