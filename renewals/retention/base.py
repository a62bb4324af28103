"""Retention constants, filters and figures, and month arithmetic (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from renewals.models import ArrSpan, Contract

CONTRACTS = Contract._meta.db_table
SPANS = ArrSpan._meta.db_table
ACCOUNTS = Account._meta.db_table
MAX_PERIOD_DAYS = 3660  # "spanning more than 10 years" is refused
MAX_SERIES_POINTS = 120
BASIS_PERIOD = "period"
BASIS_TRAILING12 = "trailing12"
BASES = (BASIS_PERIOD, BASIS_TRAILING12)
INTERVAL_MONTH = "month"
INTERVAL_QUARTER = "quarter"
INTERVALS = (INTERVAL_MONTH, INTERVAL_QUARTER)

CATEGORY_EXPANSION = "expansion"
CATEGORY_CONTRACTION = "contraction"
CATEGORY_CHURN = "churn"
CATEGORY_RETAINED = "retained"
CATEGORY_NEW = "new"
CATEGORY_REACTIVATION = "reactivation"
CATEGORY_LABELS = {
    CATEGORY_EXPANSION: _("Expansion"),
    CATEGORY_CONTRACTION: _("Contraction"),
    CATEGORY_CHURN: _("Churn"),
    CATEGORY_RETAINED: _("Retained (unchanged)"),
    CATEGORY_NEW: _("New (excluded)"),
    CATEGORY_REACTIVATION: _("Reactivation"),
}
PERIOD_CATEGORIES = (
    CATEGORY_CHURN,
    CATEGORY_CONTRACTION,
    CATEGORY_EXPANSION,
    CATEGORY_RETAINED,
    CATEGORY_NEW,
)


# ---------------------------------------------------------------------------------------------
# Filters and results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetentionFilters:
    segment: str = ""
    owner_id: int | None = None


@dataclass(frozen=True)
class RetentionFigures:
    start: date
    end: date
    accounts: int
    starting_arr_cents: int
    ending_arr_cents: int
    retained_arr_cents: int  # Σ min(ARR_E, ARR_S): the GRR numerator
    expansion_arr_cents: int
    contraction_arr_cents: int
    churned_arr_cents: int
    churned_accounts: int
    new_accounts: int
    new_arr_cents: int
    expansion_seats_cents: int = 0
    expansion_price_cents: int = 0
    expansion_new_plan_or_add_on_cents: int = 0
    basis: str = BASIS_PERIOD
    label: str = ""
    causes_known: bool = True  # series points and causes=False reports do not split expansion

    @property
    def grr(self) -> float | None:
        return _ratio(self.retained_arr_cents, self.starting_arr_cents)

    @property
    def nrr(self) -> float | None:
        return _ratio(self.ending_arr_cents, self.starting_arr_cents)

    @property
    def logo_churn(self) -> float | None:
        return _ratio(self.churned_accounts, self.accounts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "basis": self.basis,
            "grr": self.grr,
            "nrr": self.nrr,
            "logo_churn": self.logo_churn,
            "accounts": self.accounts,
            "churned_accounts": self.churned_accounts,
            "starting_arr_cents": self.starting_arr_cents,
            "ending_arr_cents": self.ending_arr_cents,
            "retained_arr_cents": self.retained_arr_cents,
            "expansion_arr_cents": self.expansion_arr_cents,
            "contraction_arr_cents": self.contraction_arr_cents,
            "churned_arr_cents": self.churned_arr_cents,
            "expansion_by_cause_cents": {
                "seats": self.expansion_seats_cents,
                "price": self.expansion_price_cents,
                "new_plan_or_add_on": self.expansion_new_plan_or_add_on_cents,
            }
            if self.causes_known
            else None,
            "new_accounts": self.new_accounts,
            "new_arr_cents": self.new_arr_cents,
        }


def _ratio(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return round(numerator / denominator, 4)


def _int(value: Any) -> int:
    return int(value or 0)


# ---------------------------------------------------------------------------------------------
# Month arithmetic
# ---------------------------------------------------------------------------------------------
def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))
