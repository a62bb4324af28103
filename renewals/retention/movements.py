"""Drill-down (the accounts and contracts behind the figures) and monthly movements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from renewals.models import Contract, ContractStatus
from renewals.retention.base import (
    ACCOUNTS,
    CATEGORY_CHURN,
    CATEGORY_CONTRACTION,
    CATEGORY_EXPANSION,
    CATEGORY_LABELS,
    CATEGORY_NEW,
    CATEGORY_REACTIVATION,
    CATEGORY_RETAINED,
    CONTRACTS,
    INTERVAL_MONTH,
    PERIOD_CATEGORIES,
    RetentionFilters,
    _int,
    add_months,
)
from renewals.retention.series import series_boundaries
from renewals.retention.sql import (
    _bucket,
    _bucket_params,
    _fetch,
    _fetch_dicts,
    _per_account_sql,
    _period_params,
)
from tenancy.models import Organization


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
