from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope

from lifecycle.models import Task
from lifecycle.services.tasks import task_cancel, task_complete, task_create, task_reopen
from tenancy.models import AuditEvent
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_tasks import TaskFactory


def _create(org, account, **kwargs):
    values = {
        "title": "Welcome call",
        "kind": "follow_up",
        "due_at": timezone.now() + timedelta(days=7),
        "source": "follow_up",
        **kwargs,
    }
    with scope(organization=org):
        return task_create(organization=org, account=account, **values)


def test_task_create_is_idempotent_on_source_key(org, in_scope):
    account = AccountFactory(organization=org)
    first = _create(org, account, source_key="fu:1", assignee=account.owner)
    second = _create(org, account, source_key="fu:1", title="Another title")
    assert first.pk == second.pk
    with in_scope(org):
        assert Task.objects.count() == 1
        assert AuditEvent.objects.count() == 0  # automatic: not audited


def test_task_create_refuses_foreign_objects_and_bad_values(org, other_org):
    foreign = AccountFactory(organization=other_org)
    with pytest.raises(ValidationError):
        _create(org, foreign)
    account = AccountFactory(organization=org)
    with pytest.raises(ValidationError) as error:
        _create(org, account, title=" ", kind="dance", due_at=None)
    assert set(error.value.message_dict) == {"title", "kind", "due_at"}


def test_complete_reopen_cancel_cycle(org, member, in_scope):
    csm = member("csm")
    task = TaskFactory(organization=org)
    with scope(organization=org):
        done = task_complete(organization=org, task=task, actor=csm, outcome="ok")
        again = task_complete(organization=org, task=done, actor=csm)
        reopened = task_reopen(organization=org, task=done, actor=csm.user)
        cancelled = task_cancel(organization=org, task=reopened, actor=csm)
        with pytest.raises(ValidationError):
            task_complete(organization=org, task=cancelled, actor=csm)
    assert (done.status, done.completed_by_id, again.outcome) == ("done", csm.pk, "ok")
    assert (reopened.status, reopened.completed_at, cancelled.status) == ("open", None, "cancelled")
    with in_scope(org):
        actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["task.complete", "task.reopen", "task.cancel"]
