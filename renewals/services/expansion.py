"""Expansion opportunities: manual ones, trigger episodes (idempotent), and closing them (won
creates an add-on contract, lost creates nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from renewals import signals
from renewals.models import (
    EXPANSION_CLOSED_STAGES,
    MAX_ARR_CENTS,
    OPEN_EPISODE,
    Contract,
    ContractKind,
    ContractStatus,
    ExpansionTrigger,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
)
from renewals.services._common import _check, _send_on_commit
from renewals.services.contracts import _contract_errors
from renewals.services.opportunities import _check_open, _opportunity_announce
from renewals.services.revenue import account_revenue_refresh
from renewals.services.spans import arr_spans_refresh
from tenancy.models import Organization, User
from tenancy.services import audit_record
from tenancy.timezones import organization_today


@transaction.atomic
def expansion_opportunity_create(
    *,
    organization: Organization,
    account: Account,
    actor: User | None,
    title: str,
    amount_cents: int,
    expected_close_date: date | None = None,
) -> Opportunity:
    """A manual expansion opportunity (no trigger: never deduplicated)."""
    _check(organization, account)
    if not 0 <= amount_cents <= MAX_ARR_CENTS:
        raise ValidationError({"amount_cents": [_("The amount must be between 0 and 10^12.")]})
    opportunity = Opportunity.objects.create(
        organization=organization,
        account=account,
        kind=OpportunityKind.EXPANSION,
        title=title,
        amount_cents=amount_cents,
        expected_close_date=expected_close_date,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="opportunity.created",
        target=opportunity,
        after={"kind": opportunity.kind, "amount_cents": amount_cents},
    )
    _opportunity_announce(organization, opportunity)
    return opportunity


@transaction.atomic
def expansion_opportunity_open(
    *,
    organization: Organization,
    account: Account,
    trigger: str,
    actor: User | None = None,
    episode_key: str | None = None,
    amount_cents: int = 0,
) -> Opportunity:
    """Open the expansion opportunity of a trigger episode, or return the one already open.

    For the trigger evaluator (built above healthscore): idempotent per (account, trigger,
    episode). Without `episode_key` the episode is "the one currently open": at most one open
    opportunity per (account, trigger); closing it frees the trigger for a new episode. With
    an `episode_key` (e.g. "2026-W47") each key opens at most one opportunity, ever. Backed
    by the unique (organization, account, trigger, episode_key) constraint and an INSERT …
    ON CONFLICT DO NOTHING, so concurrent calls open one row."""
    _check(organization, account)
    if trigger not in ExpansionTrigger.values or not trigger:
        raise ValueError(f"Unknown expansion trigger {trigger!r}")
    key = episode_key or OPEN_EPISODE
    episode = Opportunity.objects.filter(
        organization=organization,
        account=account,
        kind=OpportunityKind.EXPANSION,
        trigger=trigger,
        episode_key=key,
    )
    existing = episode.first()
    if existing is not None:
        return existing
    Opportunity.objects.bulk_create(
        [
            Opportunity(
                organization=organization,
                account=account,
                kind=OpportunityKind.EXPANSION,
                trigger=trigger,
                episode_key=key,
                amount_cents=amount_cents,
                title=str(ExpansionTrigger(trigger).label),
            )
        ],
        ignore_conflicts=True,
    )
    opportunity = episode.get()
    audit_record(
        organization=organization,
        actor=actor,
        action="opportunity.created",
        target=opportunity,
        after={"kind": opportunity.kind, "trigger": trigger, "episode_key": key},
    )
    _opportunity_announce(organization, opportunity)
    return opportunity


@dataclass(frozen=True)
class AddOnTerms:
    start_date: date | None = None
    end_date: date | None = None
    arr_cents: int | None = None
    seats: int = 0
    plan: str = ""


@transaction.atomic
def expansion_close(
    *,
    organization: Organization,
    opportunity: Opportunity,
    outcome: str,
    actor: User | None,
    terms: AddOnTerms | None = None,
) -> Opportunity:
    """Close an expansion: `won` creates an add-on contract (from today, or the given start,
    co-terminating with the account's current base contract when there is one, else one year;
    ARR = the opportunity's amount unless given); `lost` creates nothing. The base contract is
    never amended: history stays reconcilable (DESIGN.md)."""
    _check(organization, opportunity)
    terms = terms or AddOnTerms()
    opportunity = Opportunity.objects.select_for_update().get(
        organization=organization, pk=opportunity.pk
    )
    _check_open(opportunity)
    if opportunity.kind != OpportunityKind.EXPANSION:
        raise ValidationError({"stage": [_("Only expansion opportunities close this way.")]})
    if outcome not in EXPANSION_CLOSED_STAGES:
        raise ValidationError({"outcome": [_("Choose won or lost.")]})
    add_on = None
    if outcome == OpportunityStage.WON:
        start = terms.start_date or organization_today(organization)
        end = terms.end_date
        if end is None:
            base = (
                Contract.objects.filter(
                    organization=organization,
                    account_id=opportunity.account_id,
                    kind=ContractKind.BASE,
                    start_date__lte=start,
                    end_date__gt=start,
                )
                .exclude(status=ContractStatus.VOID)
                .order_by("-end_date")
                .first()
            )
            end = base.end_date if base is not None else start + timedelta(days=365)
        add_on = Contract(
            organization=organization,
            account_id=opportunity.account_id,
            kind=ContractKind.ADD_ON,
            start_date=start,
            end_date=end,
            arr_cents=opportunity.amount_cents if terms.arr_cents is None else terms.arr_cents,
            seats=terms.seats,
            plan=terms.plan,
        )
        errors = _contract_errors(organization, add_on)
        if errors:
            raise ValidationError(errors)
        add_on.save()
        opportunity.result_contract = add_on
        opportunity.amount_cents = add_on.arr_cents
        account_revenue_refresh(organization=organization, account_ids=[opportunity.account_id])
        arr_spans_refresh(organization=organization, account_ids=[opportunity.account_id])
    before = opportunity.stage
    opportunity.stage = outcome
    opportunity.closed_at = timezone.now()
    if opportunity.trigger and opportunity.episode_key == OPEN_EPISODE:
        opportunity.episode_key = f"closed-{opportunity.pk}"  # frees the trigger's next episode
    opportunity.save()
    audit_record(
        organization=organization,
        actor=actor,
        action="opportunity.closed",
        target=opportunity,
        before={"stage": before},
        after={"stage": outcome, "add_on_contract": add_on.pk if add_on else None},
    )
    if add_on is not None:
        _send_on_commit(
            signals.contracts_changed, organization, account_ids=[opportunity.account_id]
        )
    _opportunity_announce(organization, opportunity)
    return opportunity
