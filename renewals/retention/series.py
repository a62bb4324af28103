"""Retention series (many periods in one statement) and the go-live cohort grid."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from renewals.models import ContractStatus
from renewals.retention.base import (
    ACCOUNTS,
    BASIS_PERIOD,
    CONTRACTS,
    INTERVAL_MONTH,
    INTERVAL_QUARTER,
    MAX_SERIES_POINTS,
    RetentionFigures,
    RetentionFilters,
    _int,
    _ratio,
    add_months,
    month_start,
)
from renewals.retention.sql import (
    _bucket,
    _bucket_params,
    _fetch,
    _fetch_dicts,
    _filter_sql,
    _month_index,
)
from tenancy.models import Organization


# ---------------------------------------------------------------------------------------------
# Series: many periods in one statement
# ---------------------------------------------------------------------------------------------
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
