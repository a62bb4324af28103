"""Celery entry points of the accounts app: thin, ids in, the services hold the contracts."""

from __future__ import annotations

from celery import shared_task

from accounts.import_jobs import import_job_run
from accounts.models import ImportJob
from tenancy.models import Organization
from tenancy.tasks import TenantTask

_TIME_LIMIT_SECONDS = int(ImportJob.TIME_LIMIT.total_seconds())


# No retries: a failed import is terminal (import_job_failed) and the user uploads again.
@shared_task(
    base=TenantTask,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=_TIME_LIMIT_SECONDS,
    soft_time_limit=_TIME_LIMIT_SECONDS - 60,
)
def import_job_run_task(*, organization: Organization, job_id: int) -> None:
    import_job_run(organization=organization, job_id=job_id)
