"""Renewals pages: contract forms, contract import, the contracts panel, churned stage and
the renewal settings page."""

from datetime import timedelta

import pytest

from accounts.models import Stage
from renewals.models import Contract
from renewals.services import organization_today
from tenancy.models import Role
from tests.accounts.factories import AccountFactory
from tests.renewals.factories import ContractFactory, OpportunityFactory
from tests.renewals.view_helpers import _text

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# Contracts: forms, panel, import
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"end_date": "2024-12-01"}, "end_date"),
        ({"arr": "-5"}, "arr"),
        ({"arr": "10000000001"}, "arr"),
        ({"start_date": "2025-06-01", "end_date": "2026-06-01"}, "start_date"),
        ({"kind": "gift"}, "kind"),
    ],
)
def test_contract_form_errors(data, field, org, member, client_for):
    account = AccountFactory(organization=org)
    ContractFactory(account=account)
    payload = {
        "kind": "base",
        "start_date": "2026-01-01",
        "end_date": "2027-01-01",
        "arr": "1200",
        "seats": "3",
        "status": "active",
        **data,
    }

    response = client_for(member(Role.CSM)).post(f"/accounts/{account.pk}/contracts/new/", payload)

    assert response.status_code == 400
    assert field in response.context["form"].errors


def test_contract_form_creates_and_edits(org, member, client_for, in_scope):
    account = AccountFactory(organization=org)
    browser = client_for(member(Role.CSM))
    today = organization_today(org)
    payload = {
        "kind": "base",
        "start_date": (today - timedelta(days=5)).isoformat(),
        "end_date": (today + timedelta(days=360)).isoformat(),
        "arr": "1200.50",
        "seats": "3",
        "plan": "Pro",
        "status": "active",
    }

    created = browser.post(f"/accounts/{account.pk}/contracts/new/", payload)
    with in_scope(org):
        contract = Contract.objects.get(account=account)
    edited = browser.post(f"/contracts/{contract.pk}/edit/", {**payload, "arr": "2000"})

    assert (created.status_code, edited.status_code) == (302, 302)
    with in_scope(org):
        account.refresh_from_db()
    assert account.arr_cents == 200_000
    assert account.renewal_date == today + timedelta(days=360)


def test_contracts_panel(org, member, client_for, in_scope):
    account = AccountFactory(organization=org)
    today = organization_today(org)
    contract = ContractFactory(
        account=account, start_date=today, end_date=today + timedelta(days=60), arr_cents=123_456
    )
    with in_scope(org):
        from renewals.services import account_revenue_refresh, renewal_opportunities_open

        account_revenue_refresh(organization=org)
        renewal_opportunities_open(organization=org)

    response = client_for(member(Role.VIEWER)).get(f"/accounts/{account.pk}/contracts-panel/")

    html = _text(response)
    assert response.status_code == 200
    assert '<h2 id="contracts-title">' in html
    assert "1,234.56" in html
    assert "/opportunities/" in html
    assert f"/contracts/{contract.pk}/edit/" not in html  # viewers do not edit


def test_contract_import(org, member, client_for, in_scope):
    AccountFactory(organization=org, external_id="ACC-1")
    AccountFactory(organization=org, external_id="ACC-2")
    content = (
        b"account_external_id,start_date,end_date,arr,kind,seats,plan\n"
        b"ACC-1,2025-01-01,2026-01-01,12000.00,base,10,Pro\n"
        b'ACC-1,2025-03-01,2026-01-01,"1.500,50",add_on,,Extra\n'
        b"ACC-2,2025-01-01,2024-01-01,100,base,,\n"
        b"NOPE,2025-01-01,2026-01-01,100,base,,\n"
        b"ACC-2,2025-01-01,2026-01-01,-5,base,,\n"
        b"ACC-1,2025-06-01,2026-06-01,100,base,,\n"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(member(Role.CSM)).post(
        "/contracts/import/", {"file": SimpleUploadedFile("c.csv", content, "text/csv")}
    )

    report = response.context["report"]
    assert (report.created, report.rejected) == (2, 4)
    assert [error.line for error in report.errors] == [4, 5, 6, 7]
    assert "end_date" in report.errors[0].messages[0]
    assert "NOPE" in report.errors[1].messages[0]
    assert "negative" in report.errors[2].messages[0]
    assert "overlaps" in report.errors[3].messages[0]
    with in_scope(org):
        arrs = sorted(Contract.objects.filter(organization=org).values_list("arr_cents", flat=True))
    assert arrs == [150_050, 1_200_000]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01\x02",
        b"PK\x03\x04zip",
        b"account_external_id,start_date\nA,2025-01-01\n",
        b"account_external_id,start_date,end_date,arr\n",
    ],
)
def test_contract_import_file_errors_reject_the_file(content, org, member, client_for, in_scope):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(member(Role.CSM)).post(
        "/contracts/import/", {"file": SimpleUploadedFile("c.csv", content, "text/csv")}
    )

    assert response.status_code in (200, 400)
    report = response.context.get("report")
    if report is not None:
        assert report.file_error
    with in_scope(org):
        assert Contract.objects.filter(organization=org).count() == 0


def test_churned_account_stage_from_the_page(
    org, member, client_for, in_scope, django_capture_on_commit_callbacks
):
    opportunity = OpportunityFactory(contract__account__organization=org)
    browser = client_for(member(Role.CSM))

    # The lifecycle engine moves it after commit (inside the request's scope in production;
    # the test client's callbacks run after the request, so the test provides the scope).
    with in_scope(org), django_capture_on_commit_callbacks(execute=True):
        browser.post(f"/opportunities/{opportunity.pk}/", {"action": "close", "outcome": "churned"})

    with in_scope(org):
        opportunity.account.refresh_from_db()
    assert opportunity.account.stage == Stage.CHURNED


def test_renewal_settings_page(org, member, client_for, in_scope):
    admin = client_for(member(Role.ADMIN))

    bad = admin.post("/settings/renewals/", {"renewal_window_days": "10"})
    good = admin.post("/settings/renewals/", {"renewal_window_days": "90"})

    assert bad.status_code == 400
    assert good.status_code == 302
    from renewals.services import renewal_window_days

    with in_scope(org):
        assert renewal_window_days(organization=org) == 90
    assert client_for(member(Role.MANAGER)).get("/settings/renewals/").status_code == 403
