"""Health endpoints: account health (why in the request's language), history, model, at-risk."""

from datetime import timedelta

import pytest
from django.utils import timezone

from healthscore import recompute, services
from healthscore.models import HealthModel, HealthSnapshot, HistoryRecompute
from tenancy.models import AuditEvent, Role
from tests.accounts.factories import AccountFactory
from tests.healthscore.factories import EventDailyFactory, HealthScoreFactory, HealthSnapshotFactory
from tests.tenancy.factories import ApiKeyFactory


@pytest.fixture
def api(org, api_client_for):
    return api_client_for(ApiKeyFactory(organization=org, scope="read"))


def test_account_health_returns_score_and_why(api, org):
    account = AccountFactory(organization=org)
    HealthScoreFactory(
        account=account,
        score=31,
        band="red",
        drivers=[{"code": "trend", "pct": -35}, {"code": "support", "open": 2, "opened_30": 0}],
    )

    response = api.get(f"/api/v1/health/accounts/{account.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["score"], body["band"]) == (31, "red")
    assert body["why"] == "usage \u221235% vs previous 30 days; 2 tickets open"
    assert body["drivers"][0] == {"code": "trend", "pct": -35}


def test_account_without_score_answers_nulls(api, org):
    account = AccountFactory(organization=org)
    body = api.get(f"/api/v1/health/accounts/{account.pk}/").json()
    assert (body["score"], body["band"], body["why"]) == (None, None, "")


def test_health_endpoint_query_count_does_not_grow(api, org, django_assert_num_queries):
    small = AccountFactory(organization=org)
    HealthScoreFactory(account=small)
    big = AccountFactory(organization=org)
    HealthScoreFactory(account=big)
    for day in range(60):
        HealthSnapshotFactory(account=big, day=timezone.localdate() - timedelta(days=day))

    api.get("/api/v1/health/model/")  # the key's last_used_at is written once a minute
    # key lookup, account, snapshots (history) / score (health)
    for suffix in ("history/", ""):
        with django_assert_num_queries(3):
            api.get(f"/api/v1/health/accounts/{small.pk}/{suffix}")
        with django_assert_num_queries(3):
            api.get(f"/api/v1/health/accounts/{big.pk}/{suffix}")


def test_history_days_are_validated(api, org):
    account = AccountFactory(organization=org)
    for value in ("0", "abc", "401"):
        response = api.get(f"/api/v1/health/accounts/{account.pk}/history/?days={value}")
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "days"


def test_model_get_returns_the_default(api, org):
    body = api.get("/api/v1/health/model/").json()
    assert (body["version"], body["green_min"], body["yellow_min"]) == (0, 70, 40)
    assert body["weights"]["trend"] == 25


def test_model_patch_creates_a_new_version_audited(
    org, member, client_for, in_scope, django_capture_on_commit_callbacks
):
    admin = client_for(member(Role.ADMIN))

    with django_capture_on_commit_callbacks(execute=True):
        first = admin.patch(
            "/api/v1/health/model/", {"green_min": 80}, content_type="application/json"
        )
    second = admin.patch(
        "/api/v1/health/model/", {"key_features": ["reports"]}, content_type="application/json"
    )

    assert first.status_code == 200, first.content
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert second.json()["green_min"] == 80
    with in_scope(org):
        assert list(
            HealthModel.objects.filter(organization=org, is_active=True).values_list(
                "version", flat=True
            )
        ) == [2]
        assert (
            AuditEvent.objects.filter(organization=org, action="health.model.changed").count() == 2
        )
        assert HistoryRecompute.objects.get(organization=org, model_version=1).status == "done"


@pytest.mark.parametrize(
    "payload",
    [
        {"green_min": 30, "yellow_min": 40},
        {"weights": {"bogus": 3}},
        {"thresholds": {"trend": {"bad": 1, "good": 1}}},
        {"key_features": ["Not Valid!"]},
        {"weights": {"trend": "x"}},
    ],
)
def test_model_rejects_bad_values(org, member, client_for, payload):
    admin = client_for(member(Role.ADMIN))
    response = admin.patch("/api/v1/health/model/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_model_write_needs_admin(org, member, client_for, api_client_for):
    csm = client_for(member(Role.CSM))
    assert (
        csm.patch("/api/v1/health/model/", {}, content_type="application/json").status_code == 403
    )
    key = api_client_for(ApiKeyFactory(organization=org))
    assert key.patch("/api/v1/health/model/", {}, format="json").status_code == 403


def test_model_change_recomputes_stored_history(
    org, in_scope, member, client_for, django_capture_on_commit_callbacks
):
    # Given a snapshot of 10 days ago under version 0 (2 open tickets then → 67 yellow)
    account = AccountFactory(organization=org)
    today = recompute.organization_today(org)
    EventDailyFactory(
        account=account, day=today - timedelta(days=40), name="ticket.opened", count=2
    )
    with in_scope(org):
        services.health_snapshots_backfill(organization=org, days=10)
        old = HealthSnapshot.objects.get(organization=org, day=today - timedelta(days=5))
    assert (old.model_version, old.score, old.band) == (0, 67, "yellow")

    # When an admin raises green to 60 and yellow to 10
    with django_capture_on_commit_callbacks(execute=True):
        client_for(member(Role.ADMIN)).patch(
            "/api/v1/health/model/",
            {"green_min": 60, "yellow_min": 10},
            content_type="application/json",
        )

    # Then every stored day is recomputed under version 1
    with in_scope(org):
        versions = set(
            HealthSnapshot.objects.filter(organization=org).values_list("model_version", "band")
        )
    assert versions == {(1, "green")}


def test_at_risk_api_lists_red_accounts_by_arr(api, org):
    small = AccountFactory(organization=org, health_band="red", health_score=20, arr_cents=100_00)
    big = AccountFactory(organization=org, health_band="red", health_score=30, arr_cents=900_00)
    AccountFactory(organization=org, health_band="green", health_score=90, arr_cents=5_000_00)
    HealthScoreFactory(account=big, drivers=[{"code": "billing", "overdue": True}])

    body = api.get("/api/v1/health/at-risk/").json()

    assert [row["id"] for row in body["results"]] == [big.pk, small.pk]
    assert body["results"][0]["why"] == "invoice overdue"
    assert body["results"][1]["why"] == "No negative drivers."
