"""SLA flags of the stage engine: follow-up overdue joins onboarding overdue and renewal
without activity (selectors_sla.sla_annotate), with the day each breach started."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Stage
from lifecycle import selectors_sla as selectors
from lifecycle.selectors_stages import stage_board
from tenancy.timezones import organization_today
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_followup import FollowUpFactory
from tests.lifecycle.factories_records import TouchpointFactory
from tests.renewals.factories import ContractFactory


def _flags(org, account, in_scope):
    with in_scope(org):
        return selectors.account_sla_get(organization=org, account=account)


@pytest.mark.parametrize(
    ("status", "due_in_days", "overdue"),
    [
        ("open", -1, True),
        ("scheduled", -1, True),
        ("open", 0, False),
        ("open", 3, False),
        ("done", -1, False),
        ("cancelled", -1, False),
    ],
)
def test_followup_overdue_exactly_when_not_done_after_its_due_date(
    org, in_scope, status, due_in_days, overdue
):
    today = organization_today(org)
    account = AccountFactory(organization=org, stage=Stage.ADOPTION)
    extra = {"outcome": "reached", "recorded_at": timezone.now()} if status == "done" else {}
    FollowUpFactory(
        account=account, status=status, due_date=today + timedelta(days=due_in_days), **extra
    )

    flags = _flags(org, account, in_scope)

    assert flags == {
        "onboarding_overdue": False,
        "followup_overdue": overdue,
        "renewal_stalled": False,
    }


def test_followup_overdue_disappears_once_done(org, in_scope):
    today = organization_today(org)
    account = AccountFactory(organization=org, stage=Stage.ADOPTION)
    followup = FollowUpFactory(account=account, status="open", due_date=today - timedelta(days=2))
    assert _flags(org, account, in_scope)["followup_overdue"] is True

    with in_scope(org):
        followup.status = "done"
        followup.outcome = "reached"
        followup.recorded_at = timezone.now()
        followup.save()

    assert _flags(org, account, in_scope)["followup_overdue"] is False


def test_an_account_without_follow_up_is_not_flagged(org, in_scope):
    account = AccountFactory(organization=org, stage=Stage.ADOPTION)

    assert _flags(org, account, in_scope)["followup_overdue"] is False


def test_board_counts_a_followup_overdue_account_as_overdue(org, in_scope):
    today = organization_today(org)
    late = AccountFactory(organization=org, stage=Stage.ADOPTION, arr_cents=500)
    FollowUpFactory(account=late, status="open", due_date=today - timedelta(days=1))
    on_time = AccountFactory(organization=org, stage=Stage.ADOPTION, arr_cents=100)
    FollowUpFactory(account=on_time, status="open", due_date=today)

    with in_scope(org):
        board = stage_board(organization=org)

    adoption = next(column for column in board.columns if column.stage == Stage.ADOPTION)
    assert adoption.overdue == 1
    cards = {account.pk: account.followup_overdue for account in adoption.accounts}
    assert cards == {late.pk: True, on_time.pk: False}


def test_breach_list_dates_each_breach(org, in_scope):
    today = organization_today(org)
    onboarding = AccountFactory(
        organization=org, stage=Stage.ONBOARDING, go_live_date=today - timedelta(days=100)
    )
    FollowUpFactory(account=onboarding, status="open", due_date=today - timedelta(days=93))
    renewal = AccountFactory(organization=org, stage=Stage.RENEWAL)
    ContractFactory(
        account=renewal,
        start_date=today - timedelta(days=335),
        end_date=today + timedelta(days=30),
        status="active",
    )
    TouchpointFactory(account=renewal, occurred_at=timezone.now() - timedelta(days=70))
    silent = AccountFactory(organization=org, stage=Stage.RENEWAL)
    ContractFactory(
        account=silent,
        start_date=today - timedelta(days=335),
        end_date=today + timedelta(days=30),
        status="active",
    )
    AccountFactory(organization=org, stage=Stage.ADOPTION)  # no breach

    with in_scope(org):
        rows = list(selectors.sla_breach_list(organization=org).order_by("id"))
        selectors.sla_breaches_attach(rows, windows=selectors.sla_windows(organization=org))

    breaches = {row.pk: [(b.kind, b.since) for b in row.sla_breaches] for row in rows}
    assert breaches == {
        onboarding.pk: [
            ("onboarding", today - timedelta(days=10)),  # go-live + 90
            ("followup", today - timedelta(days=93)),  # the due date
        ],
        # the last touchpoint + 60 days is later than the contract end - 60 days
        renewal.pk: [("renewal", today - timedelta(days=10))],
        silent.pk: [("renewal", today - timedelta(days=30))],  # contract end - 60 days
    }


def test_breach_list_leaves_churned_accounts_out(org, in_scope):
    today = organization_today(org)
    churned = AccountFactory(organization=org, stage=Stage.CHURNED)
    FollowUpFactory(account=churned, status="open", due_date=today - timedelta(days=3))

    with in_scope(org):
        assert list(selectors.sla_breach_list(organization=org)) == []
