"""Recording the follow-up's outcome (lifecycle/services/followup.py) and the overdue selector."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from lifecycle.models import FollowUp, Task
from lifecycle.selectors_followup import followups_overdue
from lifecycle.services.followup import followup_outcome_record, organization_today
from lifecycle.signals import followup_outcome_recorded
from tenancy.models import AuditEvent, Role, ScheduledAction
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_followup import FollowUpFactory
from tests.lifecycle.factories_tasks import TaskFactory
from tests.tenancy.factories import ScheduledActionFactory


@pytest.fixture
def open_followup(org):
    account = AccountFactory(organization=org, name="Initech")
    task = TaskFactory(organization=org, account=account, kind="follow_up", source="follow_up")
    return FollowUpFactory(account=account, task=task, status="open")


def _record(org, in_scope, followup, actor=None, **fields):
    with in_scope(org):
        return followup_outcome_record(organization=org, followup=followup, actor=actor, **fields)


def test_reached_with_a_sentiment_completes_the_followup_and_its_task(
    org, member, in_scope, open_followup
):
    csm = member(Role.CSM)

    recorded = _record(
        org,
        in_scope,
        open_followup,
        actor=csm.user,
        outcome="reached",
        sentiment="positive",
        note="Happy with onboarding",
    )

    assert (recorded.status, recorded.outcome, recorded.sentiment) == (
        "done",
        "reached",
        "positive",
    )
    assert recorded.recorded_by == csm.user
    with in_scope(org):
        task = Task.objects.get(pk=open_followup.task_id)
        assert (task.status, task.outcome) == ("done", "Reached: Happy with onboarding")
        assert AuditEvent.objects.filter(action="followup.outcome_recorded").count() == 1


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"outcome": ""}, {"outcome": ["required"]}),
        ({"outcome": "maybe"}, {"outcome": ["required"]}),
        ({"outcome": "reached"}, {"sentiment": ["required"]}),
        ({"outcome": "reached", "sentiment": "ecstatic"}, {"sentiment": ["invalid"]}),
        ({"outcome": "issue_found", "note": "   "}, {"note": ["required"]}),
        ({"outcome": "no_answer", "note": "x" * 2001}, {"note": ["max_length"]}),
    ],
)
def test_invalid_outcomes_are_refused_and_nothing_changes(
    org, in_scope, open_followup, fields, errors
):
    with pytest.raises(ValidationError) as error:
        _record(org, in_scope, open_followup, **fields)

    assert {
        name: [item.code for item in items] for name, items in error.value.error_dict.items()
    } == errors
    with in_scope(org):
        assert FollowUp.objects.get().status == "open"
        assert Task.objects.get().status == "open"


def test_no_answer_needs_no_sentiment_and_issue_found_defaults_to_negative(
    org, in_scope, open_followup
):
    other = FollowUpFactory(organization=org, status="open")

    no_answer = _record(org, in_scope, open_followup, outcome="no_answer")
    issue = _record(org, in_scope, other, outcome="issue_found", note="Invoices wrong")

    assert (no_answer.outcome, no_answer.sentiment) == ("no_answer", "")
    assert (issue.outcome, issue.sentiment) == ("issue_found", "negative")


def test_recording_twice_is_refused(org, in_scope, open_followup):
    _record(org, in_scope, open_followup, outcome="no_answer")

    with pytest.raises(ValidationError) as error:
        _record(org, in_scope, open_followup, outcome="reached", sentiment="positive")

    assert error.value.code == "already_recorded"


def test_a_contact_made_before_the_start_cancels_the_welcome(org, in_scope):
    followup = FollowUpFactory(organization=org, status="scheduled")
    action = ScheduledActionFactory(
        organization=org, kind="followup.start", subject=str(followup.account_id)
    )

    _record(org, in_scope, followup, outcome="reached", sentiment="neutral")

    with in_scope(org):
        assert ScheduledAction.objects.get(pk=action.pk).status == "cancelled"


def test_the_signal_is_sent_after_commit_only(
    org, in_scope, open_followup, django_capture_on_commit_callbacks
):
    received = []

    def listener(sender, **kwargs):
        received.append((kwargs["followup_id"], kwargs["outcome"], kwargs["sentiment"]))

    followup_outcome_recorded.connect(listener, weak=False, dispatch_uid="test-listener")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            _record(org, in_scope, open_followup, outcome="reached", sentiment="neutral")
        assert received == []
        with in_scope(org):
            for callback in callbacks:
                callback()
    finally:
        followup_outcome_recorded.disconnect(dispatch_uid="test-listener")

    assert received == [(open_followup.pk, "reached", "neutral")]


def test_issue_found_opens_the_escalation_task_once(
    org, member, in_scope, open_followup, django_capture_on_commit_callbacks
):
    from lifecycle.services.playbooks import playbooks_seed_defaults

    with in_scope(org):
        playbooks_seed_defaults(organization=org)

    csm = member(Role.CSM)
    with in_scope(org), django_capture_on_commit_callbacks(execute=True):
        followup_outcome_record(
            organization=org,
            followup=open_followup,
            actor=csm.user,
            outcome="issue_found",
            note="Billing is wrong",
        )
    # The signal delivered once more (a retried receiver) changes nothing.
    with in_scope(org):
        followup_outcome_recorded.send(
            sender=FollowUp,
            organization=org,
            followup_id=open_followup.pk,
            account_id=open_followup.account_id,
            outcome="issue_found",
            sentiment="negative",
        )
        escalations = list(
            Task.objects.filter(kind="escalation").values_list("account_id", "status")
        )
    assert escalations == [(open_followup.account_id, "open")]


def test_overdue_means_not_done_after_the_due_date(org, in_scope):
    today = organization_today(org)
    late_open = FollowUpFactory(organization=org, status="open", due_date=today - timedelta(1))
    late_scheduled = FollowUpFactory(
        organization=org, status="scheduled", due_date=today - timedelta(1)
    )
    FollowUpFactory(organization=org, status="open", due_date=today)
    FollowUpFactory(
        organization=org,
        status="done",
        due_date=today - timedelta(3),
        outcome="reached",
        recorded_at=timezone.now(),
    )
    FollowUpFactory(organization=org, status="cancelled", due_date=today - timedelta(3))

    with in_scope(org):
        overdue = set(followups_overdue(organization=org).values_list("pk", flat=True))

    assert overdue == {late_open.pk, late_scheduled.pk}


def test_a_task_cancelled_by_hand_stays_cancelled(org, in_scope, open_followup):
    with in_scope(org):
        Task.objects.filter(pk=open_followup.task_id).update(status="cancelled")

    recorded = _record(org, in_scope, open_followup, outcome="no_answer")

    assert recorded.status == "done"
    with in_scope(org):
        assert Task.objects.get(pk=open_followup.task_id).status == "cancelled"
