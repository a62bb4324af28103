"""The ScheduledAction outbox (tenancy/scheduled.py): upsert, dispatch, run, fail, reap."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenancy import scheduled
from tenancy.models import AuditEvent, Role, ScheduledAction
from tenancy.tasks import (
    scheduled_action_run_task,
    scheduled_actions_dispatch_task,
    scheduled_actions_reap_task,
)
from tests.tenancy.factories import ScheduledActionFactory

Status = ScheduledAction.Status
effects: list[str] = []
fails: dict[str, int] = {}


@scheduled.scheduled_handler("test.effect")
def _effect(*, organization, action):
    effects.append(action.subject)


@scheduled.scheduled_handler("test.flaky")
def _flaky(*, organization, action):
    fails[action.subject] = fails.get(action.subject, 0) + 1
    raise RuntimeError("provider down")


@pytest.fixture(autouse=True)
def _reset():
    effects.clear()
    fails.clear()


def _row(org, in_scope, pk):
    with in_scope(org):
        return ScheduledAction.objects.get(pk=pk)


def test_put_creates_then_moves_a_pending_row(org, in_scope):
    due = timezone.now() + timedelta(days=3)
    with in_scope(org):
        first = scheduled.scheduled_action_put(
            organization=org, kind="test.effect", subject="42", due_at=due
        )
        moved = scheduled.scheduled_action_put(
            organization=org, kind="test.effect", subject="42", due_at=due + timedelta(days=1)
        )
        assert ScheduledAction.objects.count() == 1
    assert moved.pk == first.pk
    assert moved.status == Status.PENDING
    assert moved.due_at == due + timedelta(days=1)


def test_put_leaves_a_done_row_done_and_revives_a_cancelled_one(org, in_scope):
    done = ScheduledActionFactory(organization=org, kind="test.effect", status=Status.DONE)
    cancelled = ScheduledActionFactory(
        organization=org, kind="test.effect", status=Status.CANCELLED
    )
    due = timezone.now() + timedelta(days=2)
    with in_scope(org):
        count = scheduled.scheduled_actions_put(
            organization=org,
            kind="test.effect",
            due={done.subject: due, cancelled.subject: due, "new": due},
        )
    assert count == 2
    assert _row(org, in_scope, done.pk).status == Status.DONE
    assert _row(org, in_scope, done.pk).due_at == done.due_at
    assert _row(org, in_scope, cancelled.pk).status == Status.PENDING
    assert _row(org, in_scope, cancelled.pk).due_at == due


def test_cancel_touches_pending_and_enqueued_rows_only(org, in_scope):
    pending = ScheduledActionFactory(organization=org, kind="test.effect", status=Status.PENDING)
    done = ScheduledActionFactory(organization=org, kind="test.effect", status=Status.DONE)
    with in_scope(org):
        count = scheduled.scheduled_actions_cancel(
            organization=org, kind="test.effect", subjects=[pending.subject, done.subject]
        )
    assert count == 1
    assert _row(org, in_scope, pending.pk).status == Status.CANCELLED
    assert _row(org, in_scope, done.pk).status == Status.DONE


def test_beat_firing_twice_runs_the_action_once(
    org, other_org, in_scope, django_capture_on_commit_callbacks
):
    # Given one due action in each of two organizations and one not yet due
    mine = ScheduledActionFactory(organization=org, kind="test.effect", subject="a")
    ScheduledActionFactory(organization=other_org, kind="test.effect", subject="b")
    later = ScheduledActionFactory(
        organization=org,
        kind="test.effect",
        subject="later",
        due_at=timezone.now() + timedelta(hours=1),
    )

    # When the beat fires twice (eager Celery: the run tasks run on commit)
    with django_capture_on_commit_callbacks(execute=True):
        first = scheduled_actions_dispatch_task()
    with django_capture_on_commit_callbacks(execute=True):
        second = scheduled_actions_dispatch_task()

    # Then each due action ran exactly once and the later one waits
    assert (first, second) == (2, 0)
    assert sorted(effects) == ["a", "b"]
    assert _row(org, in_scope, mine.pk).status == Status.DONE
    assert _row(org, in_scope, mine.pk).attempts == 1
    assert _row(org, in_scope, later.pk).status == Status.PENDING


def test_a_redelivered_run_task_has_no_second_effect(org, in_scope):
    action = ScheduledActionFactory(organization=org, kind="test.effect", status=Status.ENQUEUED)

    first = scheduled_action_run_task(organization_id=org.id, action_id=action.pk)
    second = scheduled_action_run_task(organization_id=org.id, action_id=action.pk)

    assert (first, second) == ("done", "skipped")
    assert effects == [action.subject]


def test_a_run_task_for_a_cancelled_action_does_nothing(org, in_scope):
    action = ScheduledActionFactory(organization=org, kind="test.effect", status=Status.ENQUEUED)
    with in_scope(org):
        scheduled.scheduled_action_cancel(
            organization=org, kind="test.effect", subject=action.subject
        )

    assert scheduled_action_run_task(organization_id=org.id, action_id=action.pk) == "skipped"
    assert effects == []


def test_a_failure_backs_off_and_the_eighth_makes_it_dead(org, in_scope):
    action = ScheduledActionFactory(organization=org, kind="test.flaky", status=Status.ENQUEUED)

    # First failure: pending again in a minute, the error kept
    before = timezone.now()
    assert scheduled_action_run_task(organization_id=org.id, action_id=action.pk) == "pending"
    row = _row(org, in_scope, action.pk)
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert row.last_error == "RuntimeError: provider down"
    assert before + timedelta(minutes=1) <= row.due_at <= timezone.now() + timedelta(minutes=1)

    # Failures 2..8 (each time the dispatcher hands it back)
    statuses = []
    for _ in range(7):
        with in_scope(org):
            ScheduledAction.objects.filter(pk=action.pk).update(status=Status.ENQUEUED)
        statuses.append(scheduled_action_run_task(organization_id=org.id, action_id=action.pk))

    assert statuses == ["pending"] * 6 + ["dead"]
    row = _row(org, in_scope, action.pk)
    assert (row.status, row.attempts) == (Status.DEAD, 8)
    assert fails[action.subject] == 8


def test_backoff_doubles_up_to_an_hour():
    assert [scheduled.backoff_after(n).total_seconds() / 60 for n in range(1, 9)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
    ]


def test_an_unknown_kind_fails_like_any_error(org, in_scope):
    action = ScheduledActionFactory(organization=org, kind="test.nobody", status=Status.ENQUEUED)

    assert scheduled_action_run_task(organization_id=org.id, action_id=action.pk) == "pending"
    assert "no handler registered" in _row(org, in_scope, action.pk).last_error


def test_reaper_returns_expired_leases_and_lost_enqueues(org, in_scope):
    now = timezone.now()
    expired = ScheduledActionFactory(
        organization=org,
        kind="test.effect",
        status=Status.RUNNING,
        attempts=1,
        lease_until=now - timedelta(seconds=1),
    )
    exhausted = ScheduledActionFactory(
        organization=org,
        kind="test.effect",
        status=Status.RUNNING,
        attempts=8,
        lease_until=now - timedelta(seconds=1),
    )
    leased = ScheduledActionFactory(
        organization=org,
        kind="test.effect",
        status=Status.RUNNING,
        attempts=1,
        lease_until=now + timedelta(minutes=5),
    )
    lost = ScheduledActionFactory(
        organization=org,
        kind="test.effect",
        status=Status.ENQUEUED,
        enqueued_at=now - timedelta(minutes=6),
    )
    fresh = ScheduledActionFactory(
        organization=org, kind="test.effect", status=Status.ENQUEUED, enqueued_at=now
    )

    assert scheduled_actions_reap_task() == 3

    assert _row(org, in_scope, expired.pk).status == Status.PENDING
    assert _row(org, in_scope, expired.pk).attempts == 1
    assert _row(org, in_scope, exhausted.pk).status == Status.DEAD
    assert _row(org, in_scope, leased.pk).status == Status.RUNNING
    assert _row(org, in_scope, lost.pk).status == Status.PENDING
    assert _row(org, in_scope, fresh.pk).status == Status.ENQUEUED


def test_a_worker_dying_mid_handler_leaves_it_reaped_and_run_once(
    org, in_scope, django_capture_on_commit_callbacks
):
    # Given an action claimed by a worker that died after taking its lease
    action = ScheduledActionFactory(
        organization=org,
        kind="test.effect",
        status=Status.RUNNING,
        attempts=1,
        lease_until=timezone.now() - timedelta(seconds=1),
    )

    # When the reaper and then the dispatcher run
    scheduled_actions_reap_task()
    with django_capture_on_commit_callbacks(execute=True):
        scheduled_actions_dispatch_task()

    # Then it ran once, on its second attempt
    assert effects == [action.subject]
    row = _row(org, in_scope, action.pk)
    assert (row.status, row.attempts) == (Status.DONE, 2)


def test_retry_sends_a_dead_action_back_with_fresh_attempts(org, member, in_scope):
    admin = member(Role.ADMIN)
    action = ScheduledActionFactory(
        organization=org, kind="test.effect", status=Status.DEAD, attempts=8
    )
    with in_scope(org):
        retried = scheduled.scheduled_action_retry(
            organization=org, action=action, actor=admin.user
        )
        assert AuditEvent.objects.filter(action="scheduled_action.retried").count() == 1
    assert (retried.status, retried.attempts) == (Status.PENDING, 0)


def test_retry_refuses_a_done_action(org, member, in_scope):
    action = ScheduledActionFactory(organization=org, kind="test.effect", status=Status.DONE)
    with in_scope(org), pytest.raises(ValidationError) as error:
        scheduled.scheduled_action_retry(organization=org, action=action, actor=None)
    assert error.value.code == "not_retryable"


def test_registering_two_handlers_for_one_kind_is_refused():
    with pytest.raises(ValueError, match="already exists"):
        scheduled.scheduled_handler("test.effect")(lambda **kwargs: None)


def test_admins_see_dead_and_stuck_actions_and_retry_them(org, member, client_for, in_scope):
    admin = client_for(member(Role.ADMIN))
    dead = ScheduledActionFactory(
        organization=org, kind="followup.start", status=Status.DEAD, last_error="Boom: no owner"
    )
    ScheduledActionFactory(
        organization=org,
        kind="test.effect",
        status=Status.ENQUEUED,
        enqueued_at=timezone.now() - timedelta(minutes=30),
    )
    ScheduledActionFactory(organization=org, kind="test.effect", status=Status.DONE)
    ScheduledActionFactory(
        organization=org, kind="test.effect", due_at=timezone.now() + timedelta(days=1)
    )

    page = admin.get("/settings/scheduled-actions/")
    retried = admin.post(f"/settings/scheduled-actions/{dead.pk}/retry/")

    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 2
    assert b"Boom: no owner" in page.content
    assert retried.status_code == 302
    assert _row(org, in_scope, dead.pk).status == Status.PENDING


def test_the_scheduled_actions_page_is_for_admins(org, member, client_for):
    action = ScheduledActionFactory(organization=org, status=Status.DEAD)
    manager = client_for(member(Role.MANAGER))

    assert manager.get("/settings/scheduled-actions/").status_code == 403
    assert manager.post(f"/settings/scheduled-actions/{action.pk}/retry/").status_code == 403


def test_retrying_a_done_action_from_the_page_says_why_not(org, member, client_for, in_scope):
    action = ScheduledActionFactory(organization=org, status=Status.DONE)

    response = client_for(member(Role.ADMIN)).post(
        f"/settings/scheduled-actions/{action.pk}/retry/", follow=True
    )

    assert b"only failed or stuck actions can be retried" in response.content
    assert _row(org, in_scope, action.pk).status == Status.DONE
