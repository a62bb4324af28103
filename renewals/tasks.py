"""Celery entry points of the renewals app (thin: ids in, one service call).

`renewals_daily_sweep_task` (beat, daily) fans out one `renewal_opportunities_open_task` per
organization; that task opens the renewal opportunities of contracts entering the renewal
window (idempotent: unique (organization, contract) + INSERT … ON CONFLICT DO NOTHING) and
refreshes the denormalised ARR columns. A redelivery or a double beat changes nothing; a
broker outage only delays the day's run (tomorrow's sweep catches up: the window is days).
"""

from __future__ import annotations

from celery import shared_task

from tenancy.jobs import enqueue_on_commit
from tenancy.models import Organization
from tenancy.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, time_limit=600, soft_time_limit=570, max_retries=3)
def renewal_opportunities_open_task(self, *, organization: Organization) -> int:
    from renewals.services import renewal_opportunities_open

    return renewal_opportunities_open(organization=organization)


@shared_task(time_limit=120, soft_time_limit=100)
def renewals_daily_sweep_task() -> int:
    """Enqueue the daily renewals job of every organization (one task each, on commit)."""
    count = 0
    for organization_id in Organization.objects.values_list("id", flat=True).iterator():
        enqueue_on_commit(renewal_opportunities_open_task, organization_id=organization_id)
        count += 1
    return count
