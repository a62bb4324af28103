"""Renewals services: contracts and ARR columns, the daily renewal job, closing opportunities,
expansion episodes."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Account, Stage
from renewals import services
from renewals.models import Contract, ContractKind, ContractStatus, Opportunity, OpportunityStage
from renewals.tasks import renewal_opportunities_open_task
from tenancy.models import AuditEvent, Role
from tests.accounts.factories import AccountFactory
from tests.renewals.factories import ContractFactory, OpportunityFactory, RenewalSettingsFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 1)


def test_contract_create_refreshes_account_arr_and_renewal_date(org, member, in_scope):
    account = AccountFactory(organization=org)
    actor = member(Role.CSM).user
    today = services.organization_today(org)
    with in_scope(org):
        services.contract_create(
            organization=org,
            actor=actor,
            account=account,
            kind=ContractKind.BASE,
            start_date=today - timedelta(days=10),
            end_date=today + timedelta(days=355),
            arr_cents=1_000_000,
            seats=10,
        )
        services.contract_create(
            organization=org,
            actor=actor,
            account=account,
            kind=ContractKind.ADD_ON,
            start_date=today,
            end_date=today + timedelta(days=100),
            arr_cents=250_000,
        )
        account.refresh_from_db()
        audits = AuditEvent.objects.filter(organization=org, action="contract.created").count()

    assert account.arr_cents == 1_250_000
    assert account.renewal_date == today + timedelta(days=355)
    assert audits == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start_date": date(2026, 1, 1), "end_date": date(2026, 1, 1)}, "end_date"),
        ({"start_date": date(2026, 1, 1), "end_date": date(2025, 1, 1)}, "end_date"),
        ({"arr_cents": -1}, "arr_cents"),
        ({"arr_cents": 10**12 + 1}, "arr_cents"),
        ({"start_date": date(2026, 6, 1), "end_date": date(2027, 6, 1)}, "start_date"),
    ],
)
def test_contract_rules(fields, field, org, in_scope):
    existing = ContractFactory(
        account__organization=org, start_date=date(2026, 1, 1), end_date=date(2027, 1, 1)
    )
    values = {
        "account": existing.account,
        "kind": ContractKind.BASE,
        "start_date": date(2027, 1, 1),
        "end_date": date(2028, 1, 1),
        "arr_cents": 100,
        **fields,
    }
    with in_scope(org), pytest.raises(ValidationError) as error:
        services.contract_create(organization=org, actor=None, **values)

    assert field in error.value.message_dict


def test_overlapping_add_on_is_allowed(org, in_scope):
    base = ContractFactory(account__organization=org)
    with in_scope(org):
        add_on = services.contract_create(
            organization=org,
            actor=None,
            account=base.account,
            kind=ContractKind.ADD_ON,
            start_date=base.start_date + timedelta(days=30),
            end_date=base.end_date,
            arr_cents=5000,
        )

    assert add_on.pk is not None


def test_renewal_job_opens_each_opportunity_exactly_once(org, in_scope):
    # Given contracts ending in 30 and 119 days (inside the 120-day window), 121 days (outside),
    # one already ended and one void
    account = AccountFactory(organization=org)
    inside = [
        ContractFactory(
            account=account,
            start_date=TODAY - timedelta(days=300),
            end_date=TODAY + timedelta(days=30),
        ),
        ContractFactory(
            account=AccountFactory(organization=org),
            kind=ContractKind.ADD_ON,
            start_date=TODAY - timedelta(days=10),
            end_date=TODAY + timedelta(days=119),
        ),
    ]
    ContractFactory(
        account=AccountFactory(organization=org),
        start_date=TODAY,
        end_date=TODAY + timedelta(days=121),
    )
    ContractFactory(
        account=AccountFactory(organization=org),
        start_date=TODAY - timedelta(days=400),
        end_date=TODAY - timedelta(days=1),
    )
    ContractFactory(
        account=AccountFactory(organization=org),
        status=ContractStatus.VOID,
        start_date=TODAY - timedelta(days=10),
        end_date=TODAY + timedelta(days=10),
    )

    with in_scope(org):
        first = services.renewal_opportunities_open(organization=org, today=TODAY)
        second = services.renewal_opportunities_open(organization=org, today=TODAY)
        opportunities = list(Opportunity.objects.filter(organization=org).order_by("contract_id"))

    assert (first, second) == (2, 0)
    assert [o.contract_id for o in opportunities] == sorted(c.pk for c in inside)
    assert {o.stage for o in opportunities} == {OpportunityStage.NOT_STARTED}
    assert [o.expected_close_date for o in opportunities] == [c.end_date for c in inside]


def test_renewal_window_is_the_organization_setting(org, in_scope):
    RenewalSettingsFactory(organization=org, renewal_window_days=30)
    ContractFactory(
        account__organization=org, start_date=TODAY, end_date=TODAY + timedelta(days=31)
    )
    ContractFactory(
        account__organization=org, start_date=TODAY, end_date=TODAY + timedelta(days=30)
    )

    with in_scope(org):
        opened = services.renewal_opportunities_open(organization=org, today=TODAY)

    assert opened == 1


def test_renewal_task_runs_twice_without_duplicates(org, in_scope):
    today = services.organization_today(org)
    ContractFactory(
        account__organization=org,
        start_date=today - timedelta(days=200),
        end_date=today + timedelta(days=60),
    )

    renewal_opportunities_open_task(organization_id=org.pk)
    renewal_opportunities_open_task(organization_id=org.pk)

    with in_scope(org):
        assert Opportunity.objects.filter(organization=org).count() == 1


def test_renewal_settings_range(org, in_scope):
    with in_scope(org), pytest.raises(ValidationError):
        services.renewal_settings_update(organization=org, actor=None, renewal_window_days=200)


def test_closing_renewed_creates_the_successor_contract(org, member, in_scope):
    opportunity = OpportunityFactory(
        contract__account__organization=org,
        contract__start_date=date(2025, 4, 1),
        contract__end_date=date(2026, 4, 1),
        contract__arr_cents=1_200_000,
        contract__seats=12,
    )
    with in_scope(org):
        closed = services.renewal_close(
            organization=org,
            opportunity=opportunity,
            outcome=OpportunityStage.RENEWED,
            actor=member(Role.CSM).user,
        )
        successor = Contract.objects.get(organization=org, renewed_from=opportunity.contract)
        old = Contract.objects.get(pk=opportunity.contract_id)

    assert (successor.start_date, successor.end_date) == (date(2026, 4, 1), date(2027, 4, 1))
    assert (successor.arr_cents, successor.seats, successor.plan) == (1_200_000, 12, "Pro")
    assert old.status == ContractStatus.RENEWED
    assert (closed.stage, closed.result_contract_id) == (OpportunityStage.RENEWED, successor.pk)
    assert closed.closed_at is not None


def test_closing_downsell_needs_a_lower_arr(org, in_scope):
    opportunity = OpportunityFactory(
        contract__account__organization=org, contract__arr_cents=1_000_000
    )
    with in_scope(org):
        with pytest.raises(ValidationError) as error:
            services.renewal_close(
                organization=org,
                opportunity=opportunity,
                outcome=OpportunityStage.DOWNSELL,
                actor=None,
                terms=services.RenewalTerms(arr_cents=1_000_000),
            )
        closed = services.renewal_close(
            organization=org,
            opportunity=opportunity,
            outcome=OpportunityStage.DOWNSELL,
            actor=None,
            terms=services.RenewalTerms(arr_cents=800_000, end_date=date(2028, 1, 1)),
        )

    assert "arr_cents" in error.value.message_dict
    assert closed.result_contract.arr_cents == 800_000
    assert closed.result_contract.end_date == date(2028, 1, 1)


def test_closing_churned_moves_the_account(
    org, member, in_scope, django_capture_on_commit_callbacks
):
    # The stage is the lifecycle engine's: it moves on commit (renewals.signals.account_churned).
    opportunity = OpportunityFactory(
        contract__account__organization=org, contract__account__stage=Stage.RENEWAL
    )
    actor = member(Role.CSM).user
    with in_scope(org):
        with django_capture_on_commit_callbacks(execute=True):
            services.renewal_close(
                organization=org,
                opportunity=opportunity,
                outcome=OpportunityStage.CHURNED,
                actor=actor,
            )
        account = Account.objects.get(pk=opportunity.account_id)
        contract = Contract.objects.get(pk=opportunity.contract_id)
        audit = AuditEvent.objects.get(organization=org, action="account.churned")
        successors = Contract.objects.filter(organization=org, renewed_from=contract).count()

    assert account.stage == Stage.CHURNED
    assert account.churned_at is not None
    assert contract.status == ContractStatus.CHURNED
    assert contract.end_date == date(2026, 1, 1)  # it ends on its end date, no successor
    assert successors == 0
    assert (audit.before, audit.actor_id) == ({"stage": "renewal"}, actor.pk)


def test_a_closed_opportunity_cannot_be_closed_again(org, in_scope):
    opportunity = OpportunityFactory(contract__account__organization=org)
    with in_scope(org):
        services.renewal_close(
            organization=org, opportunity=opportunity, outcome=OpportunityStage.RENEWED, actor=None
        )
        with pytest.raises(ValidationError):
            services.renewal_close(
                organization=org,
                opportunity=opportunity,
                outcome=OpportunityStage.RENEWED,
                actor=None,
            )
        assert Contract.objects.filter(organization=org).count() == 2


def test_expansion_opportunity_open_is_idempotent_per_episode(org, in_scope):
    account = AccountFactory(organization=org)
    with in_scope(org):
        first = services.expansion_opportunity_open(
            organization=org, account=account, trigger="seat_utilisation"
        )
        again = services.expansion_opportunity_open(
            organization=org, account=account, trigger="seat_utilisation"
        )
        other_trigger = services.expansion_opportunity_open(
            organization=org, account=account, trigger="promoter"
        )
        services.expansion_close(
            organization=org, opportunity=first, outcome=OpportunityStage.LOST, actor=None
        )
        next_episode = services.expansion_opportunity_open(
            organization=org, account=account, trigger="seat_utilisation"
        )
        keyed = [
            services.expansion_opportunity_open(
                organization=org, account=account, trigger="usage_growth", episode_key="2026-03"
            )
            for _ in range(2)
        ]

    assert first.pk == again.pk
    assert other_trigger.pk != first.pk
    assert next_episode.pk not in (first.pk, other_trigger.pk)
    assert keyed[0].pk == keyed[1].pk


def test_won_expansion_adds_a_co_terminating_add_on(org, in_scope):
    today = services.organization_today(org)
    base = ContractFactory(
        account__organization=org,
        start_date=today - timedelta(days=100),
        end_date=today + timedelta(days=265),
        arr_cents=1_000_000,
    )
    with in_scope(org):
        opportunity = services.expansion_opportunity_create(
            organization=org,
            account=base.account,
            actor=None,
            title="More seats",
            amount_cents=200_000,
        )
        closed = services.expansion_close(
            organization=org,
            opportunity=opportunity,
            outcome=OpportunityStage.WON,
            actor=None,
            terms=services.AddOnTerms(seats=5, plan="Seats pack"),
        )
        account = Account.objects.get(pk=base.account_id)

    add_on = closed.result_contract
    assert (add_on.kind, add_on.start_date, add_on.end_date) == (
        ContractKind.ADD_ON,
        today,
        base.end_date,
    )
    assert (add_on.arr_cents, add_on.seats) == (200_000, 5)
    assert account.arr_cents == 1_200_000


def test_daily_sweep_enqueues_one_task_per_organization(
    org, other_org, in_scope, django_capture_on_commit_callbacks
):
    from renewals.tasks import renewals_daily_sweep_task

    today = services.organization_today(org)
    for organization in (org, other_org):
        ContractFactory(
            account__organization=organization,
            start_date=today - timedelta(days=9),
            end_date=today + timedelta(days=9),
        )

    with django_capture_on_commit_callbacks(execute=True):
        count = renewals_daily_sweep_task()

    assert count >= 2
    with in_scope(org):
        assert Opportunity.objects.filter(organization=org).count() == 1
    with in_scope(other_org):
        assert Opportunity.objects.filter(organization=other_org).count() == 1
