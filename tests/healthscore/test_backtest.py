"""The churn backtest on a synthetic history whose answer is computed by hand."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from healthscore.backtest import health_backtest
from tests.accounts.factories import AccountFactory
from tests.healthscore.factories import HealthSnapshotFactory
from tests.renewals.factories import ContractFactory

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


def contract(account, start_days_before_t, end_days_before_t, arr, **extra):
    ContractFactory(
        account=account,
        start_date=T - timedelta(days=start_days_before_t),
        end_date=T - timedelta(days=end_days_before_t),
        arr_cents=arr,
        **extra,
    )


def test_backtest_measures_contraction_from_contract_history(org, in_scope):
    # Given snapshots on T-200 and T-150 (both at least 90 days old):
    shrinks = AccountFactory(organization=org)
    contract(shrinks, 400, 180, 1_000_000)  # renewed on T-180 at a lower price:
    contract(shrinks, 180, -200, 600_000)  # a contraction on T-180
    snap(shrinks, 200, "red")  # 20 days before the drop → contracted
    snap(shrinks, 150, "red")  # after it → not contracted
    steady = AccountFactory(organization=org)
    contract(steady, 400, 180, 1_000_000)
    contract(steady, 180, -200, 1_000_000)  # seamless renewal at the same price: no change
    contract(steady, 170, 100, 300_000, kind="add_on")  # add-on ends on T-100: ARR falls
    snap(steady, 200, "green")  # the add-on's end is 100 days later: beyond the horizon
    snap(steady, 150, "green")  # 50 days later → contracted
    voided = AccountFactory(organization=org)
    contract(voided, 400, -200, 1_000_000)
    contract(voided, 300, 190, 500_000, kind="add_on", status="void")  # void: never counts
    snap(voided, 200, "yellow")
    gone = AccountFactory(organization=org, churned_at=churned(org, 160))
    contract(gone, 400, 160, 800_000)  # ends with the churn: ARR to zero is churn, not contraction
    snap(gone, 200, "red")

    with in_scope(org):
        result = health_backtest(organization=org, horizon_days=90, today=T)

    # Then
    assert [(b.band, b.snapshots, b.churned, b.contracted) for b in result.bands] == [
        ("green", 2, 0, 1),
        ("yellow", 1, 0, 0),
        ("red", 3, 1, 1),
    ]
    assert result.contraction_lift_red_over_green == (1 / 3) / (1 / 2)


def test_backtest_endpoint_for_managers(org, member, api_client_for, client_for, in_scope):
    # Given one red snapshot followed by churn
    a = AccountFactory(organization=org, churned_at=churned(org, 150))
    snap(a, 200, "red")
    manager, csm = member("manager"), member("csm")

    # When / Then: managers read it (the page and the API); a CSM is refused
    response = client_for(manager).get("/api/v1/health/backtest/?horizon_days=90")
    assert response.status_code == 200
    body = response.json()
    assert body["horizon_days"] == 90
    assert body["churned_accounts"] == 1
    assert client_for(csm).get("/api/v1/health/backtest/").status_code == 403
    bad = client_for(manager).get("/api/v1/health/backtest/?horizon_days=0")
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["horizon_days"]
