"""Renewal opportunities: opening them as contracts enter the renewal window, moving them
between the open stages, and closing them (renewed, downsell, churned)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Stage
from renewals import signals
from renewals.models import (
    OPEN_STAGES,
    Contract,
    ContractStatus,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
)
from renewals.services._common import (
    _check,
    _send_on_commit,
    _set_and_audit,
)
from renewals.services.contracts import _contract_errors
from renewals.services.revenue import account_revenue_refresh
from renewals.services.settings import renewal_window_days
from renewals.services.spans import arr_spans_refresh
from tenancy.models import Membership, Organization, User
from tenancy.services import audit_record
from tenancy.timezones import organization_today


@transaction.atomic
def renewal_opportunities_open(*, organization: Organization, today: date | None = None) -> int:
    """Open one renewal opportunity per contract whose end date entered the renewal window.

    Candidates are found in one SELECT (active contracts ending within the window, none of
    their renewal opportunities yet) and inserted with one INSERT … ON CONFLICT DO NOTHING
    (bulk_create ignore_conflicts) under the unique (organization, contract) constraint, so
    two runs, or two workers, never open an opportunity twice. Returns how many were opened.
    Also refreshes the organization's denormalised ARR columns (days move contracts in and
    out of force)."""
    today = today or organization_today(organization)
    window = renewal_window_days(organization=organization)
    candidates = list(
        Contract.objects.filter(
            organization=organization,
            status=ContractStatus.ACTIVE,
            end_date__gt=today,
            end_date__lte=today + timedelta(days=window),
        )
        .exclude(opportunities__kind=OpportunityKind.RENEWAL)
        .values_list("id", "account_id", "arr_cents", "end_date", "kind")
    )
    rows = [
        Opportunity(
            organization=organization,
            account_id=account_id,
            kind=OpportunityKind.RENEWAL,
            stage=OpportunityStage.NOT_STARTED,
            contract_id=contract_id,
            amount_cents=arr_cents,
            expected_close_date=end_date,
        )
        for contract_id, account_id, arr_cents, end_date, _kind in candidates
    ]
    before = Opportunity.objects.filter(
        organization=organization, kind=OpportunityKind.RENEWAL
    ).count()
    Opportunity.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    opened = (
        Opportunity.objects.filter(organization=organization, kind=OpportunityKind.RENEWAL).count()
        - before
    )
    if opened:
        # The candidates had no renewal opportunity when read: those there now are new (a
        # concurrent run may announce the same ids too: receivers are idempotent per cause).
        new_ids = list(
            Opportunity.objects.filter(
                organization=organization,
                kind=OpportunityKind.RENEWAL,
                contract_id__in=[row[0] for row in candidates],
            ).values_list("id", flat=True)
        )
        _send_on_commit(signals.renewal_window_entered, organization, opportunity_ids=new_ids)
    account_revenue_refresh(organization=organization, today=today)
    return opened


def _check_open(opportunity: Opportunity) -> None:
    if opportunity.closed_at is not None:
        raise ValidationError({"stage": [_("This opportunity is already closed.")]})


@transaction.atomic
def opportunity_stage_set(
    *, organization: Organization, opportunity: Opportunity, stage: str, actor: User | None
) -> Opportunity:
    """Move an open opportunity between the open stages (closing has its own services)."""
    _check(organization, opportunity)
    _check_open(opportunity)
    if stage not in OPEN_STAGES:
        raise ValidationError({"stage": [_("Choose an open stage; close it with the outcome.")]})
    _set_and_audit(
        organization=organization,
        actor=actor,
        obj=opportunity,
        field="stage",
        value=stage,
        action="opportunity.stage_changed",
        update_fields=["stage", "updated_at"],
    )
    _opportunity_announce(organization, opportunity)
    return opportunity


def _opportunity_announce(organization: Organization, opportunity: Opportunity) -> None:
    _send_on_commit(
        signals.opportunity_changed,
        organization,
        opportunity_id=opportunity.pk,
        account_id=opportunity.account_id,
        kind=opportunity.kind,
        stage=opportunity.stage,
    )


@dataclass(frozen=True)
class RenewalTerms:
    end_date: date | None = None
    arr_cents: int | None = None
    seats: int | None = None
    plan: str | None = None


def account_mark_churned(
    *, organization: Organization, account: Account, actor: User | None, reason: str
) -> Account:
    """Record the churn (churned_at), audit it and announce `account_churned` after commit.

    The stage itself is the lifecycle engine's: its receiver moves the account to churned
    and records the StageTransition (renewals never writes Account.stage)."""
    _check(organization, account)
    before = account.stage
    now = timezone.now()
    Account.objects.filter(organization=organization, pk=account.pk).update(
        churned_at=now, updated_at=now
    )
    account.churned_at = now
    membership_id = (
        Membership.objects.filter(organization=organization, user=actor)
        .values_list("id", flat=True)
        .first()
        if actor is not None and actor.is_authenticated
        else None
    )
    _send_on_commit(
        signals.account_churned,
        organization,
        account_id=account.pk,
        reason=reason,
        membership_id=membership_id,
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="account.churned",
        target=account,
        before={"stage": before},
        after={"stage": Stage.CHURNED, "reason": reason},
    )
    return account


@transaction.atomic
def renewal_close(
    *,
    organization: Organization,
    opportunity: Opportunity,
    outcome: str,
    actor: User | None,
    terms: RenewalTerms | None = None,
) -> Opportunity:
    """Close a renewal: `renewed` or `downsell` create the successor contract (starting on the
    old end date; by default the same term, ARR, seats and plan; a downsell must lower the
    ARR); `churned` creates none: the contract ends on its end date (ARR drops to zero then
    unless another contract covers the account) and the account moves to stage churned."""
    _check(organization, opportunity)
    terms = terms or RenewalTerms()
    opportunity = Opportunity.objects.select_for_update().get(
        organization=organization, pk=opportunity.pk
    )
    _check_open(opportunity)
    if opportunity.kind != OpportunityKind.RENEWAL or opportunity.contract_id is None:
        raise ValidationError({"stage": [_("Only renewal opportunities close this way.")]})
    if outcome not in (
        OpportunityStage.RENEWED,
        OpportunityStage.DOWNSELL,
        OpportunityStage.CHURNED,
    ):
        raise ValidationError({"outcome": [_("Choose renewed, downsell or churned.")]})
    contract = Contract.objects.select_related("account").get(
        organization=organization, pk=opportunity.contract_id
    )
    now = timezone.now()
    successor = None
    if outcome == OpportunityStage.CHURNED:
        contract.status = ContractStatus.CHURNED
        contract.save(update_fields=["status", "updated_at"])
        opportunity.amount_cents = 0
        account_mark_churned(
            organization=organization,
            account=contract.account,
            actor=actor,
            reason=_("Renewal closed as churned"),
        )
    else:
        arr = contract.arr_cents if terms.arr_cents is None else terms.arr_cents
        if outcome == OpportunityStage.DOWNSELL and arr >= contract.arr_cents:
            raise ValidationError(
                {"arr_cents": [_("A downsell renews at a lower ARR than the current contract.")]}
            )
        end = terms.end_date or contract.end_date + (contract.end_date - contract.start_date)
        successor = Contract(
            organization=organization,
            account=contract.account,
            kind=contract.kind,
            start_date=contract.end_date,
            end_date=end,
            arr_cents=arr,
            seats=contract.seats if terms.seats is None else terms.seats,
            plan=contract.plan if terms.plan is None else terms.plan,
            renewed_from=contract,
        )
        errors = _contract_errors(organization, successor)
        if errors:
            raise ValidationError(errors)
        successor.save()
        contract.status = ContractStatus.RENEWED
        contract.save(update_fields=["status", "updated_at"])
        opportunity.amount_cents = arr
        opportunity.result_contract = successor
        account_revenue_refresh(organization=organization, account_ids=[contract.account_id])
        arr_spans_refresh(organization=organization, account_ids=[contract.account_id])
    before = opportunity.stage
    opportunity.stage = outcome
    opportunity.closed_at = now
    opportunity.save()
    audit_record(
        organization=organization,
        actor=actor,
        action="opportunity.closed",
        target=opportunity,
        before={"stage": before},
        after={
            "stage": outcome,
            "successor_contract": successor.pk if successor else None,
            "arr_cents": opportunity.amount_cents,
        },
    )
    if successor is not None:
        _send_on_commit(signals.contracts_changed, organization, account_ids=[contract.account_id])
    _opportunity_announce(organization, opportunity)
    return opportunity
