"""Set-based recompute, the dirty sweeper, alerts once per change, adjustments and expiry."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from healthscore import recompute, services, signals
from healthscore.models import (
    HealthAdjustment,
    HealthAlert,
    HealthDirty,
    HealthScore,
    HealthSnapshot,
)
from healthscore.tasks import health_dirty_recompute_task, health_dirty_sweep_task
from tests.accounts.factories import AccountFactory
from tests.healthscore.factories import (
    EventDailyFactory,
    HealthSnapshotFactory,
)
from tests.tenancy.factories import ApiKeyFactory


@pytest.fixture
def today(org):
    return recompute.organization_today(org)


def test_full_recompute_scores_every_account_from_rollups(org, in_scope, today):
    # Given one account with two open tickets and one with nothing at all
    busy = AccountFactory(organization=org)
    quiet = AccountFactory(organization=org)
    EventDailyFactory(account=busy, day=today - timedelta(days=40), name="ticket.opened", count=2)

    with in_scope(org):
        outcome = services.health_score_recompute(organization=org)
        busy.refresh_from_db()
        quiet.refresh_from_db()
        snapshots = HealthSnapshot.objects.filter(organization=org, day=today).count()

    # Then support load 2 → 67 (yellow); no data at all → support alone = 100
    assert (outcome.accounts, outcome.changed) == (2, 2)
    assert (busy.health_score, busy.health_band) == (67, "yellow")
    assert (quiet.health_score, quiet.health_band) == (100, "green")
    assert busy.health_computed_at is not None
    assert snapshots == 2


def test_second_recompute_writes_nothing(org, in_scope):
    AccountFactory(organization=org)
    with in_scope(org):
        services.health_score_recompute(organization=org)
        outcome = services.health_score_recompute(organization=org)
    assert outcome.changed == 0


def test_sweeper_recomputes_accounts_with_new_events(org, in_scope, api_client_for):
    # Given an account scored green and then two tickets arrive through the API
    account = AccountFactory(organization=org, external_id="ACME")
    other = AccountFactory(organization=org)
    with in_scope(org):
        services.health_score_recompute(organization=org)
    now = timezone.now().isoformat()
    api = api_client_for(ApiKeyFactory(organization=org))
    api.generic(
        "POST",
        "/api/v1/events/",
        json.dumps(
            [
                {
                    "account": "ACME",
                    "name": "ticket.opened",
                    "occurred_at": now,
                    "idempotency_key": "t1",
                },
                {
                    "account": "ACME",
                    "name": "ticket.opened",
                    "occurred_at": now,
                    "idempotency_key": "t2",
                },
            ]
        ),
        content_type="application/json",
    )

    # When the beat sweeper runs (eager Celery in tests: the fan-out runs the per-org task)
    fanned_out = health_dirty_sweep_task()

    # Then the account reflects the tickets and the dirty mark is gone
    assert fanned_out == 1
    account.refresh_from_db()
    other.refresh_from_db()
    # load = 2 open + ½·2 opened in 30 days = 3 → 50
    assert (account.health_score, account.health_band) == (50, "yellow")
    assert other.health_score == 100
    with in_scope(org):
        assert HealthDirty.objects.filter(organization=org).count() == 0
    assert health_dirty_recompute_task(organization_id=org.pk) == 0


def test_dirty_claim_takes_each_mark_once(org, in_scope):
    account = AccountFactory(organization=org)
    with in_scope(org):
        HealthDirty.objects.create(organization=org, account=account)
        assert recompute.dirty_claim(organization=org) == [account.pk]
        assert recompute.dirty_claim(organization=org) == []


def test_band_drop_alert_fires_once(org, in_scope, today, django_capture_on_commit_callbacks):
    account = AccountFactory(organization=org)
    received = []

    def on_band(sender, **kwargs):
        received.append(("band", kwargs["account_id"], kwargs["from_band"], kwargs["to_band"]))

    def on_drop(sender, **kwargs):
        received.append(("drop", kwargs["account_id"], kwargs["from_score"], kwargs["to_score"]))

    signals.band_changed.connect(on_band)
    signals.score_dropped.connect(on_drop)
    try:
        with in_scope(org):
            services.health_score_recompute(organization=org)  # green 100
        EventDailyFactory(account=account, day=today, name="ticket.opened", count=6)
        with in_scope(org):
            # Given the account drops to red; when recompute runs twice
            with django_capture_on_commit_callbacks(execute=True):
                services.health_score_recompute(organization=org)
            HealthScore.objects.filter(organization=org).update(fingerprint="stale")
            with django_capture_on_commit_callbacks(execute=True):
                services.health_score_recompute(organization=org)
            alerts = sorted(
                HealthAlert.objects.filter(organization=org).values_list("kind", flat=True)
            )
    finally:
        signals.band_changed.disconnect(on_band)
        signals.score_dropped.disconnect(on_drop)

    # Then each alert exists and fired exactly once (6 opened + ½·6 → load 9 → 0)
    assert alerts == ["band_changed", "score_dropped"]
    assert sorted(received) == [("band", account.pk, "green", "red"), ("drop", account.pk, 100, 0)]


def test_score_drop_is_measured_against_the_14_day_peak(org, in_scope, today):
    # Given a snapshot of 90 ten days ago and the current score 80 (no alert then)
    account = AccountFactory(organization=org)
    HealthSnapshotFactory(account=account, day=today - timedelta(days=10), score=90, band="green")
    EventDailyFactory(
        account=account, day=today - timedelta(days=40), name="ticket.opened", count=1
    )
    with in_scope(org):
        services.health_score_recompute(organization=org)  # support load 1 → 83
        assert HealthAlert.objects.filter(organization=org).count() == 0
    # When two more tickets open today: load 3 + ½·2 = 4 → 33: 90 → 33 within 14 days
    EventDailyFactory(account=account, day=today, name="ticket.opened", count=2)
    with in_scope(org):
        services.health_score_recompute(organization=org)
        alert = HealthAlert.objects.get(organization=org, kind="score_dropped")
    assert (alert.from_score, alert.to_score) == (90, 33)


def test_manual_adjustment_counts_until_it_expires(org, in_scope, member):
    account = AccountFactory(organization=org)
    csm = member("csm")
    with in_scope(org):
        services.health_adjustment_create(
            organization=org,
            account=account,
            points=-25,
            reason="Champion left",
            expires_at=timezone.now() + timedelta(days=7),
            actor=csm.user,
        )
        account.refresh_from_db()
        assert account.health_score == 75
        score = HealthScore.objects.get(organization=org, account=account)
        assert score.drivers[-1] == {"code": "adjustment", "points": -25}
        assert score.adjustment == -25

    # When it expires, the next recompute stops counting it
    with in_scope(org):
        HealthAdjustment.objects.filter(organization=org).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        services.health_score_recompute(organization=org)
        account.refresh_from_db()
    assert account.health_score == 100


def test_adjustment_refuses_another_organizations_account(org, other_org, in_scope):
    foreign = AccountFactory(organization=other_org)
    with in_scope(org), pytest.raises(ValueError, match="another organization"):
        services.health_adjustment_create(
            organization=org,
            account=foreign,
            points=5,
            reason="x",
            expires_at=timezone.now(),
            actor=None,
        )


def test_recompute_runs_a_fixed_number_of_queries(org, in_scope, django_assert_max_num_queries):
    for _ in range(30):
        EventDailyFactory(account=AccountFactory(organization=org), name="login", count=3)
    with in_scope(org), django_assert_max_num_queries(20):
        services.health_score_recompute(organization=org)


def test_recency_reads_usage_older_than_the_window(org, in_scope, today):
    # Given a last login 90 days ago and nothing since
    account = AccountFactory(organization=org)
    EventDailyFactory(account=account, day=today - timedelta(days=90), name="login", count=3)

    with in_scope(org):
        services.health_score_recompute(organization=org)
        score = HealthScore.objects.get(organization=org, account=account)

    # Then recency is 0 after 90 quiet days (support 100·20 + recency 0·10 → 67), and says so
    assert score.components["recency"] == {"score": 0, "days": 90, "weight": 10}
    assert score.score == 67
    assert {"code": "recency", "days": 90} in score.drivers
