"""The receivers turn other apps' news into playbook tasks (signals sent directly here)."""

from datetime import date, timedelta

import factory
from django.utils import timezone
from django_scopes import scope

from healthscore.signals import band_changed, score_dropped
from lifecycle.models import StageTransition, Task
from lifecycle.signals import followup_outcome_recorded, stage_changed
from renewals.signals import renewal_window_entered
from tests.accounts.factories import AccountFactory
from tests.renewals.factories import ContractFactory, OpportunityFactory
from tests.tenancy.factories import ScopedFactory


class _TransitionFactory(ScopedFactory):
    """The stage engine's row, as its receiver reads it (its own factories live elsewhere)."""

    class Meta:
        model = StageTransition

    organization = factory.SelfAttribute("account.organization")
    at = factory.LazyFunction(timezone.now)
    reason_code = "advocacy"


def _tasks(org):
    with scope(organization=org):
        return list(Task.objects.order_by("due_at", "id").values_list("title", "kind"))


def test_band_dropped_to_red_opens_the_save_plan_once(org):
    account = AccountFactory(organization=org)
    for _ in range(2):
        with scope(organization=org):
            band_changed.send(
                sender="test",
                organization=org,
                account_id=account.pk,
                from_band="yellow",
                to_band="red",
                day=date(2026, 1, 5),
            )
    assert [title for title, _kind in _tasks(org)] == [
        "Diagnose the drop: usage, tickets and sponsor",
        "Save plan call with the customer",
        "Review the save plan",
    ]


def test_band_dropped_to_yellow_opens_nothing(org):
    account = AccountFactory(organization=org)
    with scope(organization=org):
        band_changed.send(
            sender="test",
            organization=org,
            account_id=account.pk,
            from_band="green",
            to_band="yellow",
            day=date(2026, 1, 5),
        )
    assert _tasks(org) == []


def test_score_dropped_opens_a_check(org):
    account = AccountFactory(organization=org)
    with scope(organization=org):
        score_dropped.send(
            sender="test",
            organization=org,
            account_id=account.pk,
            from_score=80,
            to_score=60,
            day=date(2026, 1, 5),
        )
    assert _tasks(org) == [("Find out why the health score dropped", "review")]


def test_renewal_window_schedules_the_reminders_once_per_contract_end(org):
    # given: a contract ending in 200 days (reminders all in the future)
    end = timezone.localdate() + timedelta(days=200)
    contract = ContractFactory(
        account=AccountFactory(organization=org), start_date=end - timedelta(days=365), end_date=end
    )
    opportunity = OpportunityFactory(contract=contract)
    # when: the signal arrives twice
    for _ in range(2):
        with scope(organization=org):
            renewal_window_entered.send(
                sender="test", organization=org, opportunity_ids=[opportunity.pk]
            )
    # then
    with scope(organization=org):
        dues = list(Task.objects.order_by("due_at").values_list("due_at", flat=True))
    assert [
        (end - due.astimezone(timezone.get_current_timezone()).date()).days for due in dues
    ] in (
        [120, 90, 60, 30],
        [121, 91, 61, 31],  # the test runner's zone may be ahead of São Paulo's 09:00
    )


def test_stage_changed_fires_the_stage_playbook_per_transition(org):
    account = AccountFactory(organization=org)
    transition = _TransitionFactory(account=account, from_stage="retention", to_stage="advocacy")
    for _ in range(2):
        with scope(organization=org):
            stage_changed.send(sender="test", organization=org, transition_ids=[transition.pk])
    assert _tasks(org) == [("Ask for a reference, a review or a case study", "call")]


def test_followup_issue_found_opens_an_escalation_due_within_a_day(org):
    account = AccountFactory(organization=org)
    for _ in range(2):
        with scope(organization=org):
            followup_outcome_recorded.send(
                sender="test",
                organization=org,
                followup_id=7,
                account_id=account.pk,
                outcome="issue_found",
                sentiment="negative",
            )
    with scope(organization=org):
        task = Task.objects.get()
    assert (task.kind, task.assignee_id, task.source_key.endswith(":followup:7")) == (
        "escalation",
        account.owner_id,
        True,
    )
    assert task.due_at <= timezone.now() + timedelta(days=1)


def test_followup_reached_opens_nothing(org):
    account = AccountFactory(organization=org)
    with scope(organization=org):
        followup_outcome_recorded.send(
            sender="test",
            organization=org,
            followup_id=8,
            account_id=account.pk,
            outcome="reached",
            sentiment="positive",
        )
    assert _tasks(org) == []
