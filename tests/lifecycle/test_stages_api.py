"""API: stage transitions (read, filters; create = manual stage change) and the board."""

import pytest

from accounts.models import Stage
from lifecycle.models import StageTransition
from tenancy.models import ApiKey
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_stages import StageTransitionFactory
from tests.tenancy.factories import ApiKeyFactory


@pytest.fixture
def api(org, api_client_for):
    return api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.WRITE))


def test_list_filters_by_account_stage_and_automatic(org, api):
    first = AccountFactory(organization=org)
    StageTransitionFactory(account=first, to_stage=Stage.ADOPTION)
    StageTransitionFactory(account=first, to_stage=Stage.RENEWAL, automatic=False)
    StageTransitionFactory(to_stage=Stage.RENEWAL, account__organization=org)

    def count(query):
        response = api.get(f"/api/v1/stage-transitions/?{query}")
        assert response.status_code == 200
        return len(response.json()["results"])

    assert count("") == 3
    assert count(f"account={first.pk}") == 2
    assert count("to_stage=renewal") == 2
    assert count("automatic=false") == 1
    assert api.get("/api/v1/stage-transitions/?to_stage=nap").status_code == 400
    assert api.get("/api/v1/stage-transitions/?account=99999999999999999999").status_code == 400


def test_list_renders_the_reason_in_words(org, api):
    StageTransitionFactory(
        account__organization=org,
        to_stage=Stage.RENEWAL,
        reason_code="renewal",
        reason_params={"days": 87, "window": 120},
    )

    row = api.get("/api/v1/stage-transitions/").json()["results"][0]

    assert row["reason"] == "contract ends in 87 days (renewal window 120)"
    assert (row["reason_code"], row["automatic"], row["actor"]) == ("renewal", True, None)


def test_create_is_a_manual_stage_change(org, api, in_scope):
    account = AccountFactory(organization=org, stage=Stage.ADOPTION, external_id="CRM-1")

    response = api.post(
        "/api/v1/stage-transitions/",
        {"account": "CRM-1", "to_stage": "retention", "reason": "Go-live was early"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["from_stage"], body["to_stage"], body["automatic"]) == (
        "adoption",
        "retention",
        False,
    )
    assert body["reason"] == "Go-live was early"
    with in_scope(org):
        account.refresh_from_db()
    assert account.stage == Stage.RETENTION


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"to_stage": "retention", "reason": ""}, "reason"),
        ({"to_stage": "retention"}, "reason"),
        ({"to_stage": "nap", "reason": "x"}, "to_stage"),
        ({"to_stage": "retention", "reason": "x" * 501}, "reason"),
        ({"account": "NOPE", "to_stage": "retention", "reason": "x"}, "account"),
        ({"account": 99999999999999999999, "to_stage": "retention", "reason": "x"}, "account"),
    ],
)
def test_bad_input_is_a_400_with_field_errors_and_nothing_written(
    org, api, in_scope, payload, field
):
    account = AccountFactory(organization=org, stage=Stage.ADOPTION)
    payload = {"account": account.pk, **payload}

    response = api.post("/api/v1/stage-transitions/", payload, format="json")

    assert response.status_code == 400
    assert field in {error["field"] for error in response.json()["errors"]}
    with in_scope(org):
        assert not StageTransition.objects.filter(organization=org).exists()
        account.refresh_from_db()
    assert account.stage == Stage.ADOPTION


def test_a_whitespace_reason_is_refused(org, api):
    account = AccountFactory(organization=org)

    response = api.post(
        "/api/v1/stage-transitions/",
        {"account": account.pk, "to_stage": "renewal", "reason": "   "},
        format="json",
    )

    assert response.status_code == 400


def test_read_keys_cannot_change_stages(org, api_client_for):
    reader = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.READ))
    account = AccountFactory(organization=org)

    response = reader.post(
        "/api/v1/stage-transitions/",
        {"account": account.pk, "to_stage": "renewal", "reason": "x"},
        format="json",
    )

    assert response.status_code == 403


def test_account_stage_is_read_only_in_the_accounts_api(org, api, in_scope):
    account = AccountFactory(organization=org, stage=Stage.ADOPTION)

    response = api.patch(f"/api/v1/accounts/{account.pk}/", {"stage": "renewal"}, format="json")

    assert response.status_code == 200
    assert response.json()["stage"] == "adoption"


def test_board_summary(org, api):
    AccountFactory(organization=org, stage=Stage.RENEWAL, arr_cents=500)
    AccountFactory(organization=org, stage=Stage.CHURNED, arr_cents=0)

    body = api.get("/api/v1/lifecycle/board/").json()
    bad = api.get("/api/v1/lifecycle/board/?segment=huge&owner=x")

    renewal = next(c for c in body["columns"] if c["stage"] == "renewal")
    assert (renewal["count"], renewal["arr_cents"], body["churned"], body["total"]) == (
        1,
        500,
        1,
        2,
    )
    assert bad.status_code == 400
