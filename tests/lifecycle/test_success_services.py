"""Success plans: the status formula on a table of cases, objective validation, and bound
objectives refreshed from the EventDaily rollups (values computed by hand)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecycle.models import Objective
from lifecycle.selectors_records import objective_progress
from lifecycle.services.success import (
    objective_bound_refresh,
    objective_create,
    objective_update,
    success_plan_create,
    success_plan_update,
)
from tenancy.models import AuditEvent, Role
from tests.accounts.factories import AccountFactory
from tests.healthscore.factories import EventDailyFactory
from tests.lifecycle.factories_records import ObjectiveFactory, SuccessPlanFactory

pytestmark = pytest.mark.django_db
START, DUE = date(2026, 1, 1), date(2026, 1, 31)  # 30 days


@pytest.mark.parametrize(
    ("baseline", "target", "current", "today", "status", "progress", "elapsed"),
    [
        (0, 10, 10, date(2026, 1, 10), "achieved", 1.0, 0.3),
        (0, 10, 12, date(2026, 1, 10), "achieved", 1.0, 0.3),
        (100, 50, 50, date(2026, 1, 10), "achieved", 1.0, 0.3),  # lower is better
        (0, 10, 10, date(2026, 3, 1), "achieved", 1.0, 1.0),  # reached, even after due
        (100, 50, 60, date(2026, 2, 1), "missed", 0.8, 1.0),
        (0, 10, None, date(2026, 2, 1), "missed", 0.0, 1.0),
        (0, 10, 5, date(2026, 1, 16), "on_track", 0.5, 0.5),
        (0, 10, 4, date(2026, 1, 16), "on_track", 0.4, 0.5),  # exactly at the tolerance
        (0, 10, 3, date(2026, 1, 16), "at_risk", 0.3, 0.5),
        (100, 50, 80, date(2026, 1, 16), "on_track", 0.4, 0.5),
        (100, 50, 90, date(2026, 1, 16), "at_risk", 0.2, 0.5),
        (0, 10, None, date(2026, 1, 1), "on_track", 0.0, 0.0),
        (0, 10, 9, date(2026, 1, 31), "on_track", 0.9, 1.0),  # due today: not missed yet
        (0, 10, -5, date(2026, 1, 16), "at_risk", 0.0, 0.5),  # worse than baseline
        (100, 50, 120, date(2026, 1, 2), "on_track", 0.0, 1 / 30),
        (0, 10, 1, date(2025, 12, 1), "on_track", 0.1, 0.0),  # before the start
    ],
)
def test_objective_status_table(baseline, target, current, today, status, progress, elapsed):
    result = objective_progress(
        baseline=baseline,
        target=target,
        current=current,
        start_date=START,
        due_date=DUE,
        today=today,
    )

    assert (result.status, result.progress, result.elapsed) == (
        status,
        pytest.approx(progress),
        pytest.approx(elapsed),
    )


def _codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"target": 5}, {"target": ["target_equals_baseline"]}),
        ({"due_date": None}, {"due_date": ["required"]}),
        ({"due_date": date(2026, 1, 1)}, {"due_date": ["due_before_start"]}),
        ({"title": " "}, {"title": ["required"]}),
        ({"baseline": float("nan")}, {"baseline": ["invalid"]}),
        ({"target": 1e13}, {"target": ["invalid"]}),
        (
            {
                "metric_event": "Feature Reports",
                "metric_window": "weekly",
                "metric_aggregate": "count",
            },
            {"metric_event": ["invalid_event_name"]},
        ),
        (
            {"metric_event": "feature.reports"},
            {"metric_window": ["required"], "metric_aggregate": ["required"]},
        ),
        (
            {
                "metric_event": "feature.reports",
                "metric_window": "weekly",
                "metric_aggregate": "count",
                "current_value": 3,
            },
            {"current_value": ["bound_current_value"]},
        ),
    ],
)
def test_objective_validation(changes, expected, org, in_scope):
    plan = SuccessPlanFactory(account=AccountFactory(organization=org))
    fields = {
        "title": "More reports",
        "metric": "weekly reports",
        "baseline": 5,
        "target": 20,
        "start_date": date(2026, 1, 1),
        "due_date": date(2026, 6, 30),
    }
    fields.update(changes)

    with in_scope(org), pytest.raises(ValidationError) as raised:
        objective_create(organization=org, plan=plan, actor=None, **fields)

    assert _codes(raised.value) == expected
    with in_scope(org):
        assert Objective.objects.count() == 0


def test_one_active_plan_per_account(org, member, in_scope):
    account = AccountFactory(organization=org)
    csm = member(Role.CSM)

    with in_scope(org):
        first = success_plan_create(
            organization=org, account=account, title="Go live", actor=csm.user
        )
        with pytest.raises(ValidationError) as raised:
            success_plan_create(organization=org, account=account, title="Again", actor=csm.user)
        success_plan_update(organization=org, plan=first, actor=csm.user, status="completed")
        second = success_plan_create(
            organization=org, account=account, title="Grow", actor=csm.user
        )
        actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))

    assert _codes(raised.value) == {"status": ["active_plan_exists"]}
    assert second.status == "active"
    assert actions == ["success_plan.create", "success_plan.update", "success_plan.create"]


@pytest.fixture
def rollups(org):
    """feature.reports events of one account around 2026-03-10 (today in these tests)."""
    account = AccountFactory(organization=org)
    other_account = AccountFactory(organization=org)
    rows = [
        (account, date(2026, 2, 7), "feature.reports", 1, 10.0),  # outside both windows
        (account, date(2026, 2, 8), "feature.reports", 4, 1.5),  # first day of the 30
        (account, date(2026, 3, 2), "feature.reports", 5, 0.0),  # day before the 7
        (account, date(2026, 3, 3), "feature.reports", 2, 0.0),  # first day of the 7
        (account, date(2026, 3, 9), "feature.reports", 3, 2.25),  # yesterday
        (account, date(2026, 3, 10), "feature.reports", 7, 9.0),  # today: not counted yet
        (account, date(2026, 3, 5), "feature.export", 100, 100.0),  # another event
        (other_account, date(2026, 3, 5), "feature.reports", 50, 50.0),  # another account
    ]
    for row_account, day, name, count, quantity in rows:
        EventDailyFactory(
            account=row_account, day=day, name=name, count=count, quantity_sum=quantity
        )
    return account


def test_bound_objectives_refresh_from_rollups(org, other_org, rollups, in_scope):
    # Given bound objectives of each window/measure, an unbound one and a foreign one
    plan = SuccessPlanFactory(account=rollups)
    bound = {
        (window, aggregate): ObjectiveFactory(
            plan=plan,
            metric_event="feature.reports",
            metric_window=window,
            metric_aggregate=aggregate,
        )
        for window in ("weekly", "monthly")
        for aggregate in ("count", "sum")
    }
    silent = ObjectiveFactory(
        plan=plan, metric_event="custom.none", metric_window="weekly", metric_aggregate="count"
    )
    typed = ObjectiveFactory(plan=plan, current_value=4.0)
    foreign = ObjectiveFactory(
        plan=SuccessPlanFactory(account=AccountFactory(organization=other_org)),
        metric_event="feature.reports",
        metric_window="weekly",
        metric_aggregate="count",
        current_value=99.0,
    )

    # When the organization's bound objectives are refreshed, in one statement
    with in_scope(org), CaptureQueriesContext(connection) as queries:
        result = objective_bound_refresh(organization=org, today=date(2026, 3, 10))
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]

    # Then weekly = 2026-03-03..09 and monthly = 2026-02-08..03-09, today excluded
    with in_scope(org):
        got = {
            key: Objective.objects.get(pk=objective.pk).current_value
            for key, objective in bound.items()
        }
        silent_value = Objective.objects.get(pk=silent.pk).current_value
        typed_value = Objective.objects.get(pk=typed.pk).current_value
    with in_scope(other_org):
        foreign_value = Objective.objects.get(pk=foreign.pk).current_value
    assert got == {
        ("weekly", "count"): 5.0,
        ("weekly", "sum"): 2.25,
        ("monthly", "count"): 14.0,
        ("monthly", "sum"): 3.75,
    }
    assert (silent_value, typed_value, foreign_value) == (0.0, 4.0, 99.0)
    assert result.objectives == 5
    assert len(statements) == 1
    assert statements[0].startswith("UPDATE")


def test_binding_an_objective_computes_its_value_at_once(org, rollups, in_scope):
    plan = SuccessPlanFactory(account=rollups)
    objective = ObjectiveFactory(plan=plan, current_value=1.0)

    with in_scope(org):
        objective = objective_update(
            organization=org,
            objective=objective,
            actor=None,
            metric_event="feature.reports",
            metric_window="monthly",
            metric_aggregate="count",
        )

    # today's real date is not 2026-03-10: the value is whatever the rollups give, never 1.0
    assert objective.current_value != 1.0
    assert objective.current_value_at is not None


def test_bound_objective_refuses_a_typed_value_on_update(org, in_scope):
    objective = ObjectiveFactory(
        plan=SuccessPlanFactory(account=AccountFactory(organization=org)),
        metric_event="feature.reports",
        metric_window="weekly",
        metric_aggregate="count",
    )

    with in_scope(org), pytest.raises(ValidationError) as raised:
        objective_update(organization=org, objective=objective, actor=None, current_value=7)

    assert _codes(raised.value) == {"current_value": ["bound_current_value"]}


def test_objective_changes_are_audited(org, member, in_scope):
    csm = member(Role.CSM)
    plan = SuccessPlanFactory(account=AccountFactory(organization=org))

    with in_scope(org):
        objective = objective_create(
            organization=org,
            plan=plan,
            actor=csm.user,
            title="Adoption",
            metric="active users",
            baseline=10,
            target=40,
            due_date=date(2030, 1, 1),
        )
        objective_update(organization=org, objective=objective, actor=csm.user, current_value=25)
        audit = list(AuditEvent.objects.order_by("id").values_list("action", "after"))

    assert [action for action, _ in audit] == ["objective.create", "objective.update"]
    assert audit[1][1]["current_value"] == 25.0


def test_daily_sweep_refreshes_bound_objectives_and_tells_health_where_each_stands(
    org, other_org, in_scope
):
    from healthscore.models import HealthInput
    from lifecycle.tasks_records import objectives_bound_refresh_sweep_task

    bound = ObjectiveFactory(
        plan=SuccessPlanFactory(account=AccountFactory(organization=org)),
        metric_event="feature.reports",
        metric_window="weekly",
        metric_aggregate="count",
    )
    typed = ObjectiveFactory(
        plan=SuccessPlanFactory(account=AccountFactory(organization=other_org))
    )

    fanned_out = objectives_bound_refresh_sweep_task()
    again = objectives_bound_refresh_sweep_task()

    assert (fanned_out, again) == (2, 2)
    with in_scope(org):
        assert Objective.objects.get(pk=bound.pk).current_value == 0.0
        assert list(HealthInput.objects.values_list("subject", "kind")) == [
            (f"objective:{bound.pk}", "outcome")
        ]
    with in_scope(other_org):
        assert list(HealthInput.objects.values_list("subject", flat=True)) == [
            f"objective:{typed.pk}"
        ]
