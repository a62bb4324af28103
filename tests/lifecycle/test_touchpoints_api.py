"""API of touchpoints, success plans, objectives and advocacy records: filters, writes, and
bad input answered 400 with the field and a stable code (never a 500)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from lifecycle.models import AdvocacyRecord, Objective, Touchpoint
from tenancy.models import ApiKey, Role
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.lifecycle.factories_records import (
    AdvocacyRecordFactory,
    ObjectiveFactory,
    SuccessPlanFactory,
    TouchpointFactory,
)
from tests.tenancy.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(member):
    def make(role):
        membership = member(role)
        client = APIClient()
        client.force_login(membership.user)
        client.membership = membership
        return client

    return make


def _errors(response) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


def test_touchpoint_list_filters(org, api_client_for):
    account = AccountFactory(organization=org)
    other = AccountFactory(organization=org)
    old = TouchpointFactory(
        account=account, channel="call", occurred_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    new = TouchpointFactory(
        account=account, channel="call", occurred_at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    TouchpointFactory(account=account, channel="note", occurred_at=datetime(2026, 3, 1, tzinfo=UTC))
    TouchpointFactory(account=other, channel="call", occurred_at=datetime(2026, 3, 1, tzinfo=UTC))
    api = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.READ))

    response = api.get(
        f"/api/v1/touchpoints/?account={account.pk}&channel=call&since=2026-02-01T00:00:00Z"
    )
    everything = api.get(f"/api/v1/touchpoints/?account={account.pk}")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [new.pk]
    assert len(everything.json()["results"]) == 3
    assert old.pk in [row["id"] for row in everything.json()["results"]]


@pytest.mark.parametrize(
    "query", ["channel=fax", "since=yesterday", "account=99999999999999999999", "account=x"]
)
def test_touchpoint_bad_filters_are_400(query, org, api_client_for):
    api = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.READ))

    assert api.get(f"/api/v1/touchpoints/?{query}").status_code == 400


def test_create_with_a_key_and_idempotency_key(org, api_client_for, in_scope):
    account = AccountFactory(organization=org, external_id="ACME-1")
    contact = ContactFactory(account=account)
    api = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.WRITE))
    payload = {
        "account": "ACME-1",
        "contact": contact.pk,
        "channel": "email",
        "direction": "inbound",
        "summary": "Asked about SSO",
        "sentiment": "neutral",
        "occurred_at": "2026-02-03T10:00:00Z",
    }

    first = api.post("/api/v1/touchpoints/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    replay = api.post("/api/v1/touchpoints/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert first.status_code == 201
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    data = first.json()
    assert (data["account"], data["contact"], data["source"], data["logged_by"]) == (
        account.pk,
        contact.pk,
        "api",
        None,
    )
    with in_scope(org):
        assert Touchpoint.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"contact": "other-account"}, [("contact", "contact_other_account")]),
        ({"contact": 987654321}, [("contact", "not_found")]),
        ({"occurred_at": "future"}, [("occurred_at", "in_future")]),
        ({"occurred_at": "not a date"}, [("occurred_at", "invalid")]),
        ({"summary": ""}, [("summary", "blank")]),
        ({"summary": "x" * 4001}, [("summary", "max_length")]),
        ({"channel": "fax"}, [("channel", "invalid_choice")]),
        ({"account": "NOPE"}, [("account", "not_found")]),
        ({"account": None}, [("account", "null")]),
        ({"account": [1]}, [("account", "invalid")]),
    ],
)
def test_touchpoint_bad_input(changes, expected, org, api_as, in_scope):
    account = AccountFactory(organization=org)
    payload = {"account": account.pk, "channel": "call", "summary": "ok"}
    payload.update(changes)
    if payload.get("contact") == "other-account":
        payload["contact"] = ContactFactory(account=AccountFactory(organization=org)).pk
    if payload.get("occurred_at") == "future":
        payload["occurred_at"] = (timezone.now() + timedelta(hours=1)).isoformat()

    response = api_as(Role.CSM).post("/api/v1/touchpoints/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert _errors(response) == expected
    with in_scope(org):
        assert Touchpoint.objects.count() == 0


def test_contact_of_another_organization_reads_as_not_found(org, other_org, api_as):
    account = AccountFactory(organization=org)
    foreign = ContactFactory(account=AccountFactory(organization=other_org))

    response = api_as(Role.CSM).post(
        "/api/v1/touchpoints/",
        {"account": account.pk, "contact": foreign.pk, "channel": "call", "summary": "x"},
        format="json",
    )

    assert _errors(response) == [("contact", "not_found")]


def test_update_own_only(org, api_as, in_scope):
    author, colleague, manager = api_as(Role.CSM), api_as(Role.CSM), api_as(Role.MANAGER)
    row = TouchpointFactory(
        account=AccountFactory(organization=org), logged_by=author.membership.user
    )

    denied = colleague.patch(f"/api/v1/touchpoints/{row.pk}/", {"summary": "x"}, format="json")
    own = author.patch(f"/api/v1/touchpoints/{row.pk}/", {"summary": "Mine"}, format="json")
    future = author.patch(
        f"/api/v1/touchpoints/{row.pk}/",
        {"occurred_at": (timezone.now() + timedelta(days=2)).isoformat()},
        format="json",
    )
    by_manager = manager.patch(
        f"/api/v1/touchpoints/{row.pk}/", {"sentiment": "negative"}, format="json"
    )
    viewer = api_as(Role.VIEWER).patch(
        f"/api/v1/touchpoints/{row.pk}/", {"summary": "v"}, format="json"
    )

    assert (denied.status_code, denied.json()["code"]) == (403, "not_author")
    assert (own.status_code, own.json()["summary"]) == (200, "Mine")
    assert _errors(future) == [("occurred_at", "in_future")]
    assert by_manager.status_code == 200
    assert viewer.status_code == 403
    with in_scope(org):
        row.refresh_from_db()
    assert (row.summary, row.sentiment) == ("Mine", "negative")


def test_success_plan_with_objectives(org, api_as, in_scope):
    account = AccountFactory(organization=org)
    api = api_as(Role.CSM)

    plan = api.post(
        "/api/v1/success-plans/",
        {"account": account.pk, "title": "Year one", "owner": api.membership.user.email},
        format="json",
    )
    objective = api.post(
        "/api/v1/objectives/",
        {
            "plan": plan.json()["id"],
            "title": "Fewer tickets",
            "metric": "tickets per month",
            "baseline": 20,
            "target": 5,
            "start_date": "2026-01-01",
            "due_date": "2099-01-01",
            "current_value": 20,
        },
        format="json",
    )
    listed = api.get(f"/api/v1/success-plans/?account={account.pk}")
    second = api.post(
        "/api/v1/success-plans/", {"account": account.pk, "title": "Another"}, format="json"
    )

    assert plan.status_code == 201
    assert objective.status_code == 201
    assert (objective.json()["status"], objective.json()["progress"]) == ("on_track", 0.0)
    [row] = listed.json()["results"]
    assert [o["title"] for o in row["objectives"]] == ["Fewer tickets"]
    assert row["owner"] == api.membership.user.email
    assert _errors(second) == [("status", "active_plan_exists")]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"target": 5}, [("target", "target_equals_baseline")]),
        ({"due_date": None}, [("due_date", "null")]),
        ({"due_date": "2025-12-01"}, [("due_date", "due_before_start")]),
        (
            {
                "metric_event": "Feature Reports",
                "metric_window": "weekly",
                "metric_aggregate": "count",
            },
            [("metric_event", "invalid_event_name")],
        ),
        (
            {
                "metric_event": "feature.reports",
                "metric_window": "weekly",
                "metric_aggregate": "count",
                "current_value": 1,
            },
            [("current_value", "bound_current_value")],
        ),
        ({"metric_window": "daily"}, [("metric_window", "invalid_choice")]),
        ({"baseline": "NaN"}, [("baseline", "invalid")]),
        ({"target": 1e300}, [("target", "max_value")]),
        ({"plan": 987654321}, [("plan", "not_found")]),
    ],
)
def test_objective_bad_input(changes, expected, org, api_as, in_scope):
    plan = SuccessPlanFactory(account=AccountFactory(organization=org))
    payload = {
        "plan": plan.pk,
        "title": "T",
        "metric": "m",
        "baseline": 5,
        "target": 10,
        "start_date": "2026-01-01",
        "due_date": "2026-06-01",
    }
    payload.update(changes)

    response = api_as(Role.CSM).post("/api/v1/objectives/", payload, format="json")

    assert response.status_code == 400
    assert _errors(response) == expected
    with in_scope(org):
        assert Objective.objects.count() == 0


def test_objective_filters_and_viewer_is_read_only(org, api_as):
    plan = SuccessPlanFactory(account=AccountFactory(organization=org))
    bound = ObjectiveFactory(
        plan=plan, metric_event="feature.x", metric_window="weekly", metric_aggregate="count"
    )
    ObjectiveFactory(plan=plan)
    viewer = api_as(Role.VIEWER)

    response = viewer.get(f"/api/v1/objectives/?plan={plan.pk}&bound=true")
    write = viewer.patch(f"/api/v1/objectives/{bound.pk}/", {"title": "x"}, format="json")

    assert [row["id"] for row in response.json()["results"]] == [bound.pk]
    assert write.status_code == 403


def test_advocacy_record_create_filter_and_transition(org, api_as, in_scope):
    account = AccountFactory(organization=org)
    AdvocacyRecordFactory(account=account, kind="testimonial", status="done")
    api = api_as(Role.CSM)

    created = api.post(
        "/api/v1/advocacy-records/",
        {"account": account.pk, "kind": "review", "review_site": "Capterra"},
        format="json",
    )
    pk = created.json()["id"]
    agreed = api.post(
        f"/api/v1/advocacy-records/{pk}/transition/", {"status": "agreed"}, format="json"
    )
    backwards = api.post(
        f"/api/v1/advocacy-records/{pk}/transition/", {"status": "requested"}, format="json"
    )
    bogus = api.post(f"/api/v1/advocacy-records/{pk}/transition/", {"status": "won"}, format="json")
    status_patch = api.patch(f"/api/v1/advocacy-records/{pk}/", {"status": "done"}, format="json")
    listed = api.get("/api/v1/advocacy-records/?kind=review&status=agreed")

    assert created.status_code == 201
    assert (agreed.status_code, agreed.json()["status"]) == (200, "agreed")
    assert _errors(backwards) == [("status", "invalid_transition")]
    assert _errors(bogus) == [("status", "invalid_choice")]
    assert status_patch.json()["status"] == "agreed"  # status changes only by transition
    assert [row["id"] for row in listed.json()["results"]] == [pk]
    with in_scope(org):
        assert AdvocacyRecord.objects.get(pk=pk).agreed_on is not None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"kind": "referral"}, [("referred_company", "required")]),
        ({"kind": "award"}, [("kind", "invalid_choice")]),
        ({"link": "ftp://x"}, [("link", "invalid")]),
        ({"requested_on": "2999-01-01"}, [("requested_on", "in_future")]),
    ],
)
def test_advocacy_bad_input(changes, expected, org, api_as):
    account = AccountFactory(organization=org)
    payload = {"account": account.pk, "kind": "reference"}
    payload.update(changes)

    response = api_as(Role.CSM).post("/api/v1/advocacy-records/", payload, format="json")

    assert response.status_code == 400
    assert _errors(response) == expected


def test_read_key_cannot_transition(org, api_client_for):
    record = AdvocacyRecordFactory(account=AccountFactory(organization=org))
    api = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.READ))

    response = api.post(f"/api/v1/advocacy-records/{record.pk}/transition/", {"status": "agreed"})

    assert response.status_code == 403


def test_viewer_reads_the_next_steps_but_cannot_take_one(org, api_as):
    record = AdvocacyRecordFactory(account=AccountFactory(organization=org), status="agreed")
    viewer = api_as(Role.VIEWER)

    steps = viewer.get(f"/api/v1/advocacy-records/{record.pk}/transition/")
    take = viewer.post(
        f"/api/v1/advocacy-records/{record.pk}/transition/", {"status": "done"}, format="json"
    )

    assert steps.json() == {"status": "agreed", "allowed": ["done", "declined"]}
    assert take.status_code == 403
