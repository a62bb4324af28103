"""Raw SQL building blocks shared by the retention reports, and statement execution."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction

from renewals.models import ContractStatus
from renewals.retention.base import ACCOUNTS, CONTRACTS, SPANS, RetentionFilters, add_months
from tenancy.models import Organization


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
    """One row per account with an ARR span at S or at E (renewals.ArrSpan): ARR at S and at E
    and, with `causes`, base ARR, base seats and base plan at S and at E (0 and NULL on the
    side without a span). An account has at most one span containing a day, so each side is
    one range read of arrspan_org_day (index-only on PostgreSQL) and the sides meet in a
    FULL JOIN on the account: no per-account GROUP BY. Accounts without a span at S or E
    (ARR 0 at both) are left out; every reader ignores them anyway."""
    join, where = _filter_sql(filters, params)
    values = "c.account_id, c.arr_cents"
    columns = """
          COALESCE(s.account_id, e.account_id) AS account_id,
          COALESCE(s.arr_cents, 0) AS arr_s,
          COALESCE(e.arr_cents, 0) AS arr_e"""
    if causes:
        values += ", c.base_arr_cents, c.base_seats, c.base_plan"
        columns += """,
          COALESCE(s.base_arr_cents, 0) AS base_s,
          COALESCE(e.base_arr_cents, 0) AS base_e,
          COALESCE(s.base_seats, 0) AS seats_s,
          COALESCE(e.base_seats, 0) AS seats_e,
          s.base_plan AS plan_s,
          e.base_plan AS plan_e"""

    def side(day: str) -> str:
        return f"""(SELECT {values} FROM {SPANS} c{join}
              WHERE c.organization_id = %(org)s AND c.valid_to > %({day})s
                AND c.valid_from <= %({day})s{where})"""  # noqa: S608

    return f"""
        SELECT {columns}
        FROM {side("s")} s
        FULL JOIN {side("e")} e ON e.account_id = s.account_id"""  # noqa: S608


def _per_account_from_contracts_sql(
    filters: RetentionFilters, params: dict[str, Any], *, causes: bool = True
) -> str:
    """The reference for `_per_account_sql`, from the contracts themselves: one row per
    account touched by [S, E), with the same columns. Contracts that touch the period:
    start_date <= E and end_date > S, grouped per account (≈ 0.1 s at 250k contracts on
    PostgreSQL, 0.18 s with the causes). Used by the tests and the benchmark's check."""
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


def _period_params(organization: Organization, start: date, end: date) -> dict[str, Any]:
    return {"org": organization.id, "s": start, "e": end}
