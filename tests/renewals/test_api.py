"""Renewals API: contracts and the retention reports (figures, series, movements, bad input)."""

import pytest

from tenancy.models import ApiKey, Role
from tests.accounts.factories import AccountFactory
from tests.renewals.factories import ContractFactory
from tests.renewals.golden import END, EXPECTED, EXPECTED_BY_CAUSE, START, golden_dataset
from tests.tenancy.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db
REPORT = "/api/v1/reports/retention/"
PERIOD = f"start={START}&end={END}"


@pytest.fixture
def manager_api(org, member, client_for):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(member(Role.MANAGER).user)
    return api


def test_golden_figures_through_the_api(org, manager_api):
    golden_dataset(org)

    response = manager_api.get(f"{REPORT}?{PERIOD}")

    assert response.status_code == 200
    data = response.json()
    assert {key: data[key] for key in EXPECTED} == EXPECTED
    assert data["expansion_by_cause_cents"] == EXPECTED_BY_CAUSE
    assert data["basis"] == "period"


def test_report_with_an_api_key(org, api_client_for):
    golden_dataset(org)
    api = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.READ))

    response = api.get(f"{REPORT}?{PERIOD}&segment=enterprise")

    assert response.status_code == 200
    assert response.json()["starting_arr_cents"] == 340_000


def test_report_needs_a_manager(org, member, client_for):
    response = client_for(member(Role.CSM)).get(f"{REPORT}?{PERIOD}")

    assert response.status_code == 403
    assert response.json()["code"] == "role_forbidden"


def test_empty_cohort_answers_null_ratios(org, manager_api):
    data = manager_api.get(f"{REPORT}?{PERIOD}").json()

    assert (data["grr"], data["nrr"], data["logo_churn"], data["accounts"]) == (None, None, None, 0)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2025-01-01&end=2025-01-01", "end"),
        ("start=2025-02-01&end=2025-01-01", "end"),
        ("start=2010-01-01&end=2025-01-01", "end"),
        ("start=2025-13-01&end=2026-01-01", "start"),
        ("start=2025-01-01", "end"),
        ("start=2025-01-01&end=2026-01-01&segment=galactic", "segment"),
        ("start=2025-01-01&end=2026-01-01&owner=987654321", "owner"),
        ("start=2025-01-01&end=2026-01-01&owner=99999999999999999999999", "owner"),
        ("start=2025-01-01&end=2026-01-01&basis=forever", "basis"),
        ("start=2025-01-01&end=2026-01-01&interval=week", "interval"),
    ],
)
@pytest.mark.parametrize("endpoint", ["", "series/", "movements/"])
def test_bad_report_input_is_a_400_with_field_detail(query, field, endpoint, org, manager_api):
    response = manager_api.get(f"{REPORT}{endpoint}?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in [error["field"] for error in body["errors"]]


def test_movements_bad_paging_is_a_400(org, manager_api):
    assert manager_api.get(f"{REPORT}movements/?{PERIOD}&limit=100000").status_code == 400
    assert manager_api.get(f"{REPORT}movements/?{PERIOD}&offset=-1").status_code == 400


def test_series_states_its_basis(org, manager_api):
    golden_dataset(org)

    period = manager_api.get(f"{REPORT}series/?{PERIOD}&interval=quarter").json()
    trailing = manager_api.get(
        f"{REPORT}series/?start=2025-12-01&end=2026-01-01&basis=trailing12"
    ).json()

    assert period["basis"] == "period"
    assert [p["start"] for p in period["points"]] == [
        "2025-01-01",
        "2025-04-01",
        "2025-07-01",
        "2025-10-01",
    ]
    assert trailing["basis"] == "trailing12"
    # the one month, December 2025, as the twelve months ending with it: the golden period
    assert (trailing["points"][0]["start"], trailing["points"][0]["end"]) == (
        "2025-01-01",
        "2026-01-01",
    )
    assert trailing["points"][0]["grr"] == EXPECTED["grr"]
    assert trailing["points"][0]["nrr"] == EXPECTED["nrr"]


def test_movements_list_the_accounts_and_contracts(org, manager_api):
    accounts = golden_dataset(org)

    data = manager_api.get(f"{REPORT}movements/?{PERIOD}&category=churn").json()

    assert data["count"] == 1
    row = data["results"][0]
    assert (row["account_id"], row["arr_s_cents"], row["arr_e_cents"], row["category"]) == (
        accounts["B"].pk,
        50_000,
        0,
        "churn",
    )
    assert [(c["start_date"], c["end_date"]) for c in row["contracts"]] == [
        ("2024-06-01", "2026-01-01")
    ]


def test_movements_page(org, manager_api):
    golden_dataset(org)

    first = manager_api.get(f"{REPORT}movements/?{PERIOD}&limit=5").json()
    second = manager_api.get(f"{REPORT}movements/?{PERIOD}&limit=5&offset=5").json()

    assert (first["count"], len(first["results"]), first["next_offset"]) == (8, 5, 5)
    assert (len(second["results"]), second["next_offset"]) == (3, None)
    assert [r["category"] for r in first["results"] + second["results"]] == [
        "churn",
        "contraction",
        "contraction",
        "expansion",
        "expansion",
        "expansion",
        "expansion",
        "new",
    ]


# ---------------------------------------------------------------------------------------------
# Contracts
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def write_api(org, api_client_for):
    return api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.WRITE))


