"""Background imports: the job's life cycle and idempotency, failure and progress
(accounts/import_jobs.py, accounts/tasks.py)."""

from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone
from django_scopes import scope

from accounts import csv_io, import_jobs
from accounts.csv_io import importers
from accounts.models import ImportJob
from accounts.tasks import import_job_run_task
from tenancy.models import Role
from tests.accounts.factories import ImportJobFactory
from tests.accounts.import_job_helpers import (
    _account_ids,
    _accounts_csv,
    _audit_actions,
    _job,
    _run_task,
)
from tests.accounts.import_job_helpers import _small_threshold as _small_threshold  # pytest fixture
from tests.accounts.import_job_helpers import csm as csm  # pytest fixture

# --- running a job -----------------------------------------------------------------------


def test_running_the_task_twice_imports_once(org):
    # Given a queued job of three new accounts
    job = ImportJobFactory(organization=org, content=_accounts_csv(3), rows_total=3)

    # When its task is delivered twice
    _run_task(job)
    first = _job(org, job.pk)
    _run_task(job)
    second = _job(org, job.pk)

    # Then the second delivery changed nothing: one import, one audit event
    assert first.status == ImportJob.Status.DONE
    assert (second.status, second.attempts, second.report) == (
        ImportJob.Status.DONE,
        1,
        first.report,
    )
    assert second.finished_at == first.finished_at
    assert first.report["created"] == 3
    assert _account_ids(org) == ["ACC-00001", "ACC-00002", "ACC-00003"]
    assert _audit_actions(org) == ["accounts.imported"]


def test_job_running_on_another_worker_is_left_alone(org):
    job = ImportJobFactory(
        organization=org,
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now() - timedelta(minutes=5),
        attempts=1,
    )

    with scope(organization=org):
        result = import_jobs.import_job_run(organization=org, job_id=job.pk)

    assert result is None
    assert _job(org, job.pk).status == ImportJob.Status.RUNNING
    assert _account_ids(org) == []


def test_job_whose_worker_died_is_claimed_again_once(org):
    # Given a job running for longer than the task's hard time limit, claimed once
    stale_start = timezone.now() - ImportJob.STALE_AFTER - timedelta(seconds=1)
    job = ImportJobFactory(
        organization=org, status=ImportJob.Status.RUNNING, started_at=stale_start, attempts=1
    )

    with scope(organization=org):
        result = import_jobs.import_job_run(organization=org, job_id=job.pk)

    assert (result.status, result.attempts) == (ImportJob.Status.DONE, 2)
    assert _account_ids(org) == ["ACC-1", "ACC-2"]


def test_job_that_stopped_twice_fails_instead_of_running_again(org):
    stale_start = timezone.now() - ImportJob.STALE_AFTER - timedelta(seconds=1)
    job = ImportJobFactory(
        organization=org,
        status=ImportJob.Status.RUNNING,
        started_at=stale_start,
        attempts=import_jobs.IMPORT_JOB_MAX_ATTEMPTS,
    )

    with scope(organization=org):
        result = import_jobs.import_job_run(organization=org, job_id=job.pk)

    assert result is None
    failed = _job(org, job.pk)
    assert failed.status == ImportJob.Status.FAILED
    assert failed.error_message.startswith("The import stopped twice before finishing")
    assert bytes(failed.content) == b""
    assert _account_ids(org) == []


def test_job_whose_rows_are_all_invalid_ends_done_with_every_error(org, member, client_for):
    # Given a job whose three rows each lack a required value
    content = b"external_id,name\nACC-1,\nACC-2,\n,Nameless\n"
    job = ImportJobFactory(organization=org, content=content, rows_total=3)

    _run_task(job)

    done = _job(org, job.pk)
    assert done.status == ImportJob.Status.DONE
    assert (done.report["created"], done.report["updated"]) == (0, 0)
    assert done.report["errors"] == [
        {"line": 2, "messages": ["name: a value is required."]},
        {"line": 3, "messages": ["name: a value is required."]},
        {"line": 4, "messages": ["external_id: a value is required."]},
    ]
    assert (
        done.report["rejected_csv"].splitlines()[0] == "external_id,name,import_line,import_errors"
    )
    assert _account_ids(org) == []
    assert _audit_actions(org) == []
    html = client_for(member(Role.CSM)).get(f"/imports/{job.pk}/").content.decode()
    assert '<td class="mono">4</td><td>external_id: a value is required.</td>' in html
    assert "3 lines were not imported." in html
    assert "Download the rejected lines as CSV" in html


