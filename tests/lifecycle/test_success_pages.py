"""Success plan panel and forms: roles, progress and status badges, validation messages."""

from datetime import date, timedelta

import pytest

from lifecycle.models import Objective, SuccessPlan
from lifecycle.services.success import organization_today
from tenancy.models import Role
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_records import ObjectiveFactory, SuccessPlanFactory

pytestmark = pytest.mark.django_db


def test_panel_shows_objectives_with_status_for_a_viewer(org, member, client_for):
    today = organization_today(org)
    plan = SuccessPlanFactory(account=AccountFactory(organization=org), title="Year one goals")
    ObjectiveFactory(
        plan=plan,
        title="Weekly reports",
        baseline=0,
        target=10,
        current_value=10,
        start_date=today - timedelta(days=10),
        due_date=today + timedelta(days=10),
    )
    ObjectiveFactory(
        plan=plan,
        title="Fewer tickets",
        baseline=20,
        target=5,
        current_value=19,
        start_date=today - timedelta(days=30),
        due_date=today + timedelta(days=10),
    )

    response = client_for(member(Role.VIEWER)).get(f"/accounts/{plan.account_id}/success/")

    body = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="success-title">' in body
    assert "Year one goals" in body
    assert 'class="badge objective-achieved">Achieved' in body
    assert 'class="badge objective-at_risk">At risk' in body
    assert 'value="100"' in body
    assert "Add objective" not in body
    assert "New plan" not in body


def test_empty_panel_invites_a_plan(org, member, client_for):
    account = AccountFactory(organization=org)

    body = client_for(member(Role.CSM)).get(f"/accounts/{account.pk}/success/").content.decode()

    assert "No success plan yet." in body
    assert "New plan" in body


def test_viewer_cannot_create(org, member, client_for, in_scope):
    account = AccountFactory(organization=org)
    browser = client_for(member(Role.VIEWER))

    assert browser.get(f"/accounts/{account.pk}/success-plans/new/").status_code == 403
    assert (
        browser.post(f"/accounts/{account.pk}/success-plans/new/", {"title": "x"}).status_code
        == 403
    )
    with in_scope(org):
        assert SuccessPlan.objects.count() == 0


def test_csm_creates_a_plan_and_a_bound_objective(org, member, client_for, in_scope):
    account = AccountFactory(organization=org)
    browser = client_for(member(Role.CSM))

    plan_response = browser.post(
        f"/accounts/{account.pk}/success-plans/new/", {"title": "Adoption", "status": "active"}
    )
    with in_scope(org):
        plan = SuccessPlan.objects.get()
    objective_response = browser.post(
        f"/success-plans/{plan.pk}/objectives/new/",
        {
            "title": "Use reports weekly",
            "metric": "reports per week",
            "baseline": "2",
            "target": "10",
            "due_date": "2030-06-30",
            "metric_event": "feature.reports",
            "metric_window": "weekly",
            "metric_aggregate": "count",
        },
    )

    assert plan_response.status_code == 302
    assert objective_response.status_code == 302
    assert objective_response["Location"].endswith("#success-plan")
    with in_scope(org):
        objective = Objective.objects.get()
    assert (objective.metric_event, objective.current_value, objective.due_date) == (
        "feature.reports",
        0.0,
        date(2030, 6, 30),
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target": "2"}, "The target must differ from the baseline."),
        ({"due_date": ""}, "Give a due date."),
        ({"due_date": "2000-01-01"}, "The due date must be after the start date."),
        (
            {"metric_event": "Reports!", "metric_window": "weekly", "metric_aggregate": "count"},
            "Not an event name",
        ),
        ({"metric_event": "feature.reports"}, "Choose the window of a bound metric."),
        ({"baseline": "abc"}, "Enter a number."),
    ],
)
def test_objective_form_errors(changes, message, org, member, client_for, in_scope):
    plan = SuccessPlanFactory(account=AccountFactory(organization=org))
    data = {"title": "T", "metric": "m", "baseline": "2", "target": "10", "due_date": "2030-01-01"}
    data.update(changes)

    response = client_for(member(Role.CSM)).post(f"/success-plans/{plan.pk}/objectives/new/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    with in_scope(org):
        assert Objective.objects.count() == 0


def test_edit_objective_value(org, member, client_for, in_scope):
    objective = ObjectiveFactory(plan=SuccessPlanFactory(account=AccountFactory(organization=org)))
    browser = client_for(member(Role.CSM))

    page = browser.get(f"/objectives/{objective.pk}/edit/")
    response = browser.post(
        f"/objectives/{objective.pk}/edit/",
        {
            "title": objective.title,
            "metric": objective.metric,
            "baseline": "0",
            "target": "10",
            "start_date": objective.start_date.isoformat(),
            "due_date": objective.due_date.isoformat(),
            "current_value": "6.5",
        },
    )

    assert page.status_code == 200
    assert response.status_code == 302
    with in_scope(org):
        assert Objective.objects.get().current_value == 6.5