def test_create_a_contract_by_external_id_and_by_id(org, write_api, in_scope):
    account = AccountFactory(organization=org, external_id="CRM-9")
    payload = {"start_date": "2025-01-01", "end_date": "2026-01-01", "arr_cents": 120_000}

    by_key = write_api.post("/api/v1/contracts/", {**payload, "account": "CRM-9"}, format="json")
    by_id = write_api.post(
        "/api/v1/contracts/",
        {**payload, "account": account.pk, "kind": "add_on", "arr_cents": 5},
        format="json",
    )

    assert by_key.status_code == 201, by_key.json()
    assert by_id.status_code == 201, by_id.json()
    assert (by_key.json()["account"], by_key.json()["kind"]) == (account.pk, "base")
    assert by_id.json()["kind"] == "add_on"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"account": "NOPE-1"}, "account"),
        ({"account": 987654321}, "account"),
        ({"end_date": "2024-12-31"}, "end_date"),
        ({"end_date": "2025-01-01"}, "end_date"),
        ({"arr_cents": -1}, "arr_cents"),
        ({"arr_cents": 10**12 + 1}, "arr_cents"),
        ({"arr_cents": 10**30}, "arr_cents"),
        ({"seats": -3}, "seats"),
        ({"kind": "loan"}, "kind"),
        ({"start_date": "2025-06-01", "end_date": "2026-06-01"}, "start_date"),
        ({"renewed_from": 987654321}, "renewed_from"),
    ],
)
def test_bad_contract_input_is_a_400_with_field_detail(changes, field, org, write_api, in_scope):
    ContractFactory(account=AccountFactory(organization=org, external_id="CRM-1"))
    payload = {
        "account": "CRM-1",
        "start_date": "2026-01-01",
        "end_date": "2027-01-01",
        "arr_cents": 1000,
        **changes,
    }

    response = write_api.post("/api/v1/contracts/", payload, format="json")

    assert response.status_code == 400
    assert field in [error["field"] for error in response.json()["errors"]]


def test_another_organizations_account_is_not_found(org, other_org, write_api):
    foreign = AccountFactory(organization=other_org, external_id="THEIRS")

    for reference in ("THEIRS", foreign.pk):
        response = write_api.post(
            "/api/v1/contracts/",
            {
                "account": reference,
                "start_date": "2025-01-01",
                "end_date": "2026-01-01",
                "arr_cents": 1,
            },
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "account"


def test_update_a_contract_refreshes_arr(org, write_api, in_scope):
    from renewals.services import organization_today

    today = organization_today(org)
    contract = ContractFactory(
        account__organization=org, start_date=today, end_date=today.replace(year=today.year + 1)
    )

    response = write_api.patch(
        f"/api/v1/contracts/{contract.pk}/", {"arr_cents": 777}, format="json"
    )

    assert response.status_code == 200
    with in_scope(org):
        contract.account.refresh_from_db()
    assert contract.account.arr_cents == 777


def test_contracts_cannot_be_deleted_through_the_api(org, write_api):
    contract = ContractFactory(account__organization=org)

    assert write_api.delete(f"/api/v1/contracts/{contract.pk}/").status_code == 405
