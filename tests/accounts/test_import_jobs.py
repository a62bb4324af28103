"""Background imports: the threshold, the job's life cycle and idempotency, failure, progress,
and the job's page (accounts/import_jobs.py, accounts/tasks.py, accounts/csv_views.py)."""

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scope

from accounts import csv_io, import_jobs
from accounts.csv_io import importers
from accounts.models import Account, ImportJob
from accounts.tasks import import_job_run_task
from tenancy.models import AuditEvent, Role
from tests.accounts.factories import ImportJobFactory

SYNC_MAX_ROWS = 5


@pytest.fixture(autouse=True)
def _small_threshold(settings):
    settings.ACCOUNT_IMPORT_SYNC_MAX_ROWS = SYNC_MAX_ROWS


@pytest.fixture
def csm(member):
    return member(Role.CSM, user__email="ana@acme.example")


@pytest.fixture
def browser(csm, client_for):
    return client_for(csm)


def _accounts_csv(count: int, *, start: int = 1, name: str = "Customer") -> bytes:
    lines = ["external_id,name"] + [f"ACC-{n:05d},{name} {n}" for n in range(start, start + count)]
    return ("\n".join(lines) + "\n").encode()


def _upload(content: bytes, name: str = "big.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _account_ids(org) -> list[str]:
    with scope(organization=org):
        return sorted(
            Account.objects.filter(organization=org).values_list("external_id", flat=True)
        )


def _job(org, pk) -> ImportJob:
    with scope(organization=org):
        return ImportJob.objects.get(organization=org, pk=pk)


def _audit_actions(org) -> list[str]:
    with scope(organization=org):
        return list(AuditEvent.objects.filter(organization=org).values_list("action", flat=True))


def _run_task(job) -> None:
    import_job_run_task.delay(organization_id=job.organization_id, job_id=job.pk)


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


# --- the job's page ----------------------------------------------------------------------


def test_page_of_a_queued_job_polls_and_shows_the_rows_to_import(org, browser):
    job = ImportJobFactory(organization=org, rows_total=50_000, file_name="customers.csv")

    response = browser.get(f"/imports/{job.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Import of customers.csv" in html
    assert f'hx-get="/imports/{job.pk}/" hx-trigger="every 1s" hx-swap="outerHTML"' in html
    assert "Waiting to start…" in html
    assert "50,000 rows to import." in html
    assert "<progress" in html
    assert "HX-Request" in [value.strip() for value in response["Vary"].split(",")]
    assert "no-cache" in response["Cache-Control"]


def test_page_of_a_running_job_shows_the_rows_checked(org, browser):
    job = ImportJobFactory(
        organization=org,
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now(),
        rows_total=50_000,
        rows_checked=12_000,
    )

    response = browser.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert html.startswith('<div id="import-job-status"')
    assert "<html" not in html
    assert 'hx-trigger="every 1s"' in html
    assert 'value="12000" max="50000"' in html
    assert (
        '<p id="progress-text" role="status" aria-live="polite">Checked 12,000 of 50,000 rows</p>'
        in html
    )


def test_page_of_a_job_saving_its_rows_says_so(org, browser):
    job = ImportJobFactory(
        organization=org,
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now(),
        rows_total=30_000,
        rows_checked=30_000,
    )

    html = browser.get(f"/imports/{job.pk}/").content.decode()

    assert "Saving…" in html
    assert "Checked all 30,000 rows; saving the valid ones in one go." in html
    assert 'hx-trigger="every 1s"' in html


def test_page_of_a_done_job_shows_the_report_and_stops_polling(org, browser):
    job = ImportJobFactory(organization=org, content=_accounts_csv(7), rows_total=7)
    _run_task(job)

    page = browser.get(f"/imports/{job.pk}/")
    partial = browser.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"})

    for response in (page, partial):
        html = response.content.decode()
        assert response.status_code == 200
        assert "hx-trigger" not in html
        assert "<progress" not in html
        assert 'class="card import-report"' in html
        assert "<div><dt>Created</dt><dd>7</dd></div>" in html
        assert "Every line was imported." in html
    assert partial.content.decode().startswith('<div id="import-job-status"')


def test_page_of_a_failed_job_shows_its_message(org, browser):
    job = ImportJobFactory(
        organization=org, status=ImportJob.Status.FAILED, error_message="It broke."
    )

    html = browser.get(f"/imports/{job.pk}/").content.decode()

    assert "Nothing was imported." in html
    assert "It broke." in html
    assert "hx-trigger" not in html


def test_page_of_a_stalled_job_stops_polling(org, browser):
    job = ImportJobFactory(
        organization=org,
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now() - ImportJob.STALE_AFTER - timedelta(minutes=1),
    )

    html = browser.get(f"/imports/{job.pk}/").content.decode()

    assert "This import stopped before finishing." in html
    assert "hx-trigger" not in html


def test_viewer_cannot_see_a_job(org, member, client_for):
    job = ImportJobFactory(organization=org)

    response = client_for(member(Role.VIEWER)).get(f"/imports/{job.pk}/")

    assert response.status_code == 403


def test_another_organizations_job_is_not_found(org, other_org, browser):
    job = ImportJobFactory(organization=other_org)

    response = browser.get(f"/imports/{job.pk}/")

    assert response.status_code == 404


def test_job_page_query_count_does_not_grow_with_the_report(
    org, browser, django_assert_num_queries
):
    few = ImportJobFactory(organization=org, content=b"external_id,name\nA,\n", rows_total=1)
    many = ImportJobFactory(
        organization=org,
        content=b"external_id,name\n" + b"".join(b"X%d,\n" % n for n in range(300)),
        rows_total=300,
    )
    queued = ImportJobFactory(organization=org)
    for job in (few, many):
        _run_task(job)

    for job in (few, many, queued):
        # session, user, membership, organization, the job with its uploader
        with django_assert_num_queries(5):
            response = browser.get(f"/imports/{job.pk}/")
        assert response.status_code == 200
    assert _job(org, many.pk).report["errors"][299]["line"] == 301


# --- the import page ---------------------------------------------------------------------


def test_import_page_lists_the_latest_ten_jobs_of_the_organization(
    org, other_org, browser, django_assert_num_queries
):
    now = timezone.now()
    for n in range(12):
        ImportJobFactory(
            organization=org, file_name=f"file-{n:02d}.csv", created_at=now - timedelta(hours=n)
        )
    ImportJobFactory(organization=other_org, file_name="someone-elses.csv")

    with django_assert_num_queries(5):
        response = browser.get("/import/")

    html = response.content.decode()
    listed = [name for name in (f"file-{n:02d}.csv" for n in range(12)) if name in html]
    assert listed == [f"file-{n:02d}.csv" for n in range(10)]
    assert html.index("file-00.csv") < html.index("file-09.csv")
    assert "someone-elses.csv" not in html
    with scope(organization=org):
        newest = ImportJob.objects.get(organization=org, file_name="file-00.csv")
    assert f'href="/imports/{newest.pk}/"' in html


def test_report_survives_its_json_round_trip(org, csv_report_with_everything):
    report = csv_report_with_everything

    assert csv_io.ImportReport.from_json(report.to_json()) == report


@pytest.fixture
def csv_report_with_everything(org, csm):
    content = b"external_id,name,colour\nA,Acme,red\nB,,blue\nC,Cyan,\n"
    with scope(organization=org):
        return csv_io.csv_import(organization=org, actor=csm.user, kind="accounts", content=content)


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
