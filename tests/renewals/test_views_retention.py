"""Renewals pages: the retention report (figures, bad input, roles, query counts), the
drill-down and exports."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from renewals.models import ContractKind
from renewals.services import organization_today
from tenancy.models import Role
from tests.accounts.factories import AccountFactory
from tests.renewals.factories import ContractFactory
from tests.renewals.golden import golden_dataset
from tests.renewals.view_helpers import PERIOD, REPORT, _text
from tests.renewals.view_helpers import manager as manager  # pytest fixture

pytestmark = pytest.mark.django_db


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
