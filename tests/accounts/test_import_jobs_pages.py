"""Background imports: the job's page, the import page and the report's JSON round trip
(accounts/csv_views.py, accounts/csv_io.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope

from accounts import csv_io
from accounts.models import ImportJob
from tenancy.models import Role
from tests.accounts.factories import ImportJobFactory
from tests.accounts.import_job_helpers import _accounts_csv, _job, _run_task
from tests.accounts.import_job_helpers import _small_threshold as _small_threshold  # pytest fixture
from tests.accounts.import_job_helpers import browser as browser  # pytest fixture
from tests.accounts.import_job_helpers import csm as csm  # pytest fixture

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
