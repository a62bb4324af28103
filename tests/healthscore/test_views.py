"""Health pages: 360 panel, adjustment, at-risk (book vs organization, query counts), model
settings with preview, events CSV upload, backtest."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from healthscore import recompute
from healthscore.models import Event, HealthAdjustment, HealthModel
from tenancy.models import AuditEvent, Role
from tests.accounts.factories import AccountFactory
from tests.healthscore.factories import (
    EventDailyFactory,
    HealthAlertFactory,
    HealthScoreFactory,
    HealthSnapshotFactory,
)


def test_panel_shows_score_components_why_and_changes(org, member, client_for):
    account = AccountFactory(organization=org)
    today = recompute.organization_today(org)
    HealthSnapshotFactory(
        account=account,
        day=today - timedelta(days=7),
        score=80,
        components={"support": 100, "trend": None},
    )
    HealthScoreFactory(
        account=account,
        score=35,
        band="red",
        components={"support": {"score": 50, "weight": 20, "open": 2, "opened_30": 2}},
        drivers=[{"code": "support", "open": 2, "opened_30": 2}],
    )

    response = client_for(member(Role.VIEWER)).get(f"/accounts/{account.pk}/health/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "2 tickets open (2 opened in 30 days)" in html
    assert 'id="health-trend-data"' in html
    assert "Support load" in html
    assert "-50" in html
    assert "Adjust the score" not in html  # viewers cannot adjust


def test_panel_without_score_shows_the_empty_state(org, member, client_for):
    account = AccountFactory(organization=org)
    html = client_for(member(Role.CSM)).get(f"/accounts/{account.pk}/health/").content.decode()
    assert "No score yet" in html


def test_csm_adds_an_adjustment(org, member, client_for, in_scope):
    account = AccountFactory(organization=org)
    csm = client_for(member(Role.CSM))

    response = csm.post(
        f"/accounts/{account.pk}/health/adjustments/",
        {"points": "-20", "reason": "Champion left", "days": "7"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "Champion left" in response.content.decode()
    account.refresh_from_db()
    assert account.health_score == 80
    with in_scope(org):
        assert HealthAdjustment.objects.filter(organization=org).count() == 1
        assert (
            AuditEvent.objects.filter(organization=org, action="health.adjustment.created").count()
            == 1
        )


@pytest.mark.parametrize(
    "data",
    [{"points": "0", "reason": "x", "days": "7"}, {"points": "abc", "reason": "", "days": "500"}],
)
def test_adjustment_rejects_bad_input(org, member, client_for, data):
    account = AccountFactory(organization=org)
    response = client_for(member(Role.CSM)).post(
        f"/accounts/{account.pk}/health/adjustments/", data
    )
    assert response.status_code == 400


def test_viewer_cannot_adjust(org, member, client_for):
    account = AccountFactory(organization=org)
    response = client_for(member(Role.VIEWER)).post(
        f"/accounts/{account.pk}/health/adjustments/", {"points": "5", "reason": "x", "days": "1"}
    )
    assert response.status_code == 403


def _at_risk_accounts(org, owner, count):
    for index in range(count):
        account = AccountFactory(
            organization=org, owner=owner, health_band="red", health_score=10, arr_cents=index * 100
        )
        HealthScoreFactory(account=account)


def test_at_risk_shows_own_book_for_csm_and_toggles_to_all(org, member, client_for):
    csm = member(Role.CSM)
    mine = AccountFactory(
        organization=org, owner=csm, name="Mine Red", health_band="red", health_score=12
    )
    AccountFactory(organization=org, name="Theirs Red", health_band="red", health_score=5)
    fell = AccountFactory(
        organization=org, owner=csm, name="Mine Fell", health_band="yellow", health_score=55
    )
    HealthAlertFactory(account=fell, day=recompute.organization_today(org))
    AccountFactory(
        organization=org, owner=csm, name="Mine Green", health_band="green", health_score=90
    )
    browser = client_for(csm)

    own = browser.get("/health/at-risk/").content.decode()
    everything = browser.get("/health/at-risk/?scope=all").content.decode()

    assert "Mine Red" in own
    assert "Mine Fell" in own
    assert "Theirs Red" not in own
    assert "Mine Green" not in own
    assert "Theirs Red" in everything
    assert mine.pk


def test_at_risk_query_count_is_independent_of_size(
    org, member, client_for, django_assert_num_queries
):
    manager = member(Role.MANAGER)
    browser = client_for(manager)
    _at_risk_accounts(org, manager, 2)
    browser.get("/health/at-risk/")
    # session, membership, organization, count, page, drivers (+ session/user lookups)
    with django_assert_num_queries(7):
        browser.get("/health/at-risk/")
    _at_risk_accounts(org, manager, 40)
    with django_assert_num_queries(7):
        response = browser.get("/health/at-risk/")
    assert response.status_code == 200


def test_at_risk_empty_state(org, member, client_for):
    html = client_for(member(Role.CSM)).get("/health/at-risk/").content.decode()
    assert "No account at risk" in html


def _model_post(**overrides):
    data = {"key_features": "reports, export", "green_min": "70", "yellow_min": "40"}
    for name, weight in {
        "breadth": 15,
        "depth": 15,
        "trend": 25,
        "support": 20,
        "recency": 10,
        "sentiment": 10,
        "outcomes": 5,
        "billing": 15,
    }.items():
        data[f"weight_{name}"] = str(weight)
    for name, (bad, good) in {
        "breadth": (0, 80),
        "depth": (10, 60),
        "trend": (-50, 10),
        "support": (6, 0),
        "recency": (30, 3),
    }.items():
        data[f"bad_{name}"], data[f"good_{name}"] = str(bad), str(good)
    data.update(overrides)
    return data


def test_model_settings_preview_computes_without_saving(org, member, client_for, in_scope):
    # Given two accounts scored 67 (yellow) and 100 (green)
    today = recompute.organization_today(org)
    for tickets in (2, 0):
        account = AccountFactory(organization=org, health_band="yellow" if tickets else "green")
        if tickets:
            EventDailyFactory(
                account=account, day=today - timedelta(days=40), name="ticket.opened", count=2
            )
    admin = client_for(member(Role.ADMIN))

    # When the admin previews green from 60
    response = admin.post("/health/model/preview/", _model_post(green_min="60"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "+1" in html
    assert "-1" in html
    with in_scope(org):
        assert HealthModel.objects.filter(organization=org).count() == 0


def test_model_settings_save_and_validation(
    org, member, client_for, in_scope, django_capture_on_commit_callbacks
):
    admin = client_for(member(Role.ADMIN))
    assert admin.get("/health/model/").status_code == 200

    bad = admin.post("/health/model/", _model_post(yellow_min="80", key_features="Bad Key!"))
    with django_capture_on_commit_callbacks(execute=True):
        good = admin.post("/health/model/", _model_post(green_min="75"))

    assert bad.status_code == 400
    assert "Yellow must start below green." in bad.content.decode()
    assert good.status_code == 302
    with in_scope(org):
        model = HealthModel.objects.get(organization=org, is_active=True)
    assert (model.version, model.green_min, model.key_features) == (1, 75, ["reports", "export"])


def test_model_settings_are_for_admins(org, member, client_for):
    assert client_for(member(Role.MANAGER)).get("/health/model/").status_code == 403


def test_events_csv_upload_reports_rows(org, member, client_for, in_scope):
    AccountFactory(organization=org, external_id="ACME")
    now = timezone.now().isoformat()
    content = (
        "account;name;occurred_at;quantity;idempotency_key\n"
        f"ACME;login;{now};1;a1\n"
        f"NOPE;login;{now};1;a2\n"
        f"ACME;feature.reports;{now};abc;a3\n"
    ).encode()

    response = client_for(member(Role.CSM)).post(
        "/health/events/upload/", {"file": SimpleUploadedFile("events.csv", content)}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "No account has this external_id." in html
    assert "The quantity must be a number." in html
    with in_scope(org):
        assert Event.objects.filter(organization=org).count() == 1


@pytest.mark.parametrize(
    "content", [b"", b"PK\x03\x04zip", b"foo,bar\n1,2\n", "\u00e9".encode("latin-1")]
)
def test_events_csv_bad_files_are_400(org, member, client_for, content):
    response = client_for(member(Role.CSM)).post(
        "/health/events/upload/", {"file": SimpleUploadedFile("events.csv", content)}
    )
    assert response.status_code == 400


def test_backtest_page_for_managers(org, member, client_for):
    assert client_for(member(Role.MANAGER)).get("/health/backtest/").status_code == 200
    assert client_for(member(Role.CSM)).get("/health/backtest/").status_code == 403


def test_account_list_filters_and_sorts_by_health(org, member, client_for):
    AccountFactory(organization=org, name="Alpha Red", health_band="red", health_score=20)
    AccountFactory(organization=org, name="Beta Green", health_band="green", health_score=90)
    AccountFactory(organization=org, name="Gamma Red", health_band="red", health_score=10)
    browser = client_for(member(Role.VIEWER))

    red = browser.get("/accounts/?band=red&sort=score").content.decode()
    best_first = browser.get("/accounts/?sort=-score").content.decode()

    assert "Beta Green" not in red
    assert red.index("Gamma Red") < red.index("Alpha Red")
    assert best_first.index("Beta Green") < best_first.index("Alpha Red")
