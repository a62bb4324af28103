from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lifecycle.models import Task
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_tasks import PlaybookFactory, PlaybookStepFactory, TaskFactory
from tests.tenancy.factories import ApiKeyFactory


@pytest.fixture
def key(org):
    return ApiKeyFactory(organization=org)


def _iso(when):
    return when.isoformat()


def test_list_filters_by_status_assignee_account_and_due(org, key, api_client_for, member):
    csm = member("csm")
    account = AccountFactory(organization=org, owner=csm)
    soon = TaskFactory(account=account, assignee=csm, due_at=timezone.now() + timedelta(days=1))
    TaskFactory(account=account, assignee=None, due_at=timezone.now() + timedelta(days=9))
    TaskFactory(account=AccountFactory(organization=org), status="done")
    api = api_client_for(key)

    def ids(**query):
        response = api.get("/api/v1/tasks/", query)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert len(ids()) == 3
    assert ids(
        status="open", account=account.pk, due_before=_iso(timezone.now() + timedelta(days=2))
    ) == [soon.pk]
    assert ids(assignee=csm.user.email.upper()) == [soon.pk]
    assert len(ids(assignee="none")) == 1
    assert len(ids(due_after=_iso(timezone.now() + timedelta(days=5)))) == 1


@pytest.mark.parametrize(
    "query",
    [
        {"status": "zzz"},
        {"account": "abc"},
        {"account": "99999999999999999999"},
        {"due_before": "nope"},
    ],
)
def test_bad_filters_are_400_with_field_errors(org, key, api_client_for, query):
    response = api_client_for(key).get("/api/v1/tasks/", query)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == next(iter(query))


def test_create_with_idempotency_key_creates_once(org, key, api_client_for, in_scope, member):
    csm = member("csm")
    account = AccountFactory(organization=org, external_id="ACME-1")
    body = {
        "account": "ACME-1",
        "title": "Call the sponsor",
        "kind": "call",
        "due_at": "2030-01-02T10:00:00-03:00",
        "assignee": csm.user.email,
    }
    api = api_client_for(key)
    first = api.post("/api/v1/tasks/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/tasks/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["assignee"] == csm.user.email
    assert first.json()["source"] == "manual"
    with in_scope(org):
        assert Task.objects.filter(account=account).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"account": 999999, "title": "x", "due_at": "2030-01-01T00:00:00Z"}, "account"),
        ({"account": "ACME-1", "title": "", "due_at": "2030-01-01T00:00:00Z"}, "title"),
        ({"account": "ACME-1", "title": "x", "due_at": "tomorrow"}, "due_at"),
        ({"account": "ACME-1", "title": "x"}, "due_at"),
        (
            {"account": "ACME-1", "title": "x", "due_at": "2030-01-01T00:00:00Z", "kind": "q"},
            "kind",
        ),
        (
            {
                "account": "ACME-1",
                "title": "x",
                "due_at": "2030-01-01T00:00:00Z",
                "assignee": "nobody@x.test",
            },
            "assignee",
        ),
        ({"account": ["x"], "title": "x", "due_at": "2030-01-01T00:00:00Z"}, "account"),
    ],
)
def test_bad_create_is_400_never_500(org, key, api_client_for, body, field):
    AccountFactory(organization=org, external_id="ACME-1")
    response = api_client_for(key).post("/api/v1/tasks/", body, format="json")
    assert response.status_code == 400
    assert field in [error["field"] for error in response.json()["errors"]]


def test_patch_status_completes_and_reopens(org, key, api_client_for):
    task = TaskFactory(organization=org)
    api = api_client_for(key)
    done = api.patch(
        f"/api/v1/tasks/{task.pk}/", {"status": "done", "outcome": "Spoke"}, format="json"
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["outcome"]) == ("done", "Spoke")
    assert done.json()["completed_at"] is not None
    reopened = api.patch(f"/api/v1/tasks/{task.pk}/", {"status": "open"}, format="json")
    assert (reopened.json()["status"], reopened.json()["completed_at"]) == ("open", None)


