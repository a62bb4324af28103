"""Follow-up pages: the htmx outcome card, the Account 360 panel, the report; and the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lifecycle.models import FollowUp, Task
from lifecycle.services.followup import organization_today
from tenancy.models import ApiKey, Role
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_followup import FollowUpFactory
from tests.lifecycle.factories_tasks import TaskFactory
from tests.tenancy.factories import ApiKeyFactory, MembershipFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def followup(org):
    account = AccountFactory(organization=org, name="Umbrella")
    task = TaskFactory(organization=org, account=account, kind="follow_up", source="follow_up")
    return FollowUpFactory(account=account, task=task, status="open")


def test_htmx_outcome_returns_the_done_card_and_triggers_a_reload(
    org, member, client_for, in_scope, followup
):
    browser = client_for(member(Role.CSM))

    response = browser.post(
        f"/followups/{followup.pk}/outcome/",
        {"outcome": "reached", "sentiment": "positive", "note": "All good"},
        **HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "followup-recorded"
    assert b"Reached" in response.content
    assert b'name="outcome"' not in response.content
    with in_scope(org):
        assert FollowUp.objects.get().status == "done"


def test_htmx_outcome_with_errors_keeps_the_form_and_the_typed_note(
    org, member, client_for, in_scope, followup
):
    browser = client_for(member(Role.CSM))

    response = browser.post(
        f"/followups/{followup.pk}/outcome/", {"outcome": "reached", "note": "typed"}, **HTMX
    )

    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert b"How did the customer feel? Choose a sentiment." in response.content
    assert b">typed</textarea>" in response.content
    with in_scope(org):
        assert FollowUp.objects.get().status == "open"


def test_plain_post_redirects_and_a_bad_one_is_a_400_page(org, member, client_for, followup):
    browser = client_for(member(Role.CSM))

    bad = browser.post(f"/followups/{followup.pk}/outcome/", {"outcome": "<script>"})
    good = browser.post(
        f"/followups/{followup.pk}/outcome/", {"outcome": "no_answer", "next": "/my-day/"}
    )
    again = browser.post(f"/followups/{followup.pk}/outcome/", {"outcome": "no_answer"})

    assert bad.status_code == 400
    assert (good.status_code, good["Location"]) == (302, "/my-day/")
    assert again.status_code == 400
    assert b"already recorded" in again.content


def test_a_viewer_cannot_record(org, member, client_for, in_scope, followup):
    browser = client_for(member(Role.VIEWER))

    response = browser.post(f"/followups/{followup.pk}/outcome/", {"outcome": "no_answer"})
    card = browser.get(f"/followups/{followup.pk}/outcome/")

    assert response.status_code == 403
    assert card.status_code == 200
    assert b'name="outcome"' not in card.content


def test_account_panel_shows_the_card_or_says_what_to_do(org, member, client_for, followup):
    browser = client_for(member(Role.CSM))
    without = AccountFactory(organization=org, go_live_date=None)

    with_followup = browser.get(f"/accounts/{followup.account_id}/followup/")
    empty = browser.get(f"/accounts/{without.pk}/followup/")

    assert with_followup.status_code == 200
    assert b"Umbrella" in with_followup.content
    assert b"Issue found" in with_followup.content
    assert b"Set the go-live date" in empty.content


def _done(org, owner, go_live, recorded_days, outcome="reached", due_in=7):
    account = AccountFactory(organization=org, owner=owner)
    return FollowUpFactory(
        account=account,
        go_live_date=go_live,
        due_date=go_live + timedelta(days=due_in),
        status="done",
        outcome=outcome,
        sentiment="neutral",
        recorded_at=timezone.now().replace(hour=15)
        - timedelta(days=(organization_today(org) - go_live).days - recorded_days),
    )


def test_report_figures_per_csm_and_overall(org, member, client_for):
    manager = member(Role.MANAGER)
    ana = MembershipFactory(organization=org, user=UserFactory(name="Ana"), role=Role.CSM)
    bia = MembershipFactory(organization=org, user=UserFactory(name="Bia"), role=Role.CSM)
    today = organization_today(org)
    base = today - timedelta(days=20)
    _done(org, ana, base, 2)
    _done(org, ana, base, 4, outcome="issue_found")
    _done(org, bia, base, 9, outcome="no_answer")
    FollowUpFactory(
        account=AccountFactory(organization=org, owner=bia),
        go_live_date=base,
        due_date=base + timedelta(days=7),
        status="open",
    )
    FollowUpFactory(
        account=AccountFactory(organization=org, owner=bia),
        go_live_date=base,
        due_date=base + timedelta(days=7),
        status="cancelled",
    )

    response = client_for(manager).get("/reports/followups/")

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.overall.due, report.overall.done) == (4, 3)
    assert report.overall.completion_percent == 75.0
    assert report.overall.on_time_percent == 50.0
    assert report.overall.median_days_to_contact == 4
    assert report.overall.outcomes == {"reached": 1, "no_answer": 1, "issue_found": 1}
    rows = {row.owner_name: row for row in report.per_owner}
    assert (rows["Ana"].due, rows["Ana"].done, rows["Ana"].median_days_to_contact) == (2, 2, 3)
    assert (rows["Bia"].due, rows["Bia"].done, rows["Bia"].completion_percent) == (2, 1, 50.0)


def test_report_csv_export_and_query_count_independent_of_size(
    org, member, client_for, django_assert_max_num_queries
):
    manager = member(Role.MANAGER)
    browser = client_for(manager)
    base = organization_today(org) - timedelta(days=20)
    for days in range(12):
        _done(org, manager, base, days % 5)

    response = browser.get("/reports/followups/?format=csv")
    with django_assert_max_num_queries(12):
        browser.get("/reports/followups/")

    body = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Type"].startswith("text/csv")
    assert body.splitlines()[-1].startswith("All,12,12,1.000,")


@pytest.mark.parametrize(
    "query",
    [
        "start=2025-02-30",
        "start=2025-03-01&end=2025-01-01",
        "start=1900-01-01&end=2025-01-01",
        "owner=abc",
        "owner=99999999999999999999999",
    ],
)
def test_report_bad_input_is_a_400_with_a_message(org, member, client_for, query):
    response = client_for(member(Role.MANAGER)).get(f"/reports/followups/?{query}")

    assert response.status_code == 400
    assert b"form-errors" in response.content


def test_report_is_for_managers(org, member, client_for):
    assert client_for(member(Role.CSM)).get("/reports/followups/").status_code == 403


# --- API ---------------------------------------------------------------------------------------


def test_api_lists_with_overdue_flag_and_filters(org, api_client_for, followup):
    today = organization_today(org)
    FollowUpFactory(organization=org, status="open", due_date=today - timedelta(days=1))
    api = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.READ))

    everything = api.get("/api/v1/followups/").json()["results"]
    overdue = api.get("/api/v1/followups/?overdue=true").json()["results"]

    assert len(everything) == 2
    assert [item["overdue"] for item in overdue] == [True]
    assert api.get("/api/v1/followups/?status=bogus").status_code == 400


def test_api_records_an_outcome(org, api_client_for, in_scope, followup):
    api = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.WRITE))

    response = api.post(
        f"/api/v1/followups/{followup.pk}/outcome/",
        {"outcome": "issue_found", "note": "Login broken"},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["sentiment"]) == ("done", "negative")
    with in_scope(org):
        assert Task.objects.get(pk=followup.task_id).status == "done"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({}, 400, "required"),
        ({"outcome": "maybe"}, 400, "invalid_choice"),
        ({"outcome": "reached"}, 400, "required"),
        ({"outcome": "issue_found"}, 400, "required"),
        ({"outcome": "no_answer", "note": "x" * 2001}, 400, "max_length"),
    ],
)
def test_api_bad_outcomes_are_refused_with_codes(
    org, api_client_for, in_scope, followup, payload, status, code
):
    api = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.WRITE))

    response = api.post(f"/api/v1/followups/{followup.pk}/outcome/", payload, format="json")

    assert response.status_code == status
    assert [error["code"] for error in response.json()["errors"]] == [code]
    with in_scope(org):
        assert FollowUp.objects.get().status == "open"


def test_api_second_outcome_is_a_conflict(org, api_client_for, followup):
    api = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.WRITE))
    url = f"/api/v1/followups/{followup.pk}/outcome/"

    api.post(url, {"outcome": "no_answer"}, format="json")
    response = api.post(url, {"outcome": "no_answer"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "already_recorded"


def test_api_read_key_cannot_record(org, api_client_for, followup):
    api = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.READ))

    response = api.post(
        f"/api/v1/followups/{followup.pk}/outcome/", {"outcome": "no_answer"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "api_key_read_only"
