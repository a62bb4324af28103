"""Contracts, ARR and the renewal/expansion pipeline (DESIGN.md, Domain > renewals).

Invariants:
- A contract covers the days [start_date, end_date): `end_date` is exclusive, so a contract
  whose end_date is E is not counted in ARR(E) (snapshots are taken at the start of a day).
- ARR(account, day) = Σ arr_cents of the account's contracts with start_date ≤ day < end_date
  and status ≠ void. Only `void` (entered by mistake) is excluded; `renewed` and `churned`
  contracts still count until their end date.
- Base contracts of one account never overlap (services check it); add-ons may overlap
  anything. A check constraint keeps end_date > start_date and 0 ≤ arr_cents ≤ MAX_ARR_CENTS.
- ArrSpan (derived, read by the single-period retention reports) always equals what
  renewals.services.spans.arr_spans_refresh builds from the contracts: every contract write
  rebuilds its accounts' spans in the same transaction.
- One renewal Opportunity per contract (unique (organization, contract) for kind=renewal),
  so the daily job can INSERT … ON CONFLICT DO NOTHING and a double run opens nothing twice.
- One open expansion Opportunity per (account, trigger, episode_key) for automatic triggers:
  the open episode has episode_key "open"; closing it renames the key so the next episode can
  open (renewals.services.expansion_opportunity_open).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from tenancy.models import Organization, TenantModel

# 10^12 cents (10 billion in the currency) per contract: anything above is a typo.
MAX_ARR_CENTS = 10**12
MAX_SEATS = 10_000_000
DEFAULT_RENEWAL_WINDOW_DAYS = 120
OPEN_EPISODE = "open"


class ContractKind(models.TextChoices):
    BASE = "base", _("Base")
    ADD_ON = "add_on", _("Add-on")


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RENEWED = "renewed", _("Renewed")
    CHURNED = "churned", _("Churned (not renewing)")
    VOID = "void", _("Void (entered by mistake)")


class Contract(TenantModel):
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="contracts"
    )
    kind = models.CharField(
        _("kind"), max_length=8, choices=ContractKind, default=ContractKind.BASE
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(
        _("end date"), help_text=_("Exclusive: the first day the contract no longer covers.")
    )
    arr_cents = models.BigIntegerField(
        _("ARR (cents)"), validators=[MinValueValidator(0), MaxValueValidator(MAX_ARR_CENTS)]
    )
    seats = models.PositiveIntegerField(
        _("seats"), default=0, validators=[MaxValueValidator(MAX_SEATS)]
    )
    plan = models.CharField(_("plan"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=ContractStatus, default=ContractStatus.ACTIVE
    )
    renewed_from = models.ForeignKey(
        "self",
        verbose_name=_("renewed from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
    )
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="contract_unique_org_id"),
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~Q(external_id=""),
                name="contract_unique_external_id",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")), name="contract_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(arr_cents__gte=0) & Q(arr_cents__lte=MAX_ARR_CENTS),
                name="contract_arr_range",
            ),
        ]
        indexes = [
            # Covering on PostgreSQL: the retention series (and the contract-based reference
            # report) read it as an index-only scan in account order.
            models.Index(
                fields=["organization", "account", "start_date"],
                include=["end_date", "arr_cents", "kind", "seats", "status", "plan"],
                name="contract_org_account",
            ),
            models.Index(fields=["organization", "end_date"], name="contract_org_end"),
            models.Index(fields=["organization", "start_date"], name="contract_org_start"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.start_date}-{self.end_date} ({self.get_kind_display()})"

    @property
    def term_days(self) -> int:
        return (self.end_date - self.start_date).days


class OpportunityKind(models.TextChoices):
    RENEWAL = "renewal", _("Renewal")
    EXPANSION = "expansion", _("Expansion")


class OpportunityStage(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    COMMITTED = "committed", _("Committed")
    RENEWED = "renewed", _("Renewed")
    DOWNSELL = "downsell", _("Downsell")
    CHURNED = "churned", _("Churned")
    # expansion-only outcomes
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


# Forecast = Σ amount x probability (percent). Closed stages are 100 (booked) or 0.
STAGE_PROBABILITY = {
    OpportunityStage.NOT_STARTED: 50,
    OpportunityStage.IN_PROGRESS: 70,
    OpportunityStage.COMMITTED: 90,
    OpportunityStage.RENEWED: 100,
    OpportunityStage.DOWNSELL: 100,
    OpportunityStage.CHURNED: 0,
    OpportunityStage.WON: 100,
    OpportunityStage.LOST: 0,
}
EXPANSION_OPEN_PROBABILITY = {
    OpportunityStage.NOT_STARTED: 10,
    OpportunityStage.IN_PROGRESS: 40,
    OpportunityStage.COMMITTED: 80,
}
OPEN_STAGES = (
    OpportunityStage.NOT_STARTED,
    OpportunityStage.IN_PROGRESS,
    OpportunityStage.COMMITTED,
)
RENEWAL_CLOSED_STAGES = (
    OpportunityStage.RENEWED,
    OpportunityStage.DOWNSELL,
    OpportunityStage.CHURNED,
)
EXPANSION_CLOSED_STAGES = (OpportunityStage.WON, OpportunityStage.LOST)


def stage_probability(kind: str, stage: str) -> int:
    if kind == OpportunityKind.EXPANSION and stage in EXPANSION_OPEN_PROBABILITY:
        return EXPANSION_OPEN_PROBABILITY[OpportunityStage(stage)]
    return STAGE_PROBABILITY[OpportunityStage(stage)]


class ExpansionTrigger(models.TextChoices):
    MANUAL = "", _("Manual")
    SEAT_UTILISATION = "seat_utilisation", _("Seat utilization of 90 percent or more for 14 days")
    USAGE_GROWTH = "usage_growth", _("Usage growth ≥ 30% month on month")
    PROMOTER = "promoter", _("Promoter (NPS 9-10)")


class Opportunity(TenantModel):
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="opportunities"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=OpportunityKind)
    stage = models.CharField(
        _("stage"), max_length=12, choices=OpportunityStage, default=OpportunityStage.NOT_STARTED
    )
    # renewal: the expiring contract; expansion: none.
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    amount_cents = models.BigIntegerField(
        _("amount (ARR cents)"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_ARR_CENTS)],
    )
    expected_close_date = models.DateField(_("expected close"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=ExpansionTrigger, blank=True, default=""
    )
    episode_key = models.CharField(max_length=64, blank=True, default="")
    result_contract = models.ForeignKey(
        Contract,
        verbose_name=_("resulting contract"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="opportunity_unique_org_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "contract"],
                condition=Q(kind="renewal"),
                name="opportunity_one_renewal_per_contract",
            ),
            models.UniqueConstraint(
                fields=["organization", "account", "trigger", "episode_key"],
                condition=Q(kind="expansion") & ~Q(trigger=""),
                name="opportunity_one_expansion_per_episode",
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0) & Q(amount_cents__lte=MAX_ARR_CENTS),
                name="opportunity_amount_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "kind", "closed_at", "expected_close_date"],
                name="opportunity_org_pipeline",
            ),
            models.Index(
                fields=["organization", "account", "kind"], name="opportunity_org_account"
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def probability(self) -> int:
        return stage_probability(self.kind, self.stage)


class RenewalSettings(TenantModel):
    """Per-organization renewals settings; one row per organization (created on first read)."""

    renewal_window_days = models.PositiveSmallIntegerField(
        _("renewal window (days)"),
        default=DEFAULT_RENEWAL_WINDOW_DAYS,
        validators=[MinValueValidator(30), MaxValueValidator(180)],
        help_text=_(
            "A renewal opportunity opens when a contract ends within this many days (30-180)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("renewal settings")
        verbose_name_plural = _("renewal settings")
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="renewalsettings_one_per_org"),
            models.CheckConstraint(
                condition=Q(renewal_window_days__gte=30) & Q(renewal_window_days__lte=180),
                name="renewalsettings_window_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.renewal_window_days} days"


class ArrSpan(TenantModel):
    """A maximal interval [valid_from, valid_to) over which an account's ARR, base ARR, base
    seats and base plan do not change — derived from its non-void contracts, never edited.

    Invariants (renewals.services.spans.arr_spans_refresh keeps them; DESIGN.md, "Renewals:
    ARR spans"):
    - A row exists for every day covered by at least one non-void contract of the account,
      and only then: a day without a contract (ARR 0) has no row. At most one row of an
      account contains a given day, so ARR(account, D) is the `arr_cents` of the row with
      valid_from ≤ D < valid_to, or 0.
    - valid_to is exclusive and never NULL (contracts always end); adjacent rows differ in at
      least one value (equal neighbours are merged).
    - Rebuilt for the touched accounts in the same transaction as every contract write; days
      passing change nothing (unlike Account.arr_cents).
    """

    # No single-column organization index: every read and delete filters on a composite one
    # (a lone organization index lured the planner into reading every span of the tenant).
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+"
    )
    valid_from = models.DateField()
    valid_to = models.DateField()
    arr_cents = models.BigIntegerField()
    base_arr_cents = models.BigIntegerField()
    base_seats = models.BigIntegerField()
    base_plan = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("ARR span")
        verbose_name_plural = _("ARR spans")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "account", "valid_from"], name="arrspan_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__gt=models.F("valid_from")), name="arrspan_to_after_from"
            ),
        ]
        indexes = [
            # ARR at a day D is a range read `valid_to > D AND valid_from <= D`: recent days
            # (what reports ask for) read few index entries; covering on PostgreSQL, so the
            # read is an index-only scan.
            models.Index(
                fields=["organization", "valid_to", "valid_from"],
                include=["account", "arr_cents", "base_arr_cents", "base_seats", "base_plan"],
                name="arrspan_org_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.valid_from}-{self.valid_to} ({self.arr_cents})"
