"""Renewals pages: the retention report (figures, bad input, roles, query counts), the
drill-down and exports, the pipelines, opportunities, contract forms, import and the panel."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Stage
from renewals.models import Contract, ContractKind, Opportunity, OpportunityStage
from renewals.services import organization_today
from tenancy.models import Role
from tests.accounts.factories import AccountFactory
from tests.renewals.factories import ContractFactory, OpportunityFactory
from tests.renewals.golden import END, START, golden_dataset

pytestmark = pytest.mark.django_db
REPORT = "/reports/retention/"
PERIOD = f"start={START}&end={END}"


@pytest.fixture
def manager(member, client_for):
    membership = member(Role.MANAGER)
    browser = client_for(membership)
    browser.membership = membership
    return browser


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def test_golden_figures_on_the_page(org, manager):
    golden_dataset(org)

    response = manager.get(f"{REPORT}?{PERIOD}")

    assert response.status_code == 200
    html = _text(response)
    assert '<strong id="figure-grr">89.6%</strong>' in html
    assert '<strong id="figure-nrr">110.4%</strong>' in html
    assert '<strong id="figure-logo-churn">14.3%</strong>' in html
    assert '<strong id="figure-starting">7,700</strong>' in html
    assert '<strong id="figure-ending">8,500</strong>' in html
    assert "GRR = Σ min(ARR at end, ARR at start) ÷ Σ ARR at start" in html
    assert 'id="retention-chart-data"' in html
    assert response.context["figures"].grr == 0.8961


def test_page_states_the_basis(org, manager):
    golden_dataset(org)

    html = _text(manager.get(f"{REPORT}?{PERIOD}&basis=trailing12"))

    assert "Basis: <strong>period</strong>" in html
    assert "Basis: trailing twelve months" in html


@pytest.mark.parametrize(
    "query",
    [
        "start=2025-01-01&end=2025-01-01",
        "start=2025-02-01&end=2025-01-01",
        "start=2000-01-01&end=2025-01-01",
        "start=not-a-date&end=2025-01-01",
        "start=2025-01-01&end=2026-01-01&segment=galactic",
        "start=2025-01-01&end=2026-01-01&owner=abc",
    ],
)
@pytest.mark.parametrize("path", [REPORT, "/reports/retention/movements/"])
def test_bad_period_is_a_form_error(query, path, manager):
    response = manager.get(f"{path}?{query}")

    assert response.status_code == 400
    assert 'class="form-errors"' in _text(response)


def test_bad_export_is_a_400(manager):
    assert manager.get("/reports/retention/export/?table=secrets").status_code == 400
    assert (
        manager.get("/reports/retention/export/?start=2025-02-01&end=2025-01-01").status_code == 400
    )


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CSM])
def test_report_pages_need_a_manager(role, member, client_for):
    browser = client_for(member(role))

    for path in (REPORT, "/reports/retention/movements/", "/reports/retention/export/"):
        assert browser.get(path).status_code == 403


def test_presets(org, manager):
    today = organization_today(org)

    response = manager.get(f"{REPORT}?preset=last_month")

    first = today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    assert (response.context["figures"].start, response.context["figures"].end) == (
        previous,
        first,
    )


def _grow(org, count, offset):
    for index in range(count):
        account = AccountFactory(organization=org, go_live_date=date(2024, 2, 1))
        first = ContractFactory(
            account=account,
            start_date=date(2024, 2, 1),
            end_date=date(2025, 2, 1),
            arr_cents=1000 + index + offset,
        )
        ContractFactory(
            account=account,
            start_date=date(2025, 2, 1),
            end_date=date(2026, 2, 1),
            arr_cents=900 + index,
            renewed_from=first,
        )
        ContractFactory(
            account=account,
            kind=ContractKind.ADD_ON,
            start_date=date(2025, 5, 1),
            end_date=date(2026, 2, 1),
            arr_cents=50,
        )


def _count(browser, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "path",
    [
        f"{REPORT}?{PERIOD}",
        f"{REPORT}?{PERIOD}&basis=trailing12",
        f"/reports/retention/movements/?{PERIOD}",
        "/renewals/?owner=all",
        "/expansion/?owner=all",
    ],
)
def test_query_count_does_not_depend_on_data_size(path, org, manager, in_scope):
    _grow(org, 3, 0)
    with in_scope(org):
        from renewals.services import expansion_opportunity_create, renewal_opportunities_open

        renewal_opportunities_open(organization=org, today=date(2025, 12, 1))
        for account in list(org_accounts(org))[:2]:
            expansion_opportunity_create(
                organization=org, account=account, actor=None, title="x", amount_cents=1
            )
    small = _count(manager, path)

    _grow(org, 12, 100)
    with in_scope(org):
        renewal_opportunities_open(organization=org, today=date(2025, 12, 1))
        for account in list(org_accounts(org))[2:9]:
            expansion_opportunity_create(
                organization=org, account=account, actor=None, title="y", amount_cents=2
            )
    large = _count(manager, path)

    assert small == large


def org_accounts(org):
    from accounts.models import Account

    return Account.objects.filter(organization=org).order_by("id")


def test_movements_page_lists_contracts(org, manager):
    golden_dataset(org)

    response = manager.get(f"/reports/retention/movements/?{PERIOD}&category=expansion")

    html = _text(response)
    assert response.context["result"].total == 4
    assert "Golden H" in html
    assert "Golden B" not in html


@pytest.mark.parametrize(
    "table", ["summary", "series", "segments", "owners", "cohorts", "movements"]
)
def test_every_table_exports_as_csv(table, org, manager):
    golden_dataset(org)

    response = manager.get(f"/reports/retention/export/?table={table}&{PERIOD}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = _text(response).strip().splitlines()
    assert len(lines) >= 2


def test_summary_export_values(org, manager):
    golden_dataset(org)

    lines = _text(manager.get(f"/reports/retention/export/?table=summary&{PERIOD}")).splitlines()

    row = dict(zip(lines[0].split(","), lines[1].split(","), strict=True))
    assert (row["grr"], row["nrr"], row["logo_churn"]) == ("0.8961", "1.1039", "0.1429")
    assert (row["starting_arr"], row["ending_arr"]) == ("7700.00", "8500.00")


# ---------------------------------------------------------------------------------------------
# Pipelines and opportunities
# ---------------------------------------------------------------------------------------------
def test_csm_sees_their_book_by_default_and_managers_everything(org, member, client_for):
    csm = member(Role.CSM)
    mine = OpportunityFactory(
        contract__account=AccountFactory(organization=org, owner=csm, name="Mine Ltd")
    )
    OpportunityFactory(contract__account=AccountFactory(organization=org, name="Theirs Ltd"))

    csm_page = _text(client_for(csm).get("/renewals/"))
    csm_all = _text(client_for(csm).get("/renewals/?owner=all"))
    manager_page = _text(client_for(member(Role.MANAGER)).get("/renewals/"))

    assert "Mine Ltd" in csm_page
    assert "Theirs Ltd" not in csm_page
    assert "Theirs Ltd" in csm_all
    assert "Mine Ltd" in manager_page
    assert "Theirs Ltd" in manager_page
    assert mine.pk


def test_pipeline_groups_by_month_with_forecast(org, manager):
    a = OpportunityFactory(
        contract__account__organization=org,
        contract__end_date=date(2026, 1, 10),
        amount_cents=100_000,
    )
    OpportunityFactory(
        contract__account__organization=org,
        contract__end_date=date(2026, 1, 20),
        amount_cents=300_000,
        stage=OpportunityStage.COMMITTED,
    )
    OpportunityFactory(
        contract__account__organization=org,
        contract__end_date=date(2026, 2, 5),
        amount_cents=50_000,
    )

    response = manager.get("/renewals/")

    groups = response.context["groups"]
    assert [(g.month, g.count, g.amount_cents, g.forecast_cents) for g in groups] == [
        (date(2026, 1, 1), 2, 400_000, 100_000 * 50 // 100 + 300_000 * 90 // 100),
        (date(2026, 2, 1), 1, 50_000, 25_000),
    ]
    assert [o.amount_cents for o in groups[0].rows] == [300_000, 100_000]  # ARR at risk first
    assert a.pk


def test_pipeline_filters(org, manager):
    OpportunityFactory(
        contract__account=AccountFactory(organization=org, segment="enterprise", name="Big One")
    )
    OpportunityFactory(
        contract__account=AccountFactory(organization=org, segment="smb", name="Small One")
    )

    html = _text(manager.get("/renewals/?owner=all&segment=enterprise&stage=not_started"))

    assert "Big One" in html
    assert "Small One" not in html
    assert manager.get("/renewals/?segment=nonsense&page=abc").status_code == 200


def test_close_renewed_from_the_page(org, member, client_for, in_scope):
    opportunity = OpportunityFactory(contract__account__organization=org)
    browser = client_for(member(Role.CSM))

    response = browser.post(
        f"/opportunities/{opportunity.pk}/",
        {"action": "close", "outcome": "renewed", "arr": "15000.00", "end_date": "2027-06-01"},
    )

    assert response.status_code == 302
    with in_scope(org):
        successor = Contract.objects.get(renewed_from=opportunity.contract)
    assert (successor.arr_cents, successor.end_date) == (1_500_000, date(2027, 6, 1))


def test_close_downsell_without_lower_arr_is_a_form_error(org, member, client_for):
    opportunity = OpportunityFactory(contract__account__organization=org)

    response = client_for(member(Role.CSM)).post(
        f"/opportunities/{opportunity.pk}/", {"action": "close", "outcome": "downsell"}
    )

    assert response.status_code == 400
    assert "lower ARR" in _text(response)


def test_viewer_cannot_close(org, member, client_for):
    opportunity = OpportunityFactory(contract__account__organization=org)

    response = client_for(member(Role.VIEWER)).post(
        f"/opportunities/{opportunity.pk}/", {"action": "close", "outcome": "churned"}
    )

    assert response.status_code == 403


def test_stage_change_from_the_page(org, member, client_for, in_scope):
    opportunity = OpportunityFactory(contract__account__organization=org)

    response = client_for(member(Role.CSM)).post(
        f"/opportunities/{opportunity.pk}/", {"action": "stage", "stage": "committed"}
    )

    assert response.status_code == 302
    with in_scope(org):
        assert Opportunity.objects.get(pk=opportunity.pk).stage == "committed"


def test_expansion_from_account_360_and_pipeline(org, member, client_for, in_scope):
    account = AccountFactory(organization=org, external_id="EXP-1")
    browser = client_for(member(Role.CSM))

    from_account = browser.post(
        f"/accounts/{account.pk}/expansion/new/", {"title": "Seats", "amount": "1000"}
    )
    from_pipeline = browser.post(
        "/expansion/", {"account": "EXP-1", "title": "Add-on", "amount": "500.50"}
    )
    unknown = browser.post("/expansion/", {"account": "NOPE", "title": "x", "amount": "1"})

    assert (from_account.status_code, from_pipeline.status_code) == (302, 302)
    assert unknown.status_code == 400
    with in_scope(org):
        amounts = sorted(
            Opportunity.objects.filter(organization=org, kind="expansion").values_list(
                "amount_cents", flat=True
            )
        )
    assert amounts == [50_050, 100_000]


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
