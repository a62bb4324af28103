"""Celery entry points of the accounts app: thin, ids in, the services hold the contracts."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django_scopes import scope

from accounts.import_jobs import import_job_run, import_jobs_purge, import_jobs_requeue
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


@shared_task(time_limit=60, soft_time_limit=50)
def import_jobs_requeue_task() -> int:
    """Sweeper: jobs left queued (broker down) or running on a dead worker get enqueued again."""
    enqueued = 0
    for organization in Organization.objects.only("id").iterator():
        with scope(organization=organization):
            enqueued += import_jobs_requeue(organization=organization)
    return enqueued


@shared_task(time_limit=300, soft_time_limit=280)
def import_jobs_purge_task() -> int:
    """Finished imports (and their stored reports) are kept for 30 days."""
    deleted = 0
    for organization in Organization.objects.only("id").iterator():
        with scope(organization=organization):
            deleted += import_jobs_purge(organization=organization, older_than=timedelta(days=30))
    return deleted
