"""Sentiment and outcome inputs (healthscore/inputs.py): written by lifecycle when a follow-up
outcome, a touchpoint or an objective's standing changes; read set-based by the recompute."""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from healthscore import recompute, scoring, services
from healthscore.inputs import health_outcomes_sync, health_sentiment_set
from healthscore.models import HealthDirty, HealthInput, HealthScore
from lifecycle.services.followup import followup_outcome_record
from lifecycle.services.success import (
    objective_create,
    objective_delete,
    objective_outcomes_sync,
    objective_update,
    success_plan_update,
)
from lifecycle.services.touchpoints import touchpoint_delete, touchpoint_log, touchpoint_update
from tenancy.models import Role
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_followup import FollowUpFactory
from tests.lifecycle.factories_records import SuccessPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(org):
    return recompute.organization_today(org)


def _metrics(org, today, **kwargs):
    return recompute.metrics_compute(
        organization=org, model=scoring.ModelConfig(), as_of=today, **kwargs
    )


def _inputs(org, in_scope, kind):
    with in_scope(org):
        return sorted(
            HealthInput.objects.filter(kind=kind).values_list("subject", "day", "value"),
            key=lambda row: (row[0], row[1]),
        )


# --- Scoring ------------------------------------------------------------------------------
def test_sentiment_and_outcomes_are_missing_without_inputs_and_reweighted_away():
    result = scoring.score_compute(scoring.Metrics(), scoring.ModelConfig())

    assert result.components["sentiment"] == {"missing": True, "weight": 10}
    assert result.components["outcomes"] == {"missing": True, "weight": 5}
    assert result.score == 100  # support alone (no tickets): missing inputs never score zero


def test_negative_sentiment_pulls_the_score_down_and_names_itself_in_the_why():
    metrics = scoring.Metrics(sentiment_count=2, sentiment_sum=50, sentiment_negative=1)

    result = scoring.score_compute(metrics, scoring.ModelConfig())

    # (support 100 x 20 + sentiment 25 x 10) / 30 = 75
    assert result.components["sentiment"] == {
        "score": 25,
        "mean": 25,
        "negative": 1,
        "total": 2,
        "weight": 10,
    }
    assert result.score == 75
    with translation.override("en"):
        assert scoring.why_text(result.drivers) == "1 of 2 conversations negative in 90 days"
    with translation.override("pt-br"):
        assert scoring.why_text(result.drivers) == "1 de 2 conversas negativas em 90 dias"


def test_neutral_conversations_read_as_a_mean_not_as_negative():
    metrics = scoring.Metrics(sentiment_count=3, sentiment_sum=150)

    result = scoring.score_compute(metrics, scoring.ModelConfig())

    with translation.override("en"):
        assert scoring.why_text(result.drivers) == "sentiment 50/100 over 3 conversations (90 days)"


def test_objectives_at_risk_are_an_outcomes_driver():
    metrics = scoring.Metrics(outcome_count=2, outcome_sum=40, outcome_bad=2)

    result = scoring.score_compute(metrics, scoring.ModelConfig())

    assert result.components["outcomes"]["score"] == 20
    with translation.override("en"):
        assert scoring.why_text(result.drivers) == (
            "2 of 2 success-plan objectives at risk or missed"
        )


def test_sentiment_moves_the_fingerprint():
    calm = scoring.Metrics(sentiment_count=1, sentiment_sum=100)
    upset = scoring.Metrics(sentiment_count=1, sentiment_sum=0, sentiment_negative=1)

    assert scoring.metrics_fingerprint(calm, 1) != scoring.metrics_fingerprint(upset, 1)


