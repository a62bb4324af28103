"""Background CSV imports: files above ACCOUNT_IMPORT_SYNC_MAX_ROWS rows (DESIGN.md, Jobs).

An ImportJob goes queued → running → done | failed.

- `csv_import_submit` reads the file in the request first (`csv_file_check`: no database,
  a fraction of the import's cost). A file-level problem is answered at once and creates no
  job; a file of up to ACCOUNT_IMPORT_SYNC_MAX_ROWS data rows is imported in the request,
  exactly as before; a larger one becomes a job.
- `import_job_create` keeps the uploaded bytes in the row, so a worker on any host can read
  them, and enqueues `import_job_run_task` on commit.
- `import_job_run` claims the job in its own short transaction (SELECT ... FOR UPDATE SKIP
  LOCKED, then queued → running). A redelivered or duplicated task finds the job locked,
  running or finished and does nothing, so a file is imported once.
- Claiming again: a job still running after `ImportJob.STALE_AFTER` (the task's hard time
  limit plus a minute) has lost its worker, because Celery kills a task at its hard limit; the
  next delivery of its task (acks_late, reject_on_worker_lost) claims it again. That is safe
  because an import is idempotent by key (re-importing updates instead of duplicating: rows a
  first, committed run wrote come out unchanged) and bounded: after IMPORT_JOB_MAX_ATTEMPTS
  claims the job fails instead of looping on a file that kills its worker. `attempts` fences
  the finish: only the latest claim may mark the job done.
- Progress: while rows are checked, before the write transaction opens, `rows_checked` is
  written every few hundred rows in autocommit, so the page polling the job sees it. The
  write is one transaction (the page says "saving"): an exception, the soft time limit
  included, leaves nothing half-imported and marks the job failed with a short message in
  the uploader's language; the traceback goes to the log.
- Finished (done or failed), the job's `content` is emptied: the file's personal data is not
  kept, and the report (counts, rejected lines, rejected-rows CSV) is what remains.
- Known window: a worker that dies after the write commits and before the job is marked
  done leaves the rows imported and the job running; it is claimed again on redelivery (and
  reports every row unchanged), or shows as stopped once stale.

These functions are a service's orchestration, not one transaction: the claim, the progress
updates, the import's write and the finish each commit on their own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import csv_io
from accounts.csv_io import ImportReport
from accounts.models import ImportJob
from tenancy.jobs import enqueue_now, enqueue_on_commit
from tenancy.models import Organization, User

logger = logging.getLogger(__name__)

IMPORT_JOB_MAX_ATTEMPTS = 2
ERROR_MESSAGE_MAX_LENGTH = 500


@dataclass(frozen=True)
class ImportSubmission:
    """An upload's outcome: the report of an import done now, or the job that will do it."""

    report: ImportReport | None = None
    job: ImportJob | None = None


def csv_import_submit(
    *,
    organization: Organization,
    actor: User | None,
    kind: str,
    file_name: str,
    content: bytes,
) -> ImportSubmission:
    """Import a small file now, answer a file-level problem now, queue a large file."""
    check = csv_io.csv_file_check(kind=kind, content=content)
    if check.file_error is not None:
        return ImportSubmission(report=ImportReport(kind=kind, file_error=check.file_error))
    if check.rows <= settings.ACCOUNT_IMPORT_SYNC_MAX_ROWS:
        report = csv_io.csv_import(
            organization=organization,
            actor=actor,
            kind=kind,
            content=content,
            filename=file_name,
        )
        return ImportSubmission(report=report)
    job = import_job_create(
        organization=organization,
        actor=actor,
        kind=kind,
        file_name=file_name,
        content=content,
        rows_total=check.rows,
    )
    return ImportSubmission(job=job)


