"""Demo contracts: three years of realistic history for the demo organization's accounts.

Contract:
- Each account's history is drawn from its own `random.Random(slug + external_id)`, so a
  rerun gives the same contracts; accounts that already have a contract are skipped, so the
  seed is idempotent and completes a partially seeded organization.
- Consistent with the account: the first contract starts a month before go-live (or when an
  account without a go-live date signed); annual terms follow one another (renewed_from);
  churned accounts' last contract ends on or before their churn date (status churned);
  accounts in stage renewal have a contract ending within the renewal window.
- Movements a report should show: seat increases and decreases at renewal, price uplifts,
  plan upgrades, mid-term add-ons, churn, and a few reactivations (a gap of some months
  between two contracts).
- Written with bulk_create (two passes: contracts, then their renewed_from links), then the
  organization's ARR spans are rebuilt (one statement), the denormalised ARR columns are
  refreshed and the renewal opportunities of contracts inside
  the window are opened by the same service as the daily job.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from accounts.models import Account, Segment, Stage
from renewals.models import Contract, ContractKind, ContractStatus, Opportunity, OpportunityKind
from renewals.services import arr_spans_refresh, renewal_opportunities_open
from tenancy.models import Organization
from tenancy.timezones import organization_today

# (ARR range in currency units, price per seat per year, plan names low → high)
SEGMENT_TERMS = {
    Segment.SMB: ((6_000, 24_000), 600, ("Starter", "Growth")),
    Segment.MID_MARKET: ((24_000, 90_000), 900, ("Growth", "Business")),
    Segment.ENTERPRISE: ((90_000, 300_000), 1_200, ("Business", "Enterprise")),
    Segment.STRATEGIC: ((300_000, 900_000), 1_500, ("Enterprise", "Enterprise Plus")),
}
BATCH = 2000


@dataclass
class _Term:
    start: date
    end: date
    arr: int  # cents
    seats: int
    plan: str
    kind: str = ContractKind.BASE
    status: str = ContractStatus.ACTIVE
    renews_previous: bool = False


def _add_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _history(account: Account, rng: random.Random, today: date) -> list[_Term]:
    segment = Segment(account.segment) if account.segment else Segment.SMB
    (low, high), seat_price, plans = SEGMENT_TERMS[segment]
    if account.go_live_date is not None:
        start = account.go_live_date - timedelta(days=30)
    else:
        start = account.stage_entered_at.date() - timedelta(days=rng.randrange(5, 40))
    seats = max(1, round(rng.uniform(low, high) / seat_price))
    price = seat_price * 100 * rng.uniform(0.85, 1.15)  # cents per seat
    plan = plans[0] if rng.random() < 0.7 else plans[1]
    churn_on = account.churned_at.date() if account.churned_at else None
    terms: list[_Term] = []
    reactivated = False
    while True:
        end = _add_year(start)
        arr = round(seats * price / 100) * 100
        term = _Term(start, end, arr, seats, plan, renews_previous=bool(terms))
        if churn_on is not None and end > churn_on:
            if not terms or churn_on - start > timedelta(days=60):
                term.end = max(churn_on, start + timedelta(days=30))
                terms.append(term)
            terms[-1].status = ContractStatus.CHURNED
            break
        terms.append(term)
        # A mid-term add-on (extra module), co-terminating with the base term.
        if rng.random() < 0.15 and start + timedelta(days=120) < min(end, today):
            add_on_start = min(start + timedelta(days=rng.randrange(60, 240)), today)
            if add_on_start < end - timedelta(days=30):
                terms.append(
                    _Term(
                        add_on_start,
                        end,
                        round(arr * rng.uniform(0.1, 0.25) / 100) * 100,
                        0,
                        rng.choice(("Analytics add-on", "WhatsApp add-on", "SSO add-on")),
                        kind=ContractKind.ADD_ON,
                    )
                )
        if end > today:
            break
        # At renewal: expansion (seats, price, new plan), contraction, or the same terms.
        draw = rng.random()
        if draw < 0.22:
            seats = round(seats * rng.uniform(1.1, 1.4)) + 1
        elif draw < 0.32:
            price *= rng.uniform(1.05, 1.10)
        elif draw < 0.40 and plan != plans[1]:
            plan = plans[1]
            price *= rng.uniform(1.3, 1.6)
        elif draw < 0.52:
            seats = max(1, round(seats * rng.uniform(0.7, 0.9)))
        start = end
        # A few accounts lapse for some months and come back (reactivation).
        if (
            not reactivated
            and churn_on is None
            and account.stage in (Stage.RETENTION, Stage.ADVOCACY)
            and rng.random() < 0.06
            and end + timedelta(days=150) < today
        ):
            reactivated = True
            start = end + timedelta(days=rng.randrange(60, 120))
            terms.append(_Term(start, start, 0, 0, "", status="gap"))
    # Accounts in stage renewal: the current base term ends inside the renewal window.
    if account.stage == Stage.RENEWAL and churn_on is None:
        current = next(
            (t for t in reversed(terms) if t.kind == ContractKind.BASE and t.status != "gap"), None
        )
        if current is not None and current.start < today:
            current.end = max(
                today + timedelta(days=rng.randrange(15, 110)), current.start + timedelta(days=31)
            )
            for term in terms:
                if term.kind == ContractKind.ADD_ON and term.end > current.end:
                    term.end = current.end
    return [t for t in terms if t.status != "gap" and t.end > t.start]


@transaction.atomic
def demo_contracts_seed(*, organization: Organization) -> int:
    """Seed contracts for the organization's accounts that have none; returns how many."""
    today = organization_today(organization)
    with_contracts = set(
        Contract.objects.filter(organization=organization).values_list("account_id", flat=True)
    )
    accounts = (
        Account.objects.filter(organization=organization)
        .exclude(pk__in=with_contracts)
        .only(
            "id",
            "external_id",
            "segment",
            "go_live_date",
            "stage",
            "stage_entered_at",
            "churned_at",
        )
        .order_by("id")
    )
    created = 0
    pending: list[tuple[Contract, bool]] = []

    def flush() -> None:
        nonlocal created
        if not pending:
            return
        Contract.objects.bulk_create([c for c, _r in pending], batch_size=1000)
        links = []
        previous_base: dict[int, Contract] = {}
        for contract, renews in pending:
            if contract.kind != ContractKind.BASE:
                continue
            if renews and contract.account_id in previous_base:
                contract.renewed_from = previous_base[contract.account_id]
                links.append(contract)
            previous_base[contract.account_id] = contract
        Contract.objects.bulk_update(links, ["renewed_from"], batch_size=1000)
        created += len(pending)
        pending.clear()

    for account in accounts.iterator(chunk_size=BATCH):
        rng = random.Random(f"{organization.slug}:{account.external_id or account.pk}")  # noqa: S311
        terms = _history(account, rng, today)
        bases = [t for t in terms if t.kind == ContractKind.BASE]
        for term in terms:
            status = term.status
            if term.kind == ContractKind.BASE and status == ContractStatus.ACTIVE:
                if any(b.start == term.end for b in bases):
                    status = ContractStatus.RENEWED
                elif term.end <= today:
                    status = ContractStatus.CHURNED  # lapsed (the account came back later)
            pending.append(
                (
                    Contract(
                        organization=organization,
                        account_id=account.pk,
                        kind=term.kind,
                        start_date=term.start,
                        end_date=term.end,
                        arr_cents=term.arr,
                        seats=term.seats,
                        plan=term.plan,
                        status=status,
                    ),
                    term.renews_previous and any(b.end == term.start for b in bases),
                )
            )
        if len(pending) >= BATCH:
            flush()
    flush()
    if created:
        arr_spans_refresh(organization=organization)  # one statement for the organization
        renewal_opportunities_open(organization=organization, today=today)
        _demo_expansions(organization=organization)
    return created


def _demo_expansions(*, organization: Organization) -> None:
    """One manual expansion opportunity for accounts in stage expansion that have none."""
    today = organization_today(organization)
    having = Opportunity.objects.filter(
        organization=organization, kind=OpportunityKind.EXPANSION
    ).values("account_id")
    accounts = (
        Account.objects.filter(organization=organization, stage=Stage.EXPANSION, arr_cents__gt=0)
        .exclude(pk__in=having)
        .only("id", "arr_cents", "stage_entered_at")
        .order_by("id")
    )
    rows = []
    for account in accounts.iterator(chunk_size=BATCH):
        rng = random.Random(f"{organization.slug}:expansion:{account.pk}")  # noqa: S311
        rows.append(
            Opportunity(
                organization=organization,
                account=account,
                kind=OpportunityKind.EXPANSION,
                stage=rng.choice(("not_started", "in_progress", "committed")),
                title=rng.choice(("More seats", "Analytics add-on", "Upgrade to the next plan")),
                amount_cents=round(account.arr_cents * rng.uniform(0.1, 0.4) / 100) * 100,
                expected_close_date=today + timedelta(days=rng.randrange(14, 120)),
            )
        )
    Opportunity.objects.bulk_create(rows, batch_size=1000)