# --- Recompute reads -------------------------------------------------------------------------
def test_sentiment_counts_the_last_90_days_only(org, in_scope, today):
    account = AccountFactory(organization=org)
    with in_scope(org):
        health_sentiment_set(
            organization=org, account_id=account.pk, subject="touchpoint:1", day=today, value=0
        )
        health_sentiment_set(
            organization=org,
            account_id=account.pk,
            subject="touchpoint:2",
            day=today - timedelta(days=89),
            value=100,
        )
        health_sentiment_set(
            organization=org,
            account_id=account.pk,
            subject="touchpoint:3",
            day=today - timedelta(days=90),
            value=0,
        )
        now = _metrics(org, today)[account.pk]
        later = _metrics(org, today + timedelta(days=1))[account.pk]

    assert (now.sentiment_count, now.sentiment_sum, now.sentiment_negative) == (2, 100, 1)
    assert (later.sentiment_count, later.sentiment_sum, later.sentiment_negative) == (1, 0, 1)


def test_outcomes_as_of_a_day_use_the_latest_standing_known_then(org, in_scope):
    account = AccountFactory(organization=org)
    monday, wednesday, friday = date(2026, 11, 2), date(2026, 11, 4), date(2026, 11, 6)
    with in_scope(org):
        health_outcomes_sync(
            organization=org,
            values={"objective:1": (account.pk, 100), "objective:2": (account.pk, 100)},
            day=monday,
        )
        health_outcomes_sync(
            organization=org,
            values={"objective:1": (account.pk, 40), "objective:2": (account.pk, 100)},
            day=wednesday,
        )
        # objective 2 no longer counts from Friday (absent from the whole-organization sync)
        health_outcomes_sync(organization=org, values={"objective:1": (account.pk, 40)}, day=friday)
        seen = {
            day: _metrics(org, day)[account.pk]
            for day in (monday - timedelta(days=1), monday, wednesday, friday)
        }

    def summary(m):
        return (m.outcome_count, m.outcome_sum, m.outcome_bad)

    assert summary(seen[monday - timedelta(days=1)]) == (0, 0, 0)
    assert summary(seen[monday]) == (2, 200, 0)
    assert summary(seen[wednesday]) == (2, 140, 1)
    assert summary(seen[friday]) == (1, 40, 1)


def test_outcome_sync_writes_only_what_changed(org, in_scope, today):
    account = AccountFactory(organization=org)
    values = {"objective:7": (account.pk, 100)}
    with in_scope(org):
        first = health_outcomes_sync(organization=org, values=values, day=today)
        second = health_outcomes_sync(organization=org, values=values, day=today)
        third = health_outcomes_sync(organization=org, values=values, day=today + timedelta(days=1))

    assert (first, second, third) == (1, 0, 0)


def test_inputs_of_another_organization_are_not_read(org, other_org, in_scope, today):
    ours = AccountFactory(organization=org)
    theirs = AccountFactory(organization=other_org)
    with in_scope(other_org):
        health_sentiment_set(
            organization=other_org, account_id=theirs.pk, subject="touchpoint:9", day=today, value=0
        )
    with in_scope(org):
        metrics = _metrics(org, today)

    assert list(metrics) == [ours.pk]
    assert metrics[ours.pk].sentiment_count == 0


# --- Lifecycle writers -----------------------------------------------------------------------
def test_issue_found_in_the_followup_lowers_health_within_the_dirty_sweep(
    org, member, in_scope, today
):
    # Given a green account with nothing but a clean support record
    account = AccountFactory(organization=org)
    followup = FollowUpFactory(account=account, status="open")
    with in_scope(org):
        services.health_score_recompute(organization=org)
        before = HealthScore.objects.get(account=account)

        # When the CSM records an issue found, even with a "neutral" feeling
        followup_outcome_record(
            organization=org,
            followup=followup,
            actor=member(Role.CSM).user,
            outcome="issue_found",
            sentiment="neutral",
            note="Exports time out",
        )
        dirty = list(HealthDirty.objects.values_list("account_id", flat=True))
        services.health_dirty_recompute(organization=org)
        after = HealthScore.objects.get(account=account)

    # Then it is a negative sentiment input and the sweep rescored the account
    assert _inputs(org, in_scope, "sentiment") == [(f"followup:{followup.pk}", today, 0)]
    assert dirty == [account.pk]
    assert (before.score, after.score) == (100, 67)  # (100 x 20 + 0 x 10) / 30
    assert after.drivers[0] == {"code": "sentiment", "mean": 0, "negative": 1, "total": 1}


