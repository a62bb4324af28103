"""The churn backtest on a synthetic history whose answer is computed by hand."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from healthscore.selectors import health_backtest
from tests.accounts.factories import AccountFactory
from tests.healthscore.factories import HealthSnapshotFactory

T = date(2026, 6, 1)


def churned(org, days_before_t):
    day = T - timedelta(days=days_before_t)
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(org.time_zone))


def snap(account, days_before_t, band):
    HealthSnapshotFactory(
        account=account,
        day=T - timedelta(days=days_before_t),
        band=band,
        score={"green": 80, "yellow": 50, "red": 20}[band],
    )


def test_backtest_on_a_known_history(org, in_scope):
    # Given (horizon 90 days, so only snapshots on or before T-90 count):
    a = AccountFactory(organization=org, churned_at=churned(org, 150))
    snap(a, 200, "red")  # churn 50 days later → red, churned
    snap(a, 180, "red")  # 30 days later → red, churned
    b = AccountFactory(organization=org)
    snap(b, 200, "red")  # never churns → red, not churned
    c = AccountFactory(organization=org, churned_at=churned(org, 100))
    snap(c, 200, "green")  # churn 100 days later: beyond the horizon → green, not churned
    snap(c, 180, "green")  # 80 days later → green, churned
    d = AccountFactory(organization=org)
    snap(d, 200, "green")
    snap(d, 180, "green")  # → two green, not churned
    e = AccountFactory(organization=org, churned_at=churned(org, 190))
    snap(e, 200, "yellow")  # → yellow, churned
    f = AccountFactory(organization=org, churned_at=churned(org, 50))
    snap(f, 95, "red")  # → red, churned 45 days later
    snap(f, 30, "red")  # too recent: ignored
    g = AccountFactory(organization=org, churned_at=churned(org, 150))
    snap(g, 140, "green")  # after its churn: not a prediction

    with in_scope(org):
        result = health_backtest(organization=org, horizon_days=90, today=T)

    # Then red: 4 snapshots, 3 churned (0.75); green: 4, 1 (0.25); yellow: 1, 1
    assert [(b.band, b.snapshots, b.churned) for b in result.bands] == [
        ("green", 4, 1),
        ("yellow", 1, 1),
        ("red", 4, 3),
    ]
    assert result.lift_red_over_green == 3.0
    assert result.precision_red == 0.75  # 3 of 4 red snapshots were followed by churn
    assert result.recall_red == 0.6  # 3 of the 5 churn-followed snapshots were red
    assert result.median_lead_days == 47.5  # a: 200→150 = 50, f: 95→50 = 45
    assert result.churned_accounts == 5
    assert result.snapshots == 9


def test_backtest_without_history_is_empty(org, in_scope):
    with in_scope(org):
        result = health_backtest(organization=org, today=T)
    assert result.snapshots == 0
    assert (result.lift_red_over_green, result.precision_red, result.recall_red) == (
        None,
        None,
        None,
    )
