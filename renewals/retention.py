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
(never a loop over accounts in Python). Series use ARR *changes*: each contract is +arr on
its start_date and -arr on its end_date, bucketed into periods, summed per account and
bucket and accumulated with a window function, so a 36-month series is one pass over the
contracts instead of one ARR snapshot per month. The SQL is the same on PostgreSQL and
SQLite except for the month arithmetic (`_month_index`, `_day_of_month`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from renewals.models import Contract, ContractStatus
from tenancy.models import Organization

CONTRACTS = Contract._meta.db_table
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
# SQL building blocks
# ---------------------------------------------------------------------------------------------
def _month_index(column: str) -> str:
    """year x 12 + month - 1 of a date column."""
    if connection.vendor == "postgresql":
        return f"(EXTRACT(YEAR FROM {column})::int * 12 + EXTRACT(MONTH FROM {column})::int - 1)"
    return (
        f"(CAST(strftime('%%Y', {column}) AS INTEGER) * 12"
        f" + CAST(strftime('%%m', {column}) AS INTEGER) - 1)"
    )


def _day_of_month(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(DAY FROM {column})::int"
    return f"CAST(strftime('%%d', {column}) AS INTEGER)"


def _bucket(column: str) -> str:
    """The period a change on date `column` falls in: 0 when on or before m0, else i such that
    m(i-1) < date <= m(i), for boundaries m(i) = m0 + i*k months (m0 the first of a month).
    A contract starting on m(i) is active at m(i); one ending on m(i) is not.

    PostgreSQL: a binary search over the boundaries (+1 day) with width_bucket; SQLite: month
    arithmetic on strftime. Needs the parameters of `_bucket_params`."""
    if connection.vendor == "postgresql":
        return f"width_bucket({column}, %(thresholds)s::date[])"
    return (
        f"CASE WHEN {column} <= %(m0)s THEN 0 ELSE "
        f"({_month_index(column)} - %(mi0)s"
        f" - CASE WHEN {_day_of_month(column)} = 1 THEN 1 ELSE 0 END) / %(k)s + 1 END"
    )


def _bucket_params(m0: date, months_per_period: int, periods: int) -> dict[str, Any]:
    params: dict[str, Any] = {
        "m0": m0,
        "mi0": m0.year * 12 + m0.month - 1,
        "k": months_per_period,
        "n": periods,
        "last": add_months(m0, months_per_period * periods),
    }
    if connection.vendor == "postgresql":
        params["thresholds"] = [
            add_months(m0, months_per_period * index) + timedelta(days=1)
            for index in range(periods + 1)
        ]
    return params


def _filter_sql(filters: RetentionFilters, params: dict[str, Any]) -> tuple[str, str]:
    """(JOIN clause, extra WHERE) restricting contracts to the filtered accounts."""
    if not filters.segment and filters.owner_id is None:
        return "", ""
    where = ""
    if filters.segment:
        where += " AND a.segment = %(segment)s"
        params["segment"] = filters.segment
    if filters.owner_id is not None:
        where += " AND a.owner_id = %(owner)s"
        params["owner"] = filters.owner_id
    join = f" JOIN {ACCOUNTS} a ON a.id = c.account_id AND a.organization_id = c.organization_id"
    return join, where


def _fetch(sql: str, params: dict[str, Any], *, large: bool = False) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor:
        if large and connection.vendor == "postgresql":
            # Series sort and hash a few hundred thousand rows per organization: in memory.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        return cursor.fetchall()


def _fetch_dicts(
    sql: str, params: dict[str, Any], *, large: bool = False, sorted_plan: bool = False
) -> list[dict[str, Any]]:
    """`sorted_plan` (series): PostgreSQL's cost model prefers a (parallel) hash aggregate per
    (account, bucket) followed by a full sort for the window; streaming the contracts in index
    order through an incremental sort, a group aggregate and the window is faster (0.43 s vs
    0.59-0.73 s for 36 months of 250k contracts, bench/README.md). Statement-local settings."""
    with transaction.atomic(), connection.cursor() as cursor:
        if large and connection.vendor == "postgresql":
            cursor.execute("SET LOCAL work_mem = '64MB'")
        if sorted_plan and connection.vendor == "postgresql":
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            cursor.execute("SET LOCAL enable_hashagg = off")
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _per_account_sql(
    filters: RetentionFilters, params: dict[str, Any], *, causes: bool = True
) -> str:
    """One row per account touched by [S, E): ARR at S and at E and, with `causes`, base ARR,
    base seats and base plan at S and at E. Contracts that touch the period: start_date <= E
    and end_date > S (an index-only scan of contract_org_account on PostgreSQL)."""
    join, where = _filter_sql(filters, params)
    at_s = "c.start_date <= %(s)s AND c.end_date > %(s)s"
    at_e = "c.start_date <= %(e)s AND c.end_date > %(e)s"
    base = "c.kind = 'base'"
    columns = f"""
          CAST(SUM(CASE WHEN {at_s} THEN c.arr_cents ELSE 0 END) AS BIGINT) AS arr_s,
          CAST(SUM(CASE WHEN {at_e} THEN c.arr_cents ELSE 0 END) AS BIGINT) AS arr_e"""
    if causes:
        columns += f""",
          CAST(SUM(CASE WHEN {base} AND {at_s} THEN c.arr_cents ELSE 0 END) AS BIGINT) AS base_s,
          CAST(SUM(CASE WHEN {base} AND {at_e} THEN c.arr_cents ELSE 0 END) AS BIGINT) AS base_e,
          CAST(SUM(CASE WHEN {base} AND {at_s} THEN c.seats ELSE 0 END) AS BIGINT) AS seats_s,
          CAST(SUM(CASE WHEN {base} AND {at_e} THEN c.seats ELSE 0 END) AS BIGINT) AS seats_e,
          MAX(CASE WHEN {base} AND {at_s} THEN c.plan END) AS plan_s,
          MAX(CASE WHEN {base} AND {at_e} THEN c.plan END) AS plan_e"""
    return f"""
        SELECT c.account_id AS account_id,{columns}
        FROM {CONTRACTS} c{join}
        WHERE c.organization_id = %(org)s AND c.status <> '{ContractStatus.VOID.value}'
          AND c.start_date <= %(e)s AND c.end_date > %(s)s{where}
        GROUP BY c.account_id"""  # noqa: S608


_TOTALS_SELECT = """
  SUM(CASE WHEN p.arr_s > 0 THEN 1 ELSE 0 END) AS accounts,
  SUM(CASE WHEN p.arr_s > 0 THEN p.arr_s ELSE 0 END) AS starting,
  SUM(CASE WHEN p.arr_s > 0 THEN p.arr_e ELSE 0 END) AS ending,
  SUM(CASE WHEN p.arr_s > 0 AND p.arr_e < p.arr_s THEN p.arr_e
           WHEN p.arr_s > 0 THEN p.arr_s ELSE 0 END) AS retained,
  SUM(CASE WHEN p.arr_s > 0 AND p.arr_e = 0 THEN p.arr_s ELSE 0 END) AS churned,
  SUM(CASE WHEN p.arr_s > 0 AND p.arr_e = 0 THEN 1 ELSE 0 END) AS churned_accounts,
  SUM(CASE WHEN p.arr_s > 0 AND p.arr_e > 0 AND p.arr_e < p.arr_s
           THEN p.arr_s - p.arr_e ELSE 0 END) AS contraction,
  SUM(CASE WHEN p.arr_s > 0 AND p.arr_e > p.arr_s THEN p.arr_e - p.arr_s ELSE 0 END) AS expansion,
  SUM(CASE WHEN p.arr_s = 0 AND p.arr_e > 0 THEN 1 ELSE 0 END) AS new_accounts,
  SUM(CASE WHEN p.arr_s = 0 AND p.arr_e > 0 THEN p.arr_e ELSE 0 END) AS new_arr"""
_CAUSES_SELECT = """,
  SUM(CASE WHEN p.arr_s > 0 AND p.arr_e > p.arr_s
           THEN (p.arr_e - p.base_e) - (p.arr_s - p.base_s)
                + CASE WHEN COALESCE(p.plan_s, '') <> COALESCE(p.plan_e, '')
                       THEN p.base_e - p.base_s ELSE 0 END
           ELSE 0 END) AS exp_new_plan_or_add_on,
  SUM(CASE WHEN p.arr_s > 0 AND p.arr_e > p.arr_s AND p.seats_s > 0
                AND COALESCE(p.plan_s, '') = COALESCE(p.plan_e, '')
           THEN (p.base_s / p.seats_s) * (p.seats_e - p.seats_s) ELSE 0 END) AS exp_seats
"""


def _figures(
    row: dict[str, Any], *, start: date, end: date, basis: str, causes: bool = True
) -> RetentionFigures:
    expansion = _int(row.get("expansion"))
    new_plan = _int(row.get("exp_new_plan_or_add_on"))
    seats = _int(row.get("exp_seats"))
    price = expansion - seats - new_plan if causes else 0
    return RetentionFigures(
        start=start,
        end=end,
        accounts=_int(row.get("accounts")),
        starting_arr_cents=_int(row.get("starting")),
        ending_arr_cents=_int(row.get("ending")),
        retained_arr_cents=_int(row.get("retained")),
        expansion_arr_cents=expansion,
        contraction_arr_cents=_int(row.get("contraction")),
        churned_arr_cents=_int(row.get("churned")),
        churned_accounts=_int(row.get("churned_accounts")),
        new_accounts=_int(row.get("new_accounts")),
        new_arr_cents=_int(row.get("new_arr")),
        expansion_seats_cents=seats,
        expansion_new_plan_or_add_on_cents=new_plan,
        expansion_price_cents=price,
        basis=basis,
        causes_known=causes,
    )


def _period_params(organization: Organization, start: date, end: date) -> dict[str, Any]:
    return {"org": organization.id, "s": start, "e": end}


# ---------------------------------------------------------------------------------------------
# Single period
# ---------------------------------------------------------------------------------------------
def retention_report(
    *,
    organization: Organization,
    start: date,
    end: date,
    filters: RetentionFilters | None = None,
    causes: bool = True,
) -> RetentionFigures:
    """GRR, NRR, logo churn and the ARR bridge for [start, end): one SQL statement. Without
    `causes` the expansion is not split by cause (fewer aggregates per account: faster)."""
    filters = filters or RetentionFilters()
    params = _period_params(organization, start, end)
    per_account = _per_account_sql(filters, params, causes=causes)
    select = _TOTALS_SELECT + (_CAUSES_SELECT if causes else "")
    rows = _fetch_dicts(f"SELECT {select} FROM ({per_account}) p", params)  # noqa: S608
    return _figures(
        rows[0] if rows else {}, start=start, end=end, basis=BASIS_PERIOD, causes=causes
    )


DIMENSIONS = {
    "segment": "a.segment",
    "owner": "a.owner_id",
    "go_live_year": None,  # vendor-specific expression, see _dimension_sql
}


def _dimension_sql(dimension: str) -> str:
    if dimension == "go_live_year":
        if connection.vendor == "postgresql":
            return "EXTRACT(YEAR FROM a.go_live_date)::int"
        return "CAST(strftime('%%Y', a.go_live_date) AS INTEGER)"
    return DIMENSIONS[dimension] or ""


def retention_breakdown(
    *,
    organization: Organization,
    start: date,
    end: date,
    dimension: str,
    filters: RetentionFilters | None = None,
) -> list[tuple[Any, RetentionFigures]]:
    """The report per segment, owner (membership id) or go-live year: one statement."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"Unknown dimension {dimension!r}")
    filters = filters or RetentionFilters()
    params = _period_params(organization, start, end)
    per_account = _per_account_sql(filters, params)
    key = _dimension_sql(dimension)
    rows = _fetch_dicts(
        f"""SELECT {key} AS dim, {_TOTALS_SELECT}{_CAUSES_SELECT}
            FROM ({per_account}) p
            JOIN {ACCOUNTS} a ON a.id = p.account_id AND a.organization_id = %(org)s
            GROUP BY {key}
            HAVING SUM(CASE WHEN p.arr_s > 0 THEN 1 ELSE 0 END) > 0
            ORDER BY SUM(CASE WHEN p.arr_s > 0 THEN p.arr_s ELSE 0 END) DESC""",  # noqa: S608
        params,
    )
    return [(row["dim"], _figures(row, start=start, end=end, basis=BASIS_PERIOD)) for row in rows]


# ---------------------------------------------------------------------------------------------
# Drill-down: the accounts and contracts behind the figures
# ---------------------------------------------------------------------------------------------
@dataclass
class AccountMovement:
    account_id: int
    account_name: str
    segment: str
    owner_id: int | None
    arr_s: int
    arr_e: int
    category: str
    base_s: int = 0
    base_e: int = 0
    seats_s: int = 0
    seats_e: int = 0
    plan_s: str = ""
    plan_e: str = ""
    contracts: list[Contract] = field(default_factory=list)

    @property
    def change(self) -> int:
        return self.arr_e - self.arr_s

    @property
    def category_label(self) -> str:
        return str(CATEGORY_LABELS[self.category])

    @property
    def counted(self) -> bool:
        return self.arr_s > 0


_CATEGORY_SQL = f"""CASE
    WHEN p.arr_s = 0 THEN '{CATEGORY_NEW}'
    WHEN p.arr_e = 0 THEN '{CATEGORY_CHURN}'
    WHEN p.arr_e < p.arr_s THEN '{CATEGORY_CONTRACTION}'
    WHEN p.arr_e > p.arr_s THEN '{CATEGORY_EXPANSION}'
    ELSE '{CATEGORY_RETAINED}' END"""
_CATEGORY_RANK_SQL = """CASE
    WHEN p.arr_s = 0 THEN 5 WHEN p.arr_e = 0 THEN 1 WHEN p.arr_e < p.arr_s THEN 2
    WHEN p.arr_e > p.arr_s THEN 3 ELSE 4 END"""


@dataclass(frozen=True)
class MovementPage:
    total: int
    rows: list[AccountMovement]


def retention_movements(
    *,
    organization: Organization,
    start: date,
    end: date,
    filters: RetentionFilters | None = None,
    category: str = "",
    offset: int = 0,
    limit: int | None = 100,
    with_contracts: bool = True,
) -> MovementPage:
    """Per account: ARR_S, ARR_E, its category and the contracts that touch [start, end).
    Churn first, then contraction, expansion, retained, new; bigger changes first. Three
    statements whatever the page size: the count, the page, the page's contracts."""
    filters = filters or RetentionFilters()
    params = _period_params(organization, start, end)
    per_account = _per_account_sql(filters, params)
    where = "(p.arr_s > 0 OR p.arr_e > 0)"
    if category:
        if category not in PERIOD_CATEGORIES:
            raise ValueError(f"Unknown category {category!r}")
        where += f" AND {_CATEGORY_SQL} = %(category)s"
        params["category"] = category
    base_from = f"""FROM ({per_account}) p
        JOIN {ACCOUNTS} a ON a.id = p.account_id AND a.organization_id = %(org)s
        WHERE {where}"""
    total = _int(_fetch(f"SELECT COUNT(*) {base_from}", params)[0][0])
    page_sql = f"""SELECT p.*, a.name AS account_name, a.segment AS segment,
            a.owner_id AS owner_id, {_CATEGORY_SQL} AS category
        {base_from}
        ORDER BY {_CATEGORY_RANK_SQL}, ABS(p.arr_e - p.arr_s) DESC, a.name, a.id"""
    if limit is not None:
        page_sql += " LIMIT %(limit)s OFFSET %(offset)s"
        params.update(limit=limit, offset=offset)
    rows = [
        AccountMovement(
            account_id=row["account_id"],
            account_name=row["account_name"],
            segment=row["segment"],
            owner_id=row["owner_id"],
            arr_s=_int(row["arr_s"]),
            arr_e=_int(row["arr_e"]),
            category=row["category"],
            base_s=_int(row["base_s"]),
            base_e=_int(row["base_e"]),
            seats_s=_int(row["seats_s"]),
            seats_e=_int(row["seats_e"]),
            plan_s=row["plan_s"] or "",
            plan_e=row["plan_e"] or "",
        )
        for row in _fetch_dicts(page_sql, params)
    ]
    if with_contracts and rows:
        by_account = {row.account_id: row for row in rows}
        contracts = (
            Contract.objects.filter(
                organization=organization,
                account_id__in=list(by_account),
                start_date__lte=end,
                end_date__gt=start,
            )
            .exclude(status=ContractStatus.VOID)
            .order_by("account_id", "start_date", "id")
        )
        for contract in contracts:
            by_account[contract.account_id].contracts.append(contract)
    return MovementPage(total=total, rows=rows)


# ---------------------------------------------------------------------------------------------
# Series: many periods in one statement
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


def _bucket_rows(
    *,
    organization: Organization,
    m0: date,
    months_per_period: int,
    periods: int,
    filters: RetentionFilters,
) -> list[dict[str, Any]]:
    """Per period i = 1..periods ([m(i-1), m(i)) with m(i) = m0 + i·k months): the bridge
    totals of the accounts whose ARR changed, plus the net change of total ARR and of the
    active-account count. Period 0 holds everything up to m0 (the starting position)."""
    params: dict[str, Any] = {
        "org": organization.id,
        **_bucket_params(m0, months_per_period, periods),
    }
    join, where = _filter_sql(filters, params)
    contract_where = (
        f"c.organization_id = %(org)s AND c.status <> '{ContractStatus.VOID.value}'"
        f" AND c.start_date <= %(last)s AND c.end_date > %(m0)s{where}"
    )
    # Each contract is read once (joined to a two-row "side" table: +arr at its start, -arr
    # at its end), in account order from contract_org_account on PostgreSQL, so the
    # per-(account, bucket) sums and the running sum per account share one (incremental) sort.
    sql = f"""
    WITH ev AS (
        SELECT c.account_id AS account_id,
          CASE WHEN s.side = 1 THEN c.start_date ELSE c.end_date END AS d,
          s.side * c.arr_cents AS delta
        FROM {CONTRACTS} c{join} CROSS JOIN (SELECT 1 AS side UNION ALL SELECT -1) s
        WHERE {contract_where} AND (s.side = 1 OR c.end_date <= %(last)s)
    ),
    per AS (
        SELECT account_id, {_bucket("d")} AS bucket, CAST(SUM(delta) AS BIGINT) AS net
        FROM ev GROUP BY account_id, {_bucket("d")}
        HAVING SUM(delta) <> 0
    ),
    cum AS (
        SELECT bucket, net,
          CAST(SUM(net) OVER (PARTITION BY account_id ORDER BY bucket
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS arr_e
        FROM per
    ),
    p AS (SELECT bucket, net, arr_e, arr_e - net AS arr_s FROM cum)
    SELECT bucket,
      SUM(net) AS net,
      SUM(CASE WHEN arr_s = 0 AND arr_e > 0 THEN 1
               WHEN arr_s > 0 AND arr_e = 0 THEN -1 ELSE 0 END) AS active_delta,
      SUM(CASE WHEN arr_s > 0 AND arr_e = 0 THEN arr_s ELSE 0 END) AS churned,
      SUM(CASE WHEN arr_s > 0 AND arr_e = 0 THEN 1 ELSE 0 END) AS churned_accounts,
      SUM(CASE WHEN arr_s > 0 AND arr_e > 0 AND arr_e < arr_s
               THEN arr_s - arr_e ELSE 0 END) AS contraction,
      SUM(CASE WHEN arr_s > 0 AND arr_e > arr_s THEN arr_e - arr_s ELSE 0 END) AS expansion,
      SUM(CASE WHEN arr_s = 0 AND arr_e > 0 THEN 1 ELSE 0 END) AS new_accounts,
      SUM(CASE WHEN arr_s = 0 AND arr_e > 0 THEN arr_e ELSE 0 END) AS new_arr
    FROM p GROUP BY bucket ORDER BY bucket"""  # noqa: S608
    return _fetch_dicts(sql, params, large=True, sorted_plan=True)


def _series_from_buckets(
    rows: list[dict[str, Any]], *, m0: date, months_per_period: int, periods: int, basis: str
) -> list[RetentionFigures]:
    by_bucket = {_int(row["bucket"]): row for row in rows}
    total_arr = 0
    active = 0
    result = []
    position = by_bucket.get(0, {})
    total_arr += _int(position.get("net"))
    active += _int(position.get("active_delta"))
    for index in range(1, periods + 1):
        row = by_bucket.get(index, {})
        start = add_months(m0, months_per_period * (index - 1))
        end = add_months(m0, months_per_period * index)
        churned = _int(row.get("churned"))
        contraction = _int(row.get("contraction"))
        expansion = _int(row.get("expansion"))
        result.append(
            RetentionFigures(
                start=start,
                end=end,
                accounts=active,
                starting_arr_cents=total_arr,
                ending_arr_cents=total_arr + expansion - contraction - churned,
                retained_arr_cents=total_arr - contraction - churned,
                expansion_arr_cents=expansion,
                contraction_arr_cents=contraction,
                churned_arr_cents=churned,
                churned_accounts=_int(row.get("churned_accounts")),
                new_accounts=_int(row.get("new_accounts")),
                new_arr_cents=_int(row.get("new_arr")),
                basis=basis,
                causes_known=False,
            )
        )
        total_arr += _int(row.get("net"))
        active += _int(row.get("active_delta"))
    return result


def series_boundaries(start: date, end: date, interval: str) -> tuple[date, int, int]:
    """(m0, months per period, number of periods): calendar months or quarters covering
    [start, end) — a series always runs on whole months/quarters from the one holding start."""
    step = 3 if interval == INTERVAL_QUARTER else 1
    m0 = month_start(start)
    if step == 3:
        m0 = m0.replace(month=(m0.month - 1) // 3 * 3 + 1)
    periods = 0
    while add_months(m0, step * periods) < end and periods < MAX_SERIES_POINTS:
        periods += 1
    return m0, step, max(periods, 1)


def retention_series(
    *,
    organization: Organization,
    start: date,
    end: date,
    interval: str = INTERVAL_MONTH,
    basis: str = BASIS_PERIOD,
    filters: RetentionFilters | None = None,
) -> list[RetentionFigures]:
    """One point per month (or quarter) covering [start, end).

    basis=period: each point is the period itself, cohort at its start (one statement).
    basis=trailing12: each point is the twelve months ending at the point's end, cohort twelve
    months earlier (one statement per month of the year the points end in: at most 12)."""
    filters = filters or RetentionFilters()
    m0, step, periods = series_boundaries(start, end, interval)
    if basis == BASIS_PERIOD:
        rows = _bucket_rows(
            organization=organization,
            m0=m0,
            months_per_period=step,
            periods=periods,
            filters=filters,
        )
        return _series_from_buckets(
            rows, m0=m0, months_per_period=step, periods=periods, basis=basis
        )
    # trailing12: point i ends at m0 + (i+1)·step months and starts twelve months earlier.
    ends = [add_months(m0, step * (index + 1)) for index in range(periods)]
    by_end: dict[date, RetentionFigures] = {}
    classes: dict[int, list[date]] = defaultdict(list)
    for point_end in ends:
        classes[(point_end.year * 12 + point_end.month) % 12].append(point_end)
    for class_ends in classes.values():
        first_start = add_months(class_ends[0], -12)
        count = len(class_ends)
        rows = _bucket_rows(
            organization=organization,
            m0=first_start,
            months_per_period=12,
            periods=count,
            filters=filters,
        )
        for figures in _series_from_buckets(
            rows, m0=first_start, months_per_period=12, periods=count, basis=basis
        ):
            by_end[figures.end] = figures
    return [by_end[point_end] for point_end in ends]


# ---------------------------------------------------------------------------------------------
# Monthly movements per account (new, expansion, contraction, churn, reactivation)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MonthlyMovement:
    account_id: int
    month: date  # the month [month, next month)
    category: str
    arr_s: int
    arr_e: int


def account_monthly_movements(
    *,
    organization: Organization,
    start: date,
    end: date,
    account_ids: list[int] | None = None,
    limit: int = 5000,
) -> list[MonthlyMovement]:
    """Every (account, month) whose ARR changed between the month's first day and the next
    month's first day, classified in SQL: new (first ARR ever), reactivation (ARR again after
    a time at zero), expansion, contraction, churn (to zero)."""
    m0, _step, periods = series_boundaries(start, end, INTERVAL_MONTH)
    params: dict[str, Any] = {
        "org": organization.id,
        **_bucket_params(m0, 1, periods),
        "limit": limit,
    }
    account_where = ""
    if account_ids is not None:
        if not account_ids:
            return []
        placeholders = []
        for position, account_id in enumerate(account_ids):
            params[f"a{position}"] = account_id
            placeholders.append(f"%(a{position})s")
        account_where = f" AND c.account_id IN ({', '.join(placeholders)})"
    void = ContractStatus.VOID.value
    contract_where = (
        f"c.organization_id = %(org)s AND c.status <> '{void}'"
        f" AND c.start_date <= %(last)s AND c.end_date > %(m0)s{account_where}"
    )
    sql = f"""
    WITH ev AS (
        SELECT c.account_id AS account_id, c.start_date AS d, c.arr_cents AS delta
        FROM {CONTRACTS} c WHERE {contract_where}
        UNION ALL
        SELECT c.account_id, c.end_date, -c.arr_cents
        FROM {CONTRACTS} c WHERE {contract_where} AND c.end_date <= %(last)s
    ),
    per AS (
        SELECT account_id, {_bucket("d")} AS bucket, CAST(SUM(delta) AS BIGINT) AS net
        FROM ev GROUP BY account_id, {_bucket("d")}
        HAVING SUM(delta) <> 0
    ),
    cum AS (
        SELECT account_id, bucket, net,
          CAST(SUM(net) OVER (PARTITION BY account_id ORDER BY bucket
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS arr_e
        FROM per
    ),
    first_start AS (
        SELECT c.account_id AS account_id, MIN({_bucket("c.start_date")}) AS first_bucket
        FROM {CONTRACTS} c
        WHERE c.organization_id = %(org)s AND c.status <> '{void}'{account_where}
        GROUP BY c.account_id
    )
    SELECT cum.account_id AS account_id, cum.bucket AS bucket,
      cum.arr_e - cum.net AS arr_s, cum.arr_e AS arr_e,
      CASE WHEN cum.arr_e - cum.net = 0 AND f.first_bucket < cum.bucket
                THEN '{CATEGORY_REACTIVATION}'
           WHEN cum.arr_e - cum.net = 0 THEN '{CATEGORY_NEW}'
           WHEN cum.arr_e = 0 THEN '{CATEGORY_CHURN}'
           WHEN cum.arr_e < cum.arr_e - cum.net THEN '{CATEGORY_CONTRACTION}'
           ELSE '{CATEGORY_EXPANSION}' END AS category
    FROM cum JOIN first_start f ON f.account_id = cum.account_id
    WHERE cum.bucket >= 1 AND cum.net <> 0
    ORDER BY cum.bucket, cum.account_id
    LIMIT %(limit)s"""  # noqa: S608
    return [
        MonthlyMovement(
            account_id=row["account_id"],
            month=add_months(m0, _int(row["bucket"]) - 1),
            category=row["category"],
            arr_s=_int(row["arr_s"]),
            arr_e=_int(row["arr_e"]),
        )
        for row in _fetch_dicts(sql, params, large=True)
    ]


# ---------------------------------------------------------------------------------------------
# Go-live cohort grid
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CohortRow:
    quarter: str  # "2025-Q3"
    accounts: int
    starting_arr_cents: int  # at the first day after the quarter
    cells: tuple[tuple[int, int | None, float | None], ...]  # (months since, ARR, NRR)


def cohort_grid(
    *,
    organization: Organization,
    today: date,
    quarters: int = 12,
    step_months: int = 3,
    max_months: int = 36,
    filters: RetentionFilters | None = None,
) -> tuple[list[int], list[CohortRow]]:
    """Go-live quarter x months since the quarter ended: the cohort's ARR and NRR (ARR at that
    month ÷ ARR on the first day after the quarter). One statement over the contracts of the
    accounts that went live in the last `quarters` quarters."""
    filters = filters or RetentionFilters()
    this_quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    first_quarter = add_months(this_quarter, -3 * quarters)
    m0 = first_quarter
    periods = (this_quarter.year * 12 + this_quarter.month) - (m0.year * 12 + m0.month) + max_months
    params: dict[str, Any] = {
        "org": organization.id,
        **_bucket_params(m0, 1, periods),
        "first": first_quarter,
        "this": this_quarter,
    }
    _join, where = _filter_sql(filters, params)
    base = (
        f"FROM {CONTRACTS} c JOIN {ACCOUNTS} a ON a.id = c.account_id"
        f" AND a.organization_id = c.organization_id"
        f" WHERE c.organization_id = %(org)s AND c.status <> '{ContractStatus.VOID.value}'"
        f" AND a.go_live_date >= %(first)s AND a.go_live_date < %(this)s"
        f" AND c.start_date <= %(last)s{where}"
    )
    quarter_sql = f"{_month_index('a.go_live_date')} / 3"
    sql = f"""
    WITH ev AS (
        SELECT {quarter_sql} AS q, c.start_date AS d, c.arr_cents AS delta {base}
        UNION ALL
        SELECT {quarter_sql}, c.end_date, -c.arr_cents {base} AND c.end_date <= %(last)s
    )
    SELECT q, {_bucket("d")} AS bucket, SUM(delta) AS net FROM ev GROUP BY q, {_bucket("d")}"""  # noqa: S608
    nets: dict[int, dict[int, int]] = defaultdict(dict)
    for q, bucket, net in _fetch(sql, params, large=True):
        nets[_int(q)][_int(bucket)] = _int(net)
    count_params = {"org": organization.id, "first": first_quarter, "this": this_quarter}
    _join2, count_where = _filter_sql(filters, count_params)
    counts = {
        _int(q): _int(n)
        for q, n in _fetch(
            f"""SELECT {quarter_sql} AS q, COUNT(*) FROM {ACCOUNTS} a
                WHERE a.organization_id = %(org)s AND a.go_live_date >= %(first)s
                  AND a.go_live_date < %(this)s{count_where}
                GROUP BY {quarter_sql}""",  # noqa: S608
            count_params,
        )
    }
    offsets = list(range(0, max_months + 1, step_months))
    today_index = today.year * 12 + today.month - 1
    rows = []
    for position in range(quarters):
        quarter_start = add_months(first_quarter, 3 * position)
        q = (quarter_start.year * 12 + quarter_start.month - 1) // 3
        series = nets.get(q, {})
        cumulative = []
        running = 0
        for bucket in range(periods + 1):
            running += series.get(bucket, 0)
            cumulative.append(running)  # ARR at m0 + bucket months
        first_after = (position + 1) * 3  # bucket of the first day after the quarter
        base_arr = cumulative[first_after] if first_after < len(cumulative) else 0
        cells: list[tuple[int, int | None, float | None]] = []
        for months in offsets:
            bucket = first_after + months
            boundary_index = m0.year * 12 + m0.month - 1 + bucket
            if boundary_index > today_index or bucket >= len(cumulative):
                cells.append((months, None, None))
                continue
            arr = cumulative[bucket]
            cells.append((months, arr, _ratio(arr, base_arr)))
        rows.append(
            CohortRow(
                quarter=f"{quarter_start.year}-Q{(quarter_start.month - 1) // 3 + 1}",
                accounts=counts.get(q, 0),
                starting_arr_cents=base_arr,
                cells=tuple(cells),
            )
        )
    return offsets, rows


# ---------------------------------------------------------------------------------------------
# ARR at a date
# ---------------------------------------------------------------------------------------------
def arr_total(*, organization: Organization, day: date, filters: RetentionFilters | None = None):
    """Σ ARR of every account on `day` (one aggregate)."""
    params: dict[str, Any] = {"org": organization.id, "d": day}
    join, where = _filter_sql(filters or RetentionFilters(), params)
    rows = _fetch(
        f"""SELECT SUM(c.arr_cents) FROM {CONTRACTS} c{join}
            WHERE c.organization_id = %(org)s AND c.status <> '{ContractStatus.VOID.value}'
              AND c.start_date <= %(d)s AND c.end_date > %(d)s{where}""",  # noqa: S608
        params,
    )
    return _int(rows[0][0])