@pytest.mark.parametrize(
    ("outcome", "sentiment", "expected"),
    [("reached", "positive", [100]), ("reached", "neutral", [50]), ("no_answer", "", [])],
)
def test_followup_outcomes_map_to_sentiment(org, in_scope, outcome, sentiment, expected):
    followup = FollowUpFactory(account=AccountFactory(organization=org), status="open")
    with in_scope(org):
        followup_outcome_record(
            organization=org, followup=followup, actor=None, outcome=outcome, sentiment=sentiment
        )

    assert [value for *_, value in _inputs(org, in_scope, "sentiment")] == expected


def test_touchpoint_sentiment_follows_the_touchpoint(org, member, in_scope):
    account = AccountFactory(organization=org)
    manager = member(Role.MANAGER)
    when = timezone.now() - timedelta(days=3)
    day = recompute.local_date(org, when)
    with in_scope(org):
        row = touchpoint_log(
            organization=org,
            account=account,
            channel="call",
            summary="Quarterly check-in",
            sentiment="positive",
            occurred_at=when,
            actor=manager.user,
        )
        subject = f"touchpoint:{row.pk}"
        logged = _inputs(org, in_scope, "sentiment")
        touchpoint_update(
            organization=org, touchpoint=row, membership=manager, sentiment="negative"
        )
        corrected = _inputs(org, in_scope, "sentiment")
        touchpoint_update(organization=org, touchpoint=row, membership=manager, sentiment="")
        cleared = _inputs(org, in_scope, "sentiment")
        touchpoint_update(organization=org, touchpoint=row, membership=manager, sentiment="neutral")
        touchpoint_delete(organization=org, touchpoint=row, membership=manager)
        deleted = _inputs(org, in_scope, "sentiment")

    assert logged == [(subject, day, 100)]
    assert corrected == [(subject, day, 0)]
    assert cleared == []
    assert deleted == []


def test_objective_standing_is_an_outcome_input_and_leaves_with_its_plan(
    org, member, in_scope, today
):
    account = AccountFactory(organization=org)
    plan = SuccessPlanFactory(account=account)
    csm = member(Role.CSM)
    with in_scope(org):
        objective = objective_create(
            organization=org,
            plan=plan,
            actor=csm.user,
            title="Weekly reports",
            metric="reports",
            baseline=0,
            target=10,
            start_date=today - timedelta(days=50),
            due_date=today + timedelta(days=50),
            current_value=0,
        )
        at_risk = _inputs(org, in_scope, "outcome")
        objective_update(organization=org, objective=objective, actor=csm.user, current_value=10)
        achieved = _inputs(org, in_scope, "outcome")
        success_plan_update(organization=org, plan=plan, actor=csm.user, status="archived")
        archived = _inputs(org, in_scope, "outcome")
        again = objective_outcomes_sync(organization=org)

    subject = f"objective:{objective.pk}"
    # Half the time gone with no progress: at risk (40); then achieved (100) the same day
    assert at_risk == [(subject, today, 40)]
    assert achieved == [(subject, today, 100)]
    assert archived == [(subject, today, None)]
    assert again == 0


def test_deleted_objective_stops_counting(org, member, in_scope, today):
    account = AccountFactory(organization=org)
    csm = member(Role.CSM)
    with in_scope(org):
        objective = objective_create(
            organization=org,
            plan=SuccessPlanFactory(account=account),
            actor=csm.user,
            title="Seats used",
            metric="seats",
            baseline=10,
            target=50,
            due_date=today + timedelta(days=30),
            current_value=60,
        )
        subject = f"objective:{objective.pk}"
        objective_delete(organization=org, objective=objective, actor=csm.user)
        metrics = _metrics(org, today)[account.pk]

    assert _inputs(org, in_scope, "outcome") == [(subject, today, None)]
    assert metrics.outcome_count == 0
