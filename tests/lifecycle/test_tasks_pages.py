from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lifecycle.models import Playbook, Task
from tenancy.models import AuditEvent
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_tasks import PlaybookFactory, PlaybookStepFactory, TaskFactory


@pytest.fixture
def csm(member):
    return member("csm")


def _tasks_for(org, owner, n):
    account = AccountFactory(organization=org, owner=owner)
    return [TaskFactory(account=account, assignee=owner, title=f"Call {i}") for i in range(n)]


def test_task_list_shows_my_open_tasks_by_default(org, csm, member, client_for):
    # given
    mine = _tasks_for(org, csm, 2)
    other = member("csm")
    _tasks_for(org, other, 1)
    TaskFactory(account=mine[0].account, assignee=csm, title="Finished", status="done")
    # when
    response = client_for(csm).get(reverse("task_list"))
    # then
    assert response.status_code == 200
    assert [t.pk for t in response.context["tasks"]] == [t.pk for t in mine]
    assert response.context["counts"] == {"open": 2, "overdue": 0, "today": 0}


def test_task_list_filters_and_never_fails_on_bad_input(org, csm, client_for):
    overdue = TaskFactory(
        account=AccountFactory(organization=org, owner=csm),
        assignee=csm,
        due_at=timezone.now() - timedelta(days=2),
    )
    _tasks_for(org, csm, 1)
    client = client_for(csm)
    response = client.get(reverse("task_list"), {"due": "overdue"})
    assert [t.pk for t in response.context["tasks"]] == [overdue.pk]
    for query in (
        {"assignee": "99999999999999999999"},
        {"status": "zzz", "due": "never", "account": "abc", "page": "x"},
    ):
        assert client.get(reverse("task_list"), query).status_code == 200


def test_task_list_query_count_does_not_grow(org, csm, client_for):
    client = client_for(csm)
    _tasks_for(org, csm, 2)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("task_list"))
    _tasks_for(org, csm, 30)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("task_list"))
    assert len(response.context["tasks"]) == 32
    assert len(small.captured_queries) == len(large.captured_queries)


