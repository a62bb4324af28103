"""Automatic expansion triggers: green accounts only, once per episode, fixed query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import HealthBand, Stage
from healthscore import recompute
from healthscore.expansion import expansion_triggers_evaluate
from healthscore.models import ContactActivity
from healthscore.tasks import expansion_triggers_evaluate_task, expansion_triggers_sweep_task
from renewals.models import ExpansionTrigger, Opportunity, OpportunityKind, OpportunityStage
from renewals.services import expansion_close
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.healthscore.factories import EventDailyFactory
from tests.renewals.factories import ContractFactory


@pytest.fixture
def today(org):
    return recompute.organization_today(org)


def _usage(account, today, *, recent, previous):
    EventDailyFactory(account=account, day=today - timedelta(days=3), name="login", count=recent)
    EventDailyFactory(
        account=account, day=today - timedelta(days=40), name="feature.reports", count=previous
    )


def _expansions(org, in_scope):
    with in_scope(org):
        return list(
            Opportunity.objects.filter(kind=OpportunityKind.EXPANSION).values_list(
                "account_id", "trigger", "episode_key"
            )
        )


def test_green_account_with_30_percent_growth_gets_one_usage_growth_expansion(org, in_scope, today):
    # Given a green account whose usage grew 30% month on month
    account = AccountFactory(organization=org, health_band=HealthBand.GREEN)
    _usage(account, today, recent=130, previous=100)

    # When the evaluator runs twice (same day), then once more the next day
    with in_scope(org):
        first = expansion_triggers_evaluate(organization=org, today=today)
        second = expansion_triggers_evaluate(organization=org, today=today)
        third = expansion_triggers_evaluate(organization=org, today=today + timedelta(days=1))

    # Then exactly one opportunity exists, triggered by usage growth
    assert (first, second, third) == (1, 0, 0)
    assert _expansions(org, in_scope) == [(account.pk, ExpansionTrigger.USAGE_GROWTH, "open")]


@pytest.mark.parametrize("band", [HealthBand.YELLOW, HealthBand.RED, ""])
def test_account_not_green_gets_no_expansion(org, in_scope, today, band):
    account = AccountFactory(organization=org, health_band=band)
    _usage(account, today, recent=200, previous=100)

    with in_scope(org):
        assert expansion_triggers_evaluate(organization=org, today=today) == 0
    assert _expansions(org, in_scope) == []


def test_churned_green_account_gets_no_expansion(org, in_scope, today):
    account = AccountFactory(
        organization=org,
        health_band=HealthBand.GREEN,
        stage=Stage.CHURNED,
        churned_at=timezone.now(),
    )
    _usage(account, today, recent=200, previous=100)

    with in_scope(org):
        assert expansion_triggers_evaluate(organization=org, today=today) == 0


@pytest.mark.parametrize(("recent", "previous"), [(120, 100), (129, 100), (50, 0)])
def test_growth_below_30_percent_or_from_nothing_gets_no_expansion(
    org, in_scope, today, recent, previous
):
    account = AccountFactory(organization=org, health_band=HealthBand.GREEN)
    _usage(account, today, recent=recent, previous=previous)

    with in_scope(org):
        assert expansion_triggers_evaluate(organization=org, today=today) == 0


def test_usage_older_than_60_days_does_not_count_as_previous_month(org, in_scope, today):
    account = AccountFactory(organization=org, health_band=HealthBand.GREEN)
    EventDailyFactory(account=account, day=today, name="login", count=10)
    EventDailyFactory(account=account, day=today - timedelta(days=60), name="login", count=5)

    with in_scope(org):
        assert expansion_triggers_evaluate(organization=org, today=today) == 0


def test_a_closed_expansion_is_not_reopened_within_the_cooldown(org, in_scope, today, member):
    # Given a usage-growth expansion that was opened and then lost
    account = AccountFactory(organization=org, health_band=HealthBand.GREEN)
    _usage(account, today, recent=200, previous=100)
    with in_scope(org):
        expansion_triggers_evaluate(organization=org, today=today)
        opportunity = Opportunity.objects.get(kind=OpportunityKind.EXPANSION)
        expansion_close(
            organization=org,
            opportunity=opportunity,
            outcome=OpportunityStage.LOST,
            actor=member("manager").user,
        )

        # When the trigger still holds the next day, nothing new opens
        assert expansion_triggers_evaluate(organization=org, today=today) == 0

        # Once the cooldown has passed, a new episode opens
        Opportunity.objects.filter(pk=opportunity.pk).update(
            closed_at=timezone.now() - timedelta(days=31)
        )
        assert expansion_triggers_evaluate(organization=org, today=today) == 1
    assert sorted(key for _, _, key in _expansions(org, in_scope)) == [
        f"closed-{opportunity.pk}",
        "open",
    ]


def _seated_account(org, today, *, seats, active, band=HealthBand.GREEN):
    account = AccountFactory(organization=org, health_band=band)
    if seats is not None:
        ContractFactory(
            account=account,
            start_date=today - timedelta(days=100),
            end_date=today + timedelta(days=265),
            seats=seats,
        )
    for index in range(active + 1):
        contact = ContactFactory(account=account)
        # the last contact logged in 14 days ago: outside the window
        last_login = today - timedelta(days=index % 14 if index < active else 14)
        ContactActivity.objects.create(
            organization=org, account=account, contact=contact, last_login_day=last_login
        )
    return account


@pytest.mark.parametrize(("seats", "active", "opened"), [(10, 9, 1), (10, 10, 1), (10, 8, 0)])
def test_seat_utilisation_of_90_percent_in_the_last_14_days_opens_an_expansion(
    org, in_scope, today, seats, active, opened
):
    account = _seated_account(org, today, seats=seats, active=active)

    with in_scope(org):
        assert expansion_triggers_evaluate(organization=org, today=today) == opened
    expected = [(account.pk, ExpansionTrigger.SEAT_UTILISATION, "open")] if opened else []
    assert _expansions(org, in_scope) == expected


def test_seat_utilisation_needs_a_base_contract_with_seats_in_force(org, in_scope, today):
    # Given one account without contract, one with 0 seats, one whose contract has ended,
    # one that is yellow
    _seated_account(org, today, seats=None, active=5)
    _seated_account(org, today, seats=0, active=5)
    ended = _seated_account(org, today, seats=None, active=5)
    ContractFactory(account=ended, start_date=today - timedelta(days=365), end_date=today, seats=5)
    _seated_account(org, today, seats=5, active=5, band=HealthBand.YELLOW)

    with in_scope(org):
        assert expansion_triggers_evaluate(organization=org, today=today) == 0


@pytest.mark.parametrize("size", [10, 40])
def test_evaluator_query_count_does_not_depend_on_the_number_of_accounts(
    org, in_scope, today, size
):
    # Given `size` green accounts with usage and seats, exactly one of which triggers
    for _ in range(size - 1):
        quiet = AccountFactory(organization=org, health_band=HealthBand.GREEN)
        _usage(quiet, today, recent=100, previous=100)
        ContractFactory(
            account=quiet,
            start_date=today - timedelta(days=10),
            end_date=today + timedelta(days=355),
            seats=50,
        )
    growing = AccountFactory(organization=org, health_band=HealthBand.GREEN)
    _usage(growing, today, recent=200, previous=100)

    with in_scope(org), CaptureQueriesContext(connection) as queries:
        assert expansion_triggers_evaluate(organization=org, today=today) == 1

    assert len(queries) == 13  # 3 reads, opportunities, accounts, then the service (8)


def test_daily_sweep_fans_out_one_task_per_organization(org, other_org, in_scope, today):
    account = AccountFactory(organization=org, health_band=HealthBand.GREEN)
    _usage(account, today, recent=200, previous=100)

    assert expansion_triggers_sweep_task.apply().get() == 2
    assert expansion_triggers_evaluate_task.apply(kwargs={"organization_id": org.pk}).get() == 0
    assert _expansions(org, in_scope) == [(account.pk, ExpansionTrigger.USAGE_GROWTH, "open")]