def test_csm_session_cannot_reassign_to_another_member(org, member, client_for):
    csm, other = member("csm"), member("csm")
    task = TaskFactory(
        organization=org, account=AccountFactory(organization=org, owner=csm), assignee=csm
    )
    response = client_for(csm).patch(
        f"/api/v1/tasks/{task.pk}/", {"assignee": other.user.email}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "role_forbidden"


def test_list_query_count_is_fixed(org, key, api_client_for):
    api = api_client_for(key)
    TaskFactory(organization=org, status="done", completed_at=timezone.now())
    api.get("/api/v1/tasks/")  # the key's last_used_at is written once a minute
    with CaptureQueriesContext(connection) as small:
        api.get("/api/v1/tasks/")
    for _ in range(20):
        TaskFactory(organization=org)
    with CaptureQueriesContext(connection) as large:
        assert len(api.get("/api/v1/tasks/").json()["results"]) == 21
    assert len(small.captured_queries) == len(large.captured_queries)


def test_playbooks_admin_writes_nested_steps_and_keys_cannot(
    org, member, client_for, key, api_client_for
):
    admin = member("admin")
    client = client_for(admin)
    body = {
        "name": "Red alert",
        "trigger": "band_changed",
        "trigger_value": "red",
        "steps": [
            {"title": "Call", "kind": "call", "due_offset_days": 1},
            {
                "title": "Review",
                "kind": "review",
                "due_offset_days": 3,
                "assignee_rule": "role:manager",
            },
        ],
    }
    created = client.post("/api/v1/playbooks/", body, content_type="application/json")
    assert created.status_code == 201
    steps = created.json()["steps"]
    assert [(s["order"], s["title"]) for s in steps] == [(1, "Call"), (2, "Review")]
    pk = created.json()["id"]
    reordered = client.patch(
        f"/api/v1/playbooks/{pk}/",
        {"steps": [{"id": steps[1]["id"], "title": "Review", "due_offset_days": 2}]},
        content_type="application/json",
    )
    assert reordered.status_code == 200
    assert [(s["id"], s["order"]) for s in reordered.json()["steps"]] == [(steps[1]["id"], 1)]
    assert api_client_for(key).post("/api/v1/playbooks/", body, format="json").status_code == 403
    assert client_for(member("csm")).get("/api/v1/playbooks/").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "trigger": "nope"}, "trigger"),
        ({"name": "x", "trigger": "band_changed", "trigger_value": "purple"}, "trigger_value"),
        (
            {"name": "x", "trigger": "detractor", "steps": [{"title": "", "due_offset_days": 1}]},
            "steps.0.title",
        ),
        (
            {
                "name": "x",
                "trigger": "detractor",
                "steps": [{"title": "a", "due_offset_days": 400}],
            },
            "steps.0.due_offset_days",
        ),
        (
            {
                "name": "x",
                "trigger": "detractor",
                "steps": [{"title": "a", "due_offset_days": 1, "assignee_rule": "boss"}],
            },
            "steps.0.assignee_rule",
        ),
        ({"name": "x", "trigger": "detractor", "steps": "nope"}, "steps"),
    ],
)
def test_playbook_bad_input_is_400(org, member, client_for, body, field):
    response = client_for(member("admin")).post(
        "/api/v1/playbooks/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in [error["field"] for error in response.json()["errors"]]


def test_playbook_step_of_another_playbook_is_refused(org, member, client_for):
    mine = PlaybookFactory(organization=org)
    foreign_step = PlaybookStepFactory(playbook=PlaybookFactory(organization=org))
    response = client_for(member("admin")).patch(
        f"/api/v1/playbooks/{mine.pk}/",
        {"steps": [{"id": foreign_step.pk, "title": "x", "due_offset_days": 1}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "steps"