def test_htmx_complete_returns_the_row_and_audits(org, csm, client_for, in_scope):
    task = _tasks_for(org, csm, 1)[0]
    response = client_for(csm).post(
        reverse("task_complete", args=[task.pk]),
        {"outcome": "Done by phone"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'id="task-{task.pk}"' in response.content.decode()
    with in_scope(org):
        task.refresh_from_db()
        assert (task.status, task.outcome, task.completed_by_id) == (
            "done",
            "Done by phone",
            csm.pk,
        )
        assert AuditEvent.objects.filter(action="task.complete").count() == 1
    reopen = client_for(csm).post(reverse("task_reopen", args=[task.pk]), HTTP_HX_REQUEST="true")
    assert reopen.status_code == 200
    with in_scope(org):
        task.refresh_from_db()
    assert task.status == "open"


def test_viewer_reads_but_cannot_complete(org, member, csm, client_for, in_scope):
    viewer = member("viewer")
    task = _tasks_for(org, csm, 1)[0]
    client = client_for(viewer)
    assert client.get(reverse("task_list"), {"assignee": "all"}).status_code == 200
    assert client.post(reverse("task_complete", args=[task.pk])).status_code == 403
    with in_scope(org):
        task.refresh_from_db()
    assert task.status == "open"


def test_csm_creates_a_task_and_sees_validation_errors(org, csm, client_for, in_scope):
    account = AccountFactory(organization=org, owner=csm)
    url = reverse("account_task_create", args=[account.pk])
    bad = client_for(csm).post(url, {"title": "", "kind": "call", "due_date": "nope"})
    assert bad.status_code == 400
    assert bad.context["form"].errors.keys() == {"title", "due_date"}
    good = client_for(csm).post(
        url,
        {
            "title": "Kickoff",
            "kind": "meeting",
            "due_date": "2030-01-02",
            "due_time": "10:30",
            "assignee": csm.pk,
        },
    )
    assert good.status_code == 302
    with in_scope(org):
        task = Task.objects.get()
    assert (task.title, task.source, task.assignee_id, task.created_by_id) == (
        "Kickoff",
        "manual",
        csm.pk,
        csm.pk,
    )


def test_csm_cannot_assign_to_someone_else_but_a_manager_can(
    org, csm, member, client_for, in_scope
):
    other = member("csm")
    manager = member("manager")
    task = _tasks_for(org, csm, 1)[0]
    data = {"title": "Call", "kind": "call", "due_date": "2030-01-02", "assignee": other.pk}
    refused = client_for(csm).post(reverse("task_edit", args=[task.pk]), data)
    assert refused.status_code == 400
    assert "assignee" in refused.context["form"].errors
    assert client_for(manager).post(reverse("task_edit", args=[task.pk]), data).status_code == 302
    with in_scope(org):
        task.refresh_from_db()
    assert task.assignee_id == other.pk


def test_account_panel_shows_open_and_done_tasks(org, csm, client_for):
    account = AccountFactory(organization=org, owner=csm)
    TaskFactory(account=account, title="Open one")
    TaskFactory(account=account, title="Done one", status="done", completed_at=timezone.now())
    response = client_for(csm).get(reverse("account_tasks_panel", args=[account.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="tasks-title"' in body
    assert "Open one" in body
    assert "Done one" in body
    assert reverse("account_task_create", args=[account.pk]) in body


def test_playbook_list_seeds_defaults_and_is_manager_only(org, member, client_for, in_scope):
    assert client_for(member("csm")).get(reverse("playbook_list")).status_code == 403
    response = client_for(member("manager")).get(reverse("playbook_list"))
    assert response.status_code == 200
    assert len(response.context["playbooks"]) == 12
    assert response.context["can_admin"] is False


def _step_post(playbook_name="Save", rows=()):
    data = {
        "name": playbook_name,
        "trigger": "band_changed",
        "trigger_value": "red",
        "description": "",
        "active": "on",
        "steps-TOTAL_FORMS": str(len(rows)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "20",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"steps-{i}-{key}"] = value
    return data


def _row(title, position, days="1", **extra):
    return {
        "title": title,
        "position": position,
        "kind": "call",
        "due_offset_days": days,
        "due_anchor": "fired",
        "assignee_rule": "owner",
        **extra,
    }


def test_admin_edits_steps_reorders_removes_and_is_audited(org, member, client_for, in_scope):
    admin = member("admin")
    playbook = PlaybookFactory(organization=org, trigger="band_changed", trigger_value="red")
    first = PlaybookStepFactory(playbook=playbook, order=1, title="First")
    second = PlaybookStepFactory(playbook=playbook, order=2, title="Second")
    rows = [
        _row("First", "2", id=str(first.pk)),
        _row("Second", "1", id=str(second.pk), DELETE="on"),
        _row("New", "1", days="3"),
    ]
    response = client_for(admin).post(
        reverse("playbook_edit", args=[playbook.pk]), _step_post(rows=rows)
    )
    assert response.status_code == 302
    with in_scope(org):
        steps = list(playbook.steps.order_by("order").values_list("title", "order"))
        assert AuditEvent.objects.filter(action="playbook.update").count() == 1
    assert steps == [("New", 1), ("First", 2)]


def test_playbook_edit_shows_validation_errors(org, member, client_for, in_scope):
    admin = member("admin")
    playbook = PlaybookFactory(organization=org)
    rows = [_row("", "1", days="3", kind="call"), _row("Too late", "2", days="999")]
    response = client_for(admin).post(
        reverse("playbook_edit", args=[playbook.pk]), _step_post(playbook_name="", rows=rows)
    )
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert response.context["formset"].forms[1].errors["due_offset_days"] == [
        "Enter a number of days from 0 to 365."
    ]


def test_manager_cannot_edit_or_toggle_playbooks(org, member, client_for, in_scope):
    manager = member("manager")
    playbook = PlaybookFactory(organization=org)
    assert client_for(manager).get(reverse("playbook_edit", args=[playbook.pk])).status_code == 403
    assert (
        client_for(manager).post(reverse("playbook_toggle", args=[playbook.pk])).status_code == 403
    )
    admin = member("admin")
    assert client_for(admin).post(reverse("playbook_toggle", args=[playbook.pk])).status_code == 302
    with in_scope(org):
        assert Playbook.objects.get(pk=playbook.pk).active is False


def test_an_existing_step_cannot_lose_its_title(org, member, client_for, in_scope):
    admin = member("admin")
    playbook = PlaybookFactory(organization=org)
    step = PlaybookStepFactory(playbook=playbook, order=1, title="Call the sponsor")
    rows = [_row("  ", "1", id=str(step.pk))]

    response = client_for(admin).post(
        reverse("playbook_edit", args=[playbook.pk]), _step_post(rows=rows)
    )

    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["title"] == ["Give the step a title."]
    with in_scope(org):
        assert playbook.steps.get().title == "Call the sponsor"
