"""Background imports: the threshold, the sweeper, the purge and uploads while the broker is
down (accounts/import_jobs.py, accounts/tasks.py, accounts/csv_views.py)."""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scope

from accounts import csv_io, import_jobs
from accounts.models import ImportJob
from accounts.tasks import import_job_run_task
from tests.accounts.factories import ImportJobFactory
from tests.accounts.import_job_helpers import (
    SYNC_MAX_ROWS,
    _account_ids,
    _accounts_csv,
    _audit_actions,
    _upload,
)
from tests.accounts.import_job_helpers import _small_threshold as _small_threshold  # pytest fixture
from tests.accounts.import_job_helpers import browser as browser  # pytest fixture
from tests.accounts.import_job_helpers import csm as csm  # pytest fixture

# --- threshold ---------------------------------------------------------------------------


def test_file_above_the_threshold_becomes_a_job_the_worker_imports(
    org, browser, csm, django_capture_on_commit_callbacks
):
    # Given a file one row above the threshold
    content = _accounts_csv(SYNC_MAX_ROWS + 1)

    # When it is uploaded (the task runs eagerly once the upload has committed)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = browser.post("/import/", {"kind": "accounts", "file": _upload(content)})

    # Then the page moves to the job, which is done with the file's rows imported
    with scope(organization=org):
        job = ImportJob.objects.get(organization=org)
    assert len(callbacks) == 1
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/"
    assert (job.status, job.kind, job.file_name, job.created_by_id) == (
        ImportJob.Status.DONE,
        "accounts",
        "big.csv",
        csm.user_id,
    )
    assert (job.rows_total, job.rows_checked, job.attempts) == (6, 6, 1)
    assert bytes(job.content) == b""
    assert job.started_at is not None
    assert job.finished_at is not None
    report = csv_io.ImportReport.from_json(job.report)
    assert (report.total_rows, report.created, report.updated, report.rejected) == (6, 6, 0, 0)
    assert _account_ids(org) == [f"ACC-{n:05d}" for n in range(1, 7)]
    assert _audit_actions(org) == ["accounts.imported"]


def test_file_at_the_threshold_is_imported_in_the_request(org, browser):
    response = browser.post(
        "/import/", {"kind": "accounts", "file": _upload(_accounts_csv(SYNC_MAX_ROWS))}
    )

    assert response.status_code == 200
    assert response.context["report"].created == SYNC_MAX_ROWS
    with scope(organization=org):
        assert ImportJob.objects.filter(organization=org).count() == 0


def test_blank_lines_do_not_count_towards_the_threshold(org, browser):
    content = _accounts_csv(SYNC_MAX_ROWS).replace(b"\n", b"\n\n")

    response = browser.post("/import/", {"kind": "accounts", "file": _upload(content)})

    assert response.status_code == 200
    assert response.context["report"].created == SYNC_MAX_ROWS


def test_large_file_with_a_file_level_problem_is_answered_at_once_without_a_job(
    org, browser, django_capture_on_commit_callbacks
):
    content = b"external_id,nome_errado\n" + b"A,b\n" * (SYNC_MAX_ROWS * 3)

    with django_capture_on_commit_callbacks() as callbacks:
        response = browser.post("/import/", {"kind": "accounts", "file": _upload(content)})

    assert response.status_code == 400
    assert response.context["report"].file_error == (
        "Missing required columns: name. Columns found: external_id, nome_errado."
    )
    assert "Nothing was imported." in response.content.decode()
    assert callbacks == []
    with scope(organization=org):
        assert ImportJob.objects.filter(organization=org).count() == 0


def test_sweeper_enqueues_jobs_left_queued_and_jobs_of_dead_workers(org):
    # Given a job queued two minutes ago that never reached a worker, a fresh one, and one
    # whose worker died mid-run
    lost = ImportJobFactory(organization=org)
    ImportJobFactory(organization=org)  # just queued: its task is on its way
    dead = ImportJobFactory(
        organization=org,
        status=ImportJob.Status.RUNNING,
        attempts=1,
        started_at=timezone.now() - ImportJob.STALE_AFTER - timedelta(minutes=1),
    )
    with scope(organization=org):
        ImportJob.objects.filter(pk=lost.pk).update(
            created_at=timezone.now() - timedelta(minutes=2)
        )

        # When the sweeper runs (tasks are eager under tests)
        enqueued = import_jobs.import_jobs_requeue(organization=org)

        # Then both stranded jobs ran; the fresh one was left to its own task
        assert enqueued == 2
        statuses = dict(ImportJob.objects.values_list("pk", "status"))
    assert statuses[lost.pk] == ImportJob.Status.DONE
    assert statuses[dead.pk] == ImportJob.Status.DONE


def test_finished_jobs_are_purged_after_thirty_days(org):
    old = ImportJobFactory(
        organization=org,
        status=ImportJob.Status.DONE,
        finished_at=timezone.now() - timedelta(days=31),
    )
    recent = ImportJobFactory(
        organization=org, status=ImportJob.Status.DONE, finished_at=timezone.now()
    )
    with scope(organization=org):
        assert import_jobs.import_jobs_purge(organization=org, older_than=timedelta(days=30)) == 1
        assert list(ImportJob.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk


def test_upload_while_the_broker_is_down_keeps_the_job_queued_for_the_sweeper(
    org, browser, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    def broker_down(**kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(import_job_run_task, "delay", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/import/", {"kind": "accounts", "file": _upload(_accounts_csv(SYNC_MAX_ROWS + 1))}
        )

    assert response.status_code == 302
    with scope(organization=org):
        job = ImportJob.objects.get(organization=org)
    assert job.status == ImportJob.Status.QUEUED
    assert response["Location"] == f"/imports/{job.pk}/"