def test_exception_during_the_write_fails_the_job_and_writes_nothing(org, monkeypatch):
    # Given a write that breaks after creating the rows, inside its transaction
    original_write = importers._AccountImport.write

    def write_then_break(self, valid):
        original_write(self, valid)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importers._AccountImport, "write", write_then_break)
    job = ImportJobFactory(organization=org, content=_accounts_csv(3), rows_total=3)

    _run_task(job)

    failed = _job(org, job.pk)
    assert failed.status == ImportJob.Status.FAILED
    assert failed.error_message == (
        "The import stopped because of an unexpected error; nothing was imported. Try again, "
        f"and if it fails again, tell us the import number {job.pk}."
    )
    assert "disk on fire" not in failed.error_message
    assert (bytes(failed.content), failed.report) == (b"", None)
    assert failed.finished_at is not None
    assert _account_ids(org) == []
    assert _audit_actions(org) == []


def test_soft_time_limit_fails_the_job_with_advice(org, monkeypatch):
    def too_slow(self, valid):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(importers._AccountImport, "write", too_slow)
    job = ImportJobFactory(organization=org)

    _run_task(job)

    failed = _job(org, job.pk)
    assert failed.status == ImportJob.Status.FAILED
    assert failed.error_message.startswith("The import took too long and was stopped")
    assert _account_ids(org) == []


def test_task_for_a_job_that_does_not_exist_does_nothing(org):
    with scope(organization=org):
        assert import_jobs.import_job_run(organization=org, job_id=987654321) is None


def test_task_cannot_run_another_organizations_job(org, other_org):
    job = ImportJobFactory(organization=other_org)

    import_job_run_task.delay(organization_id=org.id, job_id=job.pk)

    assert _job(other_org, job.pk).status == ImportJob.Status.QUEUED
    assert _account_ids(org) == []
    assert _account_ids(other_org) == []


# --- progress ----------------------------------------------------------------------------


def test_progress_is_reported_with_increasing_counts_before_the_write(org, csm):
    calls = []
    content = _accounts_csv(1200)

    with scope(organization=org):
        report = csv_io.csv_import(
            organization=org,
            actor=csm.user,
            kind="accounts",
            content=content,
            progress=lambda checked, total: calls.append((checked, total, _account_ids(org))),
        )

    assert report.created == 1200
    assert [(checked, total) for checked, total, _ids in calls] == [
        (500, 1200),
        (1000, 1200),
        (1200, 1200),
    ]
    assert all(ids == [] for _checked, _total, ids in calls)


def test_job_records_progress_and_is_saving_during_the_write(org, monkeypatch):
    # Given progress every 2 rows and a write that looks at the job while it runs
    monkeypatch.setattr(importers, "PROGRESS_EVERY", 2)
    seen_during_write = []
    original_write = importers._AccountImport.write

    def observing_write(self, valid):
        seen_during_write.append(_job(org, job.pk))
        return original_write(self, valid)

    monkeypatch.setattr(importers._AccountImport, "write", observing_write)
    job = ImportJobFactory(organization=org, content=_accounts_csv(5), rows_total=5)

    _run_task(job)

    [during] = seen_during_write
    assert (during.status, during.rows_checked, during.rows_total) == (
        ImportJob.Status.RUNNING,
        5,
        5,
    )
    assert during.is_saving
    assert _job(org, job.pk).status == ImportJob.Status.DONE
