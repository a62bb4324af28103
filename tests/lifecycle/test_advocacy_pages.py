"""Advocates list and the Account 360 advocacy panel: roles, filters, counts, transitions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecycle.models import AdvocacyRecord
from tenancy.models import Role
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_records import AdvocacyRecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(org):
    account = AccountFactory(organization=org, name="Initech")
    AdvocacyRecordFactory(account=account, kind="reference", status="requested")
    AdvocacyRecordFactory(account=account, kind="reference", status="agreed")
    AdvocacyRecordFactory(account=account, kind="review", status="done", review_site="G2 Crowd")
    AdvocacyRecordFactory(
        account=account, kind="referral", status="declined", referred_company="Globex"
    )
    return account


def test_viewer_reads_the_list_with_counts_and_no_actions(org, member, client_for, records):
    response = client_for(member(Role.VIEWER)).get("/advocates/")

    body = response.content.decode()
    assert response.status_code == 200
    assert '<strong class="num" data-testid="count-requested">1</strong>' in body
    assert '<strong class="num" data-testid="count-declined">1</strong>' in body
    assert "4 records" in body
    assert "G2 Crowd" in body
    assert "referred Globex" in body
    assert "Mark Agreed" not in body


def test_filters_by_kind_and_status(org, member, client_for, records):
    browser = client_for(member(Role.VIEWER))

    by_kind = browser.get("/advocates/?kind=reference").content.decode()
    by_both = browser.get("/advocates/?kind=reference&status=agreed").content.decode()
    bad = browser.get("/advocates/?kind=award&page=zzz")

    assert "2 records" in by_kind
    assert '<strong class="num" data-testid="count-done">0</strong>' in by_kind
    assert "1 record" in by_both
    assert bad.status_code == 200


def test_empty_list(org, member, client_for):
    body = client_for(member(Role.VIEWER)).get("/advocates/").content.decode()

    assert "No advocacy records yet." in body


def test_list_query_count_is_fixed(org, member, client_for):
    browser = client_for(member(Role.CSM))
    account = AccountFactory(organization=org)
    AdvocacyRecordFactory(account=account)
    small = _count(browser)
    for _ in range(30):
        AdvocacyRecordFactory(account=AccountFactory(organization=org), status="agreed")

    assert _count(browser) == small


def _count(browser) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/advocates/").status_code == 200
    return len(queries.captured_queries)


def test_csm_moves_a_record_and_goes_back(org, member, client_for, records, in_scope):
    with in_scope(org):
        record = AdvocacyRecord.objects.get(status="requested")
    browser = client_for(member(Role.CSM))

    ok = browser.post(
        f"/advocacy/{record.pk}/status/", {"status": "agreed", "next": "/advocates/?kind=reference"}
    )
    again = browser.post(f"/advocacy/{record.pk}/status/", {"status": "requested"}, follow=True)
    offsite = browser.post(
        f"/advocacy/{record.pk}/status/", {"status": "done", "next": "https://evil.example/"}
    )

    assert (ok.status_code, ok["Location"]) == (302, "/advocates/?kind=reference")
    assert "A record that is Agreed cannot become Requested." in again.content.decode()
    assert offsite["Location"] == "/advocates/"
    with in_scope(org):
        record.refresh_from_db()
    assert record.status == "done"


def test_viewer_cannot_move_or_create(org, member, client_for, records, in_scope):
    with in_scope(org):
        record = AdvocacyRecord.objects.get(status="requested")
    browser = client_for(member(Role.VIEWER))

    assert browser.post(f"/advocacy/{record.pk}/status/", {"status": "agreed"}).status_code == 403
    assert browser.get(f"/accounts/{records.pk}/advocacy/new/").status_code == 403
    assert (
        browser.post(f"/accounts/{records.pk}/advocacy/new/", {"kind": "reference"}).status_code
        == 403
    )


def test_csm_creates_from_the_account(org, member, client_for, in_scope):
    account = AccountFactory(organization=org)
    browser = client_for(member(Role.CSM))

    bad = browser.post(f"/accounts/{account.pk}/advocacy/new/", {"kind": "referral"})
    good = browser.post(
        f"/accounts/{account.pk}/advocacy/new/",
        {"kind": "case_study", "link": "https://blog.example/case", "notes": "Webinar"},
    )

    assert bad.status_code == 400
    assert "Name the referred company." in bad.content.decode()
    assert good.status_code == 302
    with in_scope(org):
        record = AdvocacyRecord.objects.get()
    assert (record.kind, record.status, record.link) == (
        "case_study",
        "requested",
        "https://blog.example/case",
    )


def test_panel_lists_the_account_records(org, member, client_for, records):
    body = client_for(member(Role.CSM)).get(f"/accounts/{records.pk}/advocacy/").content.decode()

    assert '<h2 id="advocacy-title">' in body
    assert body.count('class="badge advocacy-') == 4
    assert "Mark Agreed" in body
    assert f'value="/accounts/{records.pk}/#advocacy"' in body