def import_job_create(
    *,
    organization: Organization,
    actor: User | None,
    kind: str,
    file_name: str,
    content: bytes,
    rows_total: int = 0,
) -> ImportJob:
    """Store the file as a queued job and enqueue its run once the row is committed.

    The report will be written in the language active now (the uploader's)."""
    from accounts.tasks import import_job_run_task

    if kind not in csv_io.KINDS:
        raise ValueError(f"Unknown import kind: {kind}")
    with transaction.atomic():
        job = ImportJob.objects.create(
            organization=organization,
            kind=kind,
            file_name=file_name[:255],
            content=content,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            rows_total=rows_total,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        enqueue_on_commit(import_job_run_task, organization_id=organization.id, job_id=job.id)
    return job


def import_jobs_requeue(*, organization: Organization) -> int:
    """Enqueue again the jobs no worker is on: queued for over a minute (the broker was down
    or the message was lost) or running past their time limit (the worker died). The claim
    decides what actually runs, so an extra enqueue is harmless."""
    now = timezone.now()
    job_ids = ImportJob.objects.filter(
        models.Q(status=ImportJob.Status.QUEUED, created_at__lt=now - timedelta(minutes=1))
        | models.Q(status=ImportJob.Status.RUNNING, started_at__lt=now - ImportJob.STALE_AFTER),
        organization=organization,
    ).values_list("id", flat=True)
    from accounts.tasks import import_job_run_task

    return sum(
        enqueue_now(import_job_run_task, organization_id=organization.id, job_id=job_id)
        for job_id in job_ids
    )


def import_jobs_purge(*, organization: Organization, older_than: timedelta) -> int:
    """Forget finished jobs (their stored reports) after `older_than`."""
    deleted, _ = ImportJob.objects.filter(
        organization=organization,
        status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED],
        finished_at__lt=timezone.now() - older_than,
    ).delete()
    return deleted


def import_job_run(*, organization: Organization, job_id: int) -> ImportJob | None:
    """Run the job if this call claims it; None when there was nothing to do (see above)."""
    job = _import_job_claim(organization=organization, job_id=job_id)
    if job is None:
        return None
    content = (
        ImportJob.objects.filter(organization=organization, pk=job.pk)
        .values_list("content", flat=True)
        .get()
    )

    def progress(rows_checked: int, rows_total: int) -> None:
        ImportJob.objects.filter(
            organization=organization,
            pk=job.pk,
            status=ImportJob.Status.RUNNING,
            attempts=job.attempts,
        ).update(rows_checked=rows_checked, rows_total=rows_total)

    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            report = csv_io.csv_import(
                organization=organization,
                actor=job.created_by,
                kind=job.kind,
                content=bytes(content),
                filename=job.file_name,
                progress=progress,
            )
        except SoftTimeLimitExceeded:
            logger.warning("import job %s: soft time limit reached; nothing imported", job.pk)
            return import_job_failed(
                organization=organization,
                job_id=job.pk,
                message=_(
                    "The import took too long and was stopped; nothing was imported. Split the "
                    "file into smaller files and import them one by one."
                ),
            )
        except Exception:
            logger.exception("import job %s failed; nothing imported", job.pk)
            return import_job_failed(
                organization=organization,
                job_id=job.pk,
                message=_(
                    "The import stopped because of an unexpected error; nothing was imported. "
                    "Try again, and if it fails again, tell us the import number %(number)s."
                )
                % {"number": job.pk},
            )

    ImportJob.objects.filter(
        organization=organization,
        pk=job.pk,
        status=ImportJob.Status.RUNNING,
        attempts=job.attempts,
    ).update(
        status=ImportJob.Status.DONE,
        report=report.to_json(),
        rows_total=report.total_rows,
        rows_checked=report.total_rows,
        content=b"",
        finished_at=timezone.now(),
    )
    return _import_job_get(organization=organization, job_id=job.pk)


def import_job_failed(*, organization: Organization, job_id: int, message: str) -> ImportJob:
    """Terminal failure of an unfinished job: the message is shown to users as it is."""
    ImportJob.objects.filter(
        organization=organization,
        pk=job_id,
        status__in=(ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
    ).update(
        status=ImportJob.Status.FAILED,
        error_message=message[:ERROR_MESSAGE_MAX_LENGTH],
        content=b"",
        finished_at=timezone.now(),
    )
    return _import_job_get(organization=organization, job_id=job_id)


def _import_job_claim(*, organization: Organization, job_id: int) -> ImportJob | None:
    now = timezone.now()
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(skip_locked=True)
            .defer("content", "report")
            .filter(organization=organization, pk=job_id)
            .first()
        )
        if job is None:  # gone, or another worker holds the lock right now
            return None
        if job.status != ImportJob.Status.QUEUED and not job.is_stalled:
            return None
        if job.attempts >= IMPORT_JOB_MAX_ATTEMPTS:
            with translation.override(job.language or settings.LANGUAGE_CODE):
                import_job_failed(
                    organization=organization,
                    job_id=job.pk,
                    message=_(
                        "The import stopped twice before finishing; nothing more will be "
                        "tried. Split the file into smaller files and import them one by one."
                    ),
                )
            return None
        job.status = ImportJob.Status.RUNNING
        job.started_at = now
        job.attempts += 1
        job.rows_checked = 0
        job.save(update_fields=["status", "started_at", "attempts", "rows_checked"])
    return job


def _import_job_get(*, organization: Organization, job_id: int) -> ImportJob:
    return ImportJob.objects.defer("content").get(organization=organization, pk=job_id)
