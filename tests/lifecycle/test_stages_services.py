"""The stage engine's services: daily evaluation (set-based, idempotent), manual stage and
hold, release, churn, and the receivers of lower apps' signals."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Stage
from accounts.services import account_update
from lifecycle.models import StageHold, StageTransition
from lifecycle.services.stages import (
    account_stage_release,
    account_stage_set,
    stages_evaluate,
)
from lifecycle.signals import stage_changed
from renewals import services as renewals_services
from renewals.models import OpportunityKind, OpportunityStage
from renewals.services import organization_today
from tenancy.models import AuditEvent, Role
from tests.accounts.factories import AccountFactory
from tests.healthscore.factories import EventDailyFactory
from tests.lifecycle.factories_stages import StageHoldFactory
from tests.renewals.factories import ContractFactory, OpportunityFactory

TODAY = date(2026, 6, 15)


def _book(org):
    """One account per rule, each with the facts that rule reads."""
    onboarding = AccountFactory(organization=org, name="Onboarding", go_live_date=date(2026, 5, 1))
    adopting = AccountFactory(
        organization=org, name="Adopting", go_live_date=date(2026, 2, 1), stage=Stage.ADOPTION
    )
    steady = AccountFactory(
        organization=org, name="Steady", go_live_date=date(2025, 1, 10), stage=Stage.ADOPTION
    )
    renewing = AccountFactory(
        organization=org, name="Renewing", go_live_date=date(2024, 9, 1), stage=Stage.RETENTION
    )
    ContractFactory(
        account=renewing, start_date=date(2025, 9, 10), end_date=TODAY + timedelta(days=87)
    )
    expanding = AccountFactory(
        organization=org, name="Expanding", go_live_date=date(2024, 1, 1), stage=Stage.RETENTION
    )
    OpportunityFactory(
        account=expanding,
        contract=None,
        organization=org,
        kind=OpportunityKind.EXPANSION,
        amount_cents=0,
        expected_close_date=None,
    )
    new_value = AccountFactory(organization=org, name="First value", go_live_date=date(2026, 4, 1))
    EventDailyFactory(account=new_value, name="feature.reports", day=date(2026, 4, 20))
    return {
        "onboarding": onboarding,
        "adopting": adopting,
        "steady": steady,
        "renewing": renewing,
        "expanding": expanding,
        "new_value": new_value,
    }


def _stages(org, in_scope):
    with in_scope(org):
        return dict(Account.objects.filter(organization=org).values_list("name", "stage"))


def test_daily_evaluation_moves_each_account_and_records_why(org, in_scope):
    _book(org)

    with in_scope(org):
        result = stages_evaluate(organization=org, today=TODAY)
        transitions = {
            t.account.name: (t.from_stage, t.to_stage, t.automatic, t.reason_display)
            for t in StageTransition.objects.filter(organization=org).select_related("account")
        }

    assert _stages(org, in_scope) == {
        "Onboarding": "onboarding",
        "Adopting": "adoption",
        "Steady": "retention",
        "Renewing": "renewal",
        "Expanding": "expansion",
        "First value": "adoption",
    }
    assert (result.accounts, result.changed) == (6, 4)
    assert transitions == {
        "Steady": ("adoption", "retention", True, "adoption period over (17 months live)"),
        "Renewing": (
            "retention",
            "renewal",
            True,
            "contract ends in 87 days (renewal window 120)",
        ),
        "Expanding": ("retention", "expansion", True, "an expansion opportunity is open"),
        "First value": ("onboarding", "adoption", True, "month 2 of 12 of adoption"),
    }


def test_running_the_daily_job_twice_writes_no_second_transition(org, in_scope):
    _book(org)

    with in_scope(org):
        first = stages_evaluate(organization=org, today=TODAY)
        second = stages_evaluate(organization=org, today=TODAY)
        count = StageTransition.objects.filter(organization=org).count()

    assert (first.changed, second.changed, count) == (4, 0, 4)


def test_evaluation_query_count_does_not_depend_on_the_number_of_accounts(org, in_scope):
    _book(org)
    with in_scope(org), CaptureQueriesContext(connection) as small:
        stages_evaluate(organization=org, today=TODAY)
    for index in range(30):
        account = AccountFactory(
            organization=org, go_live_date=date(2024, 1, 1), stage=Stage.ADOPTION
        )
        ContractFactory(
            account=account, start_date=date(2025, 7, 1), end_date=TODAY + timedelta(days=index)
        )

    with in_scope(org), CaptureQueriesContext(connection) as large:
        result = stages_evaluate(organization=org, today=TODAY)

    assert result.changed == 30
    # the same reads; the writes are one UPDATE per target stage + one bulk INSERT
    assert len(large.captured_queries) <= len(small.captured_queries) + 1
    assert len(large.captured_queries) <= 14


def test_the_writes_are_one_fixed_set_of_statements_however_many_accounts_move(
    org, other_org, in_scope
):
    # given one account to move, then 40 more (renewal 10 days out, different reasons)
    def adopting(index):
        account = AccountFactory(
            organization=org, go_live_date=date(2024, 1, 1), stage=Stage.ADOPTION
        )
        ContractFactory(
            account=account,
            start_date=date(2025, 7, 1),
            end_date=TODAY + timedelta(days=10 + index),
        )
        return account

    outsider = AccountFactory(
        organization=other_org, go_live_date=date(2024, 1, 1), stage=Stage.ADOPTION
    )
    first = adopting(0)
    with in_scope(org), CaptureQueriesContext(connection) as one:
        stages_evaluate(organization=org, today=TODAY)
    many = [adopting(index) for index in range(1, 41)]

    # when
    with in_scope(org), CaptureQueriesContext(connection) as forty:
        result = stages_evaluate(organization=org, today=TODAY)

    # then the same statements; every account moved with its transition and reason
    assert (result.changed, len(forty.captured_queries)) == (40, len(one.captured_queries))
    with in_scope(org):
        rows = StageTransition.objects.filter(organization=org, account__in=many)
        reasons = sorted(t.reason_params["days"] for t in rows)
        stages = set(
            Account.objects.filter(organization=org, pk__in=[a.pk for a in many]).values_list(
                "stage", flat=True
            )
        )
        assert sorted(result.transition_ids) == sorted(t.pk for t in rows)
        assert {(t.from_stage, t.to_stage, t.automatic, t.reason_code) for t in rows} == {
            ("adoption", "renewal", True, "renewal")
        }
        assert rows.first().reason_display.endswith("(renewal window 120)")
    assert (reasons, stages) == (list(range(11, 51)), {Stage.RENEWAL})
    first.refresh_from_db()
    outsider.refresh_from_db()
    assert (first.stage, outsider.stage) == (Stage.RENEWAL, Stage.ADOPTION)


def test_a_manual_hold_keeps_the_stage_until_released(org, member, in_scope):
    csm = member(Role.CSM)
    account = AccountFactory(
        organization=org, go_live_date=date(2024, 1, 1), stage=Stage.RETENTION, owner=csm
    )
    ContractFactory(account=account, start_date=date(2025, 7, 1), end_date=TODAY + timedelta(30))

    with in_scope(org):
        change = account_stage_set(
            organization=org,
            account=account,
            stage=Stage.ADVOCACY,
            reason="Reference call agreed",
            actor=csm.user,
        )
        held = stages_evaluate(organization=org, today=TODAY)
        account.refresh_from_db()
        stage_while_held = account.stage
        audit = AuditEvent.objects.get(organization=org, action="account.stage_changed")

    assert (change.transition.from_stage, change.transition.to_stage) == ("retention", "advocacy")
    assert (change.transition.automatic, change.transition.actor_id) == (False, csm.user_id)
    assert change.transition.reason_display == "Reference call agreed"
    assert (held.changed, stage_while_held) == (0, "advocacy")
    assert audit.after == {"stage": "advocacy", "reason": "Reference call agreed", "held": True}

    with in_scope(org):
        released = account_stage_release(organization=org, account=account, actor=csm.user)
        account.refresh_from_db()
        last = StageTransition.objects.filter(organization=org).latest("id")
        holds = StageHold.objects.filter(organization=org).count()

    # released today (the real today): the contract ended long ago, so the rules say retention
    assert (released.changed, holds) == (1, 0)
    assert (account.stage, last.from_stage, last.automatic) == ("retention", "advocacy", True)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_stage_change_without_a_reason_writes_nothing(org, in_scope, reason):
    account = AccountFactory(organization=org, stage=Stage.ADOPTION)

    with in_scope(org), pytest.raises(ValidationError) as error:
        account_stage_set(
            organization=org, account=account, stage=Stage.RETENTION, reason=reason, actor=None
        )

    assert error.value.message_dict == {"reason": ["Say why the stage changes."]}
    with in_scope(org):
        account.refresh_from_db()
        assert account.stage == Stage.ADOPTION
        assert not StageTransition.objects.filter(organization=org).exists()
        assert not StageHold.objects.filter(organization=org).exists()
        assert not AuditEvent.objects.filter(organization=org).exists()


def test_unknown_stage_and_release_without_hold_are_field_errors(org, in_scope):
    account = AccountFactory(organization=org)

    with in_scope(org):
        with pytest.raises(ValidationError) as unknown:
            account_stage_set(
                organization=org, account=account, stage="sleeping", reason="x", actor=None
            )
        with pytest.raises(ValidationError) as not_held:
            account_stage_release(organization=org, account=account, actor=None)

    assert list(unknown.value.message_dict) == ["to_stage"]
    assert not_held.value.message_dict == {"account": ["This account's stage is not held."]}


def test_holding_the_current_stage_pins_it_once(org, in_scope):
    account = AccountFactory(organization=org, stage=Stage.ADOPTION)

    with in_scope(org):
        pinned = account_stage_set(
            organization=org,
            account=account,
            stage=Stage.ADOPTION,
            reason="Slow rollout",
            actor=None,
        )
        with pytest.raises(ValidationError):
            account_stage_set(
                organization=org, account=account, stage=Stage.ADOPTION, reason="again", actor=None
            )

    assert (pinned.transition.from_stage, pinned.transition.to_stage) == ("adoption", "adoption")
    assert pinned.hold.stage == "adoption"


def test_manual_churn_sets_churned_at_and_reactivation_clears_it(org, in_scope):
    account = AccountFactory(organization=org, stage=Stage.RETENTION)

    with in_scope(org):
        account_stage_set(
            organization=org, account=account, stage=Stage.CHURNED, reason="Went bust", actor=None
        )
        account.refresh_from_db()
        churned_at = account.churned_at
        holds = StageHold.objects.filter(organization=org).count()
        account_stage_set(
            organization=org, account=account, stage=Stage.RETENTION, reason="Came back", actor=None
        )
        account.refresh_from_db()

    assert churned_at is not None
    assert holds == 0  # churned is terminal anyway: no hold
    assert (account.stage, account.churned_at) == ("retention", None)


def test_churned_accounts_are_never_moved_by_the_rules(org, in_scope):
    AccountFactory(
        organization=org, name="Gone", stage=Stage.CHURNED, go_live_date=date(2024, 1, 1)
    )

    with in_scope(org):
        result = stages_evaluate(organization=org, today=TODAY)

    assert result.changed == 0
    assert _stages(org, in_scope) == {"Gone": "churned"}


def test_stage_changed_is_sent_after_commit_with_the_batch(
    org, in_scope, django_capture_on_commit_callbacks
):
    _book(org)
    received = []

    def listener(sender, organization, transition_ids, **kwargs):
        received.append(sorted(transition_ids))

    stage_changed.connect(listener)
    try:
        with in_scope(org), django_capture_on_commit_callbacks(execute=True):
            result = stages_evaluate(organization=org, today=TODAY)
            assert received == []  # nothing before commit
    finally:
        stage_changed.disconnect(listener)

    assert received == [sorted(result.transition_ids)]


# --- receivers ---------------------------------------------------------------------------


def test_a_contract_entering_the_window_moves_the_account_to_renewal(
    org, in_scope, django_capture_on_commit_callbacks
):
    today = organization_today(org)
    account = AccountFactory(
        organization=org, go_live_date=today - timedelta(days=800), stage=Stage.RETENTION
    )

    with in_scope(org):
        with django_capture_on_commit_callbacks(execute=True):
            renewals_services.contract_create(
                organization=org,
                actor=None,
                account=account,
                start_date=today - timedelta(days=300),
                end_date=today + timedelta(days=65),
                arr_cents=100_000,
            )
        account.refresh_from_db()
        transition = StageTransition.objects.get(organization=org)

    assert account.stage == Stage.RENEWAL
    assert transition.reason_params == {"days": 65, "window": 120}


def test_an_expansion_opportunity_moves_the_account_to_expansion_and_back(
    org, in_scope, django_capture_on_commit_callbacks
):
    account = AccountFactory(
        organization=org,
        go_live_date=organization_today(org) - timedelta(days=800),
        stage=Stage.RETENTION,
    )

    with in_scope(org):
        with django_capture_on_commit_callbacks(execute=True):
            opportunity = renewals_services.expansion_opportunity_create(
                organization=org, account=account, actor=None, title="More seats", amount_cents=10
            )
        account.refresh_from_db()
        during = account.stage
        with django_capture_on_commit_callbacks(execute=True):
            renewals_services.expansion_close(
                organization=org, opportunity=opportunity, outcome=OpportunityStage.LOST, actor=None
            )
        account.refresh_from_db()

    assert (during, account.stage) == ("expansion", "retention")


def test_go_live_set_is_evaluated_after_commit(org, in_scope, django_capture_on_commit_callbacks):
    account = AccountFactory(organization=org, stage=Stage.ONBOARDING)
    EventDailyFactory(account=account, name="feature.reports", day=organization_today(org))

    with in_scope(org):
        with django_capture_on_commit_callbacks(execute=True):
            account_update(
                organization=org,
                account=account,
                actor=None,
                go_live_date=organization_today(org) - timedelta(days=400),
            )
            account.refresh_from_db()
            before_commit = account.stage
        account.refresh_from_db()

    assert (before_commit, account.stage) == ("onboarding", "retention")


def test_renewal_closed_as_churned_is_a_transition_by_the_member(
    org, member, in_scope, django_capture_on_commit_callbacks
):
    csm = member(Role.CSM)
    opportunity = OpportunityFactory(
        contract__account__organization=org, contract__account__stage=Stage.RENEWAL
    )
    StageHoldFactory(account=opportunity.account, stage=Stage.RENEWAL)

    with in_scope(org):
        with django_capture_on_commit_callbacks(execute=True):
            renewals_services.renewal_close(
                organization=org,
                opportunity=opportunity,
                outcome=OpportunityStage.CHURNED,
                actor=csm.user,
            )
        transition = StageTransition.objects.get(organization=org)
        holds = StageHold.objects.filter(organization=org).count()

    assert (transition.from_stage, transition.to_stage) == ("renewal", "churned")
    assert (transition.automatic, transition.actor_id) == (False, csm.user_id)
    assert transition.reason_display == "Renewal closed as churned"
    assert holds == 0


def test_demo_history_is_seeded_once(org, in_scope):
    from lifecycle.demo_stages import demo_stages_seed

    AccountFactory(organization=org, stage=Stage.ADVOCACY, go_live_date=date(2024, 1, 1))
    AccountFactory(organization=org, stage=Stage.RENEWAL, go_live_date=date(2024, 1, 1))

    with in_scope(org):
        first = demo_stages_seed(organization=org)
        second = demo_stages_seed(organization=org)
        holds = list(StageHold.objects.filter(organization=org).values_list("stage", flat=True))
        last = {
            t.account_id: t.to_stage
            for t in StageTransition.objects.filter(organization=org).order_by("at", "id")
        }

    assert (first, second) == (6, 0)
    assert holds == ["advocacy"]
    assert sorted(last.values()) == ["advocacy", "renewal"]
