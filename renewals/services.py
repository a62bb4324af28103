"""Writes of the renewals app: contracts, the denormalised ARR columns, opportunities.

Every function is keyword-only, takes the organization explicitly, checks that the objects it
is handed belong to it, runs in one transaction and records an AuditEvent for each change.
Validation problems raise django ValidationError with a dict of field → messages, which the
API answers as 400 with field detail and the pages show as form errors.

Account.arr_cents (ARR today) and Account.renewal_date (end of today's base contract) are
refreshed set-based (one UPDATE with correlated subqueries) for the accounts a change
touched, and for the whole organization by the daily job, because days pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Stage
from renewals.models import (
    EXPANSION_CLOSED_STAGES,
    MAX_ARR_CENTS,
    MAX_SEATS,
    OPEN_EPISODE,
    OPEN_STAGES,
    Contract,
    ContractKind,
    ContractStatus,
    ExpansionTrigger,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    RenewalSettings,
)
from tenancy.models import ApiKey, Organization, User
from tenancy.services import audit_record

CONTRACT_FIELDS = {
    "account",
    "kind",
    "start_date",
    "end_date",
    "arr_cents",
    "seats",
    "plan",
    "status",
    "renewed_from",
    "external_id",
}


def organization_today(organization: Organization) -> date:
    return timezone.localdate(timezone.now(), timezone=ZoneInfo(organization.time_zone))


def _check(organization: Organization, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != organization.id:
            raise PermissionDenied("Object belongs to another organization.")


# ---------------------------------------------------------------------------------------------
# Denormalised ARR on Account
# ---------------------------------------------------------------------------------------------
def account_revenue_refresh(
    *, organization: Organization, account_ids: list[int] | None = None, today: date | None = None
) -> int:
    """Set Account.arr_cents = ARR(today) and renewal_date = end of today's base contract, in one
    UPDATE for `account_ids` (or every account of the organization). Returns rows updated."""
    today = today or organization_today(organization)
    active = Contract.objects.filter(
        organization=organization,
        account=OuterRef("pk"),
        start_date__lte=today,
        end_date__gt=today,
    ).exclude(status=ContractStatus.VOID)
    arr = active.order_by().values("account").annotate(total=Sum("arr_cents")).values("total")[:1]
    renewal = active.filter(kind=ContractKind.BASE).order_by("-end_date").values("end_date")[:1]
    accounts = Account.objects.filter(organization=organization)
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    return accounts.update(
        arr_cents=Coalesce(Subquery(arr), Value(0)),
        renewal_date=Subquery(renewal),
    )


# ---------------------------------------------------------------------------------------------
# Contracts
# ---------------------------------------------------------------------------------------------
def _contract_errors(organization: Organization, contract: Contract) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if contract.start_date and contract.end_date and contract.end_date <= contract.start_date:
        errors.setdefault("end_date", []).append(
            _("The end date must be after the start date (the end date is exclusive).")
        )
    if contract.arr_cents is None or contract.arr_cents < 0:
        errors.setdefault("arr_cents", []).append(_("ARR cannot be negative."))
    elif contract.arr_cents > MAX_ARR_CENTS:
        errors.setdefault("arr_cents", []).append(
            _("ARR above %(max)s cents is not plausible; check the value.") % {"max": MAX_ARR_CENTS}
        )
    if contract.seats is None or contract.seats < 0 or contract.seats > MAX_SEATS:
        errors.setdefault("seats", []).append(
            _("Seats must be between 0 and %(max)s.") % {"max": MAX_SEATS}
        )
    if (
        contract.start_date
        and contract.end_date
        and (contract.end_date - contract.start_date) > timedelta(days=3660)
    ):
        errors.setdefault("end_date", []).append(_("A contract cannot last more than 10 years."))
    if (
        contract.renewed_from is not None
        and contract.renewed_from.account_id != contract.account_id
    ):
        errors.setdefault("renewed_from", []).append(
            _("A contract can only renew a contract of the same account.")
        )
    if not errors and contract.kind == ContractKind.BASE and contract.status != ContractStatus.VOID:
        overlapping = (
            Contract.objects.filter(
                organization=organization,
                account_id=contract.account_id,
                kind=ContractKind.BASE,
                start_date__lt=contract.end_date,
                end_date__gt=contract.start_date,
            )
            .exclude(status=ContractStatus.VOID)
            .exclude(pk=contract.pk)
            .order_by("start_date")
            .first()
        )
        if overlapping is not None:
            errors.setdefault("start_date", []).append(
                _(
                    "This base contract overlaps the base contract from %(start)s to %(end)s. "
                    "Only add-ons may overlap: choose the kind “Add-on”, or change the dates."
                )
                % {"start": overlapping.start_date, "end": overlapping.end_date}
            )
    return errors


def _contract_snapshot(contract: Contract) -> dict[str, Any]:
    return {
        "kind": contract.kind,
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(),
        "arr_cents": contract.arr_cents,
        "seats": contract.seats,
        "plan": contract.plan,
        "status": contract.status,
    }


@transaction.atomic
def contract_create(
    *,
    organization: Organization,
    actor: User | None,
    api_key: ApiKey | None = None,
    **fields: Any,
) -> Contract:
    unknown = set(fields) - CONTRACT_FIELDS
    if unknown:
        raise ValueError(f"Unknown contract fields: {sorted(unknown)}")
    _check(organization, fields.get("account"), fields.get("renewed_from"))
    contract = Contract(organization=organization, **fields)
    errors = _contract_errors(organization, contract)
    if errors:
        raise ValidationError(errors)
    contract.save()
    account_revenue_refresh(organization=organization, account_ids=[contract.account_id])
    audit_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        action="contract.created",
        target=contract,
        after=_contract_snapshot(contract),
    )
    return contract


@transaction.atomic
def contract_update(
    *,
    organization: Organization,
    contract: Contract,
    actor: User | None,
    api_key: ApiKey | None = None,
    **fields: Any,
) -> Contract:
    _check(organization, contract, fields.get("account"), fields.get("renewed_from"))
    unknown = set(fields) - CONTRACT_FIELDS
    if unknown:
        raise ValueError(f"Unknown contract fields: {sorted(unknown)}")
    before = _contract_snapshot(contract)
    previous_account = contract.account_id
    for name, value in fields.items():
        setattr(contract, name, value)
    errors = _contract_errors(organization, contract)
    if errors:
        raise ValidationError(errors)
    contract.save()
    account_revenue_refresh(
        organization=organization, account_ids=list({previous_account, contract.account_id})
    )
    after = _contract_snapshot(contract)
    if after != before:
        audit_record(
            organization=organization,
            actor=actor,
            api_key=api_key,
            action="contract.updated",
            target=contract,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return contract


# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def renewal_settings_update(
    *, organization: Organization, actor: User | None, renewal_window_days: int
) -> RenewalSettings:
    if not 30 <= renewal_window_days <= 180:
        raise ValidationError(
            {"renewal_window_days": [_("The renewal window must be between 30 and 180 days.")]}
        )
    settings_row, _created = RenewalSettings.objects.get_or_create(organization=organization)
    before = settings_row.renewal_window_days
    settings_row.renewal_window_days = renewal_window_days
    settings_row.save()
    if before != renewal_window_days:
        audit_record(
            organization=organization,
            actor=actor,
            action="renewals.settings_updated",
            target=settings_row,
            before={"renewal_window_days": before},
            after={"renewal_window_days": renewal_window_days},
        )
    return settings_row


def renewal_window_days(*, organization: Organization) -> int:
    row = RenewalSettings.objects.filter(organization=organization).first()
    return row.renewal_window_days if row else RenewalSettings().renewal_window_days


# ---------------------------------------------------------------------------------------------
# Renewal opportunities
# ---------------------------------------------------------------------------------------------
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
    before = opportunity.stage
    opportunity.stage = stage
    opportunity.save(update_fields=["stage", "updated_at"])
    if before != stage:
        audit_record(
            organization=organization,
            actor=actor,
            action="opportunity.stage_changed",
            target=opportunity,
            before={"stage": before},
            after={"stage": stage},
        )
    return opportunity


@dataclass(frozen=True)
class RenewalTerms:
    end_date: date | None = None
    arr_cents: int | None = None
    seats: int | None = None
    plan: str | None = None


def _start_of_day(organization: Organization, day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(organization.time_zone))


@transaction.atomic
def account_mark_churned(
    *, organization: Organization, account: Account, actor: User | None, reason: str
) -> Account:
    """Set the account's stage to churned with churned_at, and audit it.

    The lifecycle engine (not built yet) will own stage changes and record a StageTransition;
    until then renewals writes Account.stage directly here, and only here."""
    _check(organization, account)
    before = account.stage
    now = timezone.now()
    Account.objects.filter(organization=organization, pk=account.pk).update(
        stage=Stage.CHURNED, stage_entered_at=now, churned_at=now, updated_at=now
    )
    account.stage, account.stage_entered_at, account.churned_at = Stage.CHURNED, now, now
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
    return opportunity


# ---------------------------------------------------------------------------------------------
# Expansion opportunities
# ---------------------------------------------------------------------------------------------
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
    return opportunity
