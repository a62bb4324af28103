"""Retention reports: ARR snapshots, GRR/NRR, movements, series and the cohort grid.

Definitions (DESIGN.md, renewals; repeated on the report page — not negotiable):
- ARR(account, D) = Σ arr_cents of its non-void contracts with start_date ≤ D < end_date
  (a snapshot at the start of day D: a contract ending on D is not counted at D).
- Period [S, E): cohort = accounts with ARR_S = ARR(account, S) > 0; ARR_E = ARR(account, E).
  GRR = Σ min(ARR_E, ARR_S) / Σ ARR_S; NRR = Σ ARR_E / Σ ARR_S; logo churn = cohort
  accounts with ARR_E = 0 / cohort size. Accounts with ARR_S = 0 are *new* (or reactivated)
  and excluded from every ratio. Per cohort account: churn = ARR_S when ARR_E = 0,
  contraction = ARR_S - ARR_E when 0 < ARR_E < ARR_S, expansion = ARR_E - ARR_S when
  ARR_E > ARR_S; so ending ARR = starting + expansion - contraction - churn.
- Expansion by cause, per expanding cohort account, from its contracts at S and at E
  (base = kind base, add-on = kind add_on; at most one base contract is active on a day):
  new plan/add-on = Δ add-on ARR + (Δ base ARR when the base plan changed);
  seats = Δ base seats x (base ARR_S ÷ base seats_S) when the plan did not change;
  price = the rest of Δ base ARR. The three parts add up to the account's expansion; a part
  may be negative (seats added at a discount: seats > 0, price < 0).

Everything is computed in SQL, set-based: one statement per report, breakdown or series
(never a loop over accounts in Python). Single periods (report, breakdown, drill-down, ARR at
a date) read the ARR spans (renewals.ArrSpan, maintained on every contract write by
renewals.services.spans): ARR_S and ARR_E are two index range reads joined on the account;
`retention_report_from_contracts` computes the same report from the contracts (the
reference for tests and the benchmark). Series use ARR *changes*: each contract is +arr on
its start_date and -arr on its end_date, bucketed into periods, summed per account and
bucket and accumulated with a window function, so a 36-month series is one pass over the
contracts instead of one ARR snapshot per month. The SQL is the same on PostgreSQL and
SQLite except for the month arithmetic (`_month_index`, `_day_of_month`).

Layout: `base` (constants, filters, figures, month arithmetic), `sql` (raw SQL text and
builders, fetching), `period` (single-period report, breakdown, ARR at a date), `series`
(series and the go-live cohort grid), `movements` (drill-down and monthly movements per
account). Everything public is re-exported here: import from `renewals.retention`.
"""

from renewals.retention.base import (
    ACCOUNTS,
    BASES,
    BASIS_PERIOD,
    BASIS_TRAILING12,
    CATEGORY_CHURN,
    CATEGORY_CONTRACTION,
    CATEGORY_EXPANSION,
    CATEGORY_LABELS,
    CATEGORY_NEW,
    CATEGORY_REACTIVATION,
    CATEGORY_RETAINED,
    CONTRACTS,
    INTERVAL_MONTH,
    INTERVAL_QUARTER,
    INTERVALS,
    MAX_PERIOD_DAYS,
    MAX_SERIES_POINTS,
    PERIOD_CATEGORIES,
    RetentionFigures,
    RetentionFilters,
    add_months,
    month_start,
)
from renewals.retention.movements import (
    AccountMovement,
    MonthlyMovement,
    MovementPage,
    account_monthly_movements,
    retention_movements,
)
from renewals.retention.period import (
    DIMENSIONS,
    arr_total,
    retention_breakdown,
    retention_report,
    retention_report_from_contracts,
)
from renewals.retention.series import (
    CohortRow,
    cohort_grid,
    retention_series,
    series_boundaries,
)

__all__ = [
    "ACCOUNTS",
    "BASES",
    "BASIS_PERIOD",
    "BASIS_TRAILING12",
    "CATEGORY_CHURN",
    "CATEGORY_CONTRACTION",
    "CATEGORY_EXPANSION",
    "CATEGORY_LABELS",
    "CATEGORY_NEW",
    "CATEGORY_REACTIVATION",
    "CATEGORY_RETAINED",
    "CONTRACTS",
    "DIMENSIONS",
    "INTERVALS",
    "INTERVAL_MONTH",
    "INTERVAL_QUARTER",
    "MAX_PERIOD_DAYS",
    "MAX_SERIES_POINTS",
    "PERIOD_CATEGORIES",
    "AccountMovement",
    "CohortRow",
    "MonthlyMovement",
    "MovementPage",
    "RetentionFigures",
    "RetentionFilters",
    "account_monthly_movements",
    "add_months",
    "arr_total",
    "cohort_grid",
    "month_start",
    "retention_breakdown",
    "retention_movements",
    "retention_report",
    "retention_report_from_contracts",
    "retention_series",
    "series_boundaries",
]
