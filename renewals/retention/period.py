"""Single-period retention: the report, its breakdown by dimension and ARR at a date."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection

from renewals.retention.base import (
    ACCOUNTS,
    BASIS_PERIOD,
    SPANS,
    RetentionFigures,
    RetentionFilters,
    _int,
)
from renewals.retention.sql import (
    _CAUSES_SELECT,
    _TOTALS_SELECT,
    _fetch,
    _fetch_dicts,
    _filter_sql,
    _per_account_from_contracts_sql,
    _per_account_sql,
    _period_params,
)
from tenancy.models import Organization


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
    """GRR, NRR, logo churn and the ARR bridge for [start, end): one SQL statement over the
    ARR spans at start and at end (renewals.ArrSpan). Without `causes` the expansion is not
    split by cause (fewer columns per account: a little faster)."""
    filters = filters or RetentionFilters()
    params = _period_params(organization, start, end)
    per_account = _per_account_sql(filters, params, causes=causes)
    # With the causes, the join's hash table of 90k accounts (base ARR, seats, plan) spills to
    # disk with the default work_mem (4 MB): a statement-local 64 MB keeps it in memory.
    return _report(per_account, params, start=start, end=end, causes=causes, large=causes)


def retention_report_from_contracts(
    *,
    organization: Organization,
    start: date,
    end: date,
    filters: RetentionFilters | None = None,
    causes: bool = True,
) -> RetentionFigures:
    """`retention_report` computed from the contracts instead of the ARR spans (a group per
    account over every contract touching the period): the reference the tests and the
    benchmark compare the span-based report with. Not for pages: 1.5-2x slower at 100k accounts
    (bench/README.md, Retention)."""
    filters = filters or RetentionFilters()
    params = _period_params(organization, start, end)
    per_account = _per_account_from_contracts_sql(filters, params, causes=causes)
    # Default work_mem: with more, PostgreSQL hashes the 94k groups instead of streaming them
    # in index order (0.30 s instead of 0.18 s with the causes).
    return _report(per_account, params, start=start, end=end, causes=causes, large=False)


def _report(
    per_account: str,
    params: dict[str, Any],
    *,
    start: date,
    end: date,
    causes: bool,
    large: bool,
) -> RetentionFigures:
    select = _TOTALS_SELECT + (_CAUSES_SELECT if causes else "")
    rows = _fetch_dicts(
        f"SELECT {select} FROM ({per_account}) p",  # noqa: S608
        params,
        large=large,
    )
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
        large=True,
    )
    return [(row["dim"], _figures(row, start=start, end=end, basis=BASIS_PERIOD)) for row in rows]


# ---------------------------------------------------------------------------------------------
# ARR at a date
# ---------------------------------------------------------------------------------------------
def arr_total(*, organization: Organization, day: date, filters: RetentionFilters | None = None):
    """Σ ARR of every account on `day`: one range read of the ARR spans."""
    params: dict[str, Any] = {"org": organization.id, "d": day}
    join, where = _filter_sql(filters or RetentionFilters(), params)
    rows = _fetch(
        f"""SELECT SUM(c.arr_cents) FROM {SPANS} c{join}
            WHERE c.organization_id = %(org)s
              AND c.valid_to > %(d)s AND c.valid_from <= %(d)s{where}""",  # noqa: S608
        params,
    )
    return _int(rows[0][0])
