"""ARR spans (renewals.ArrSpan): per account, the maximal intervals over which its ARR, base
ARR, base seats and base plan are constant, derived from its non-void contracts.

Invariant: after every contract write the touched accounts' spans equal what
`arr_spans_refresh` would build from their contracts now. Every service that creates, edits,
voids or re-parents a contract calls it in the same transaction, right after
`account_revenue_refresh`; bulk writers (the CSV import, the demo seed, the benchmark
generator) call it once for the accounts they touched or for the whole organization. Spans
do not depend on today: the daily job does not touch them.

The rebuild is set-based and vendor-neutral SQL (window functions: PostgreSQL, SQLite ≥ 3.25):
the boundaries of an account are the distinct start and end dates of its contracts; LEAD()
pairs each boundary with the next one; the contracts in force on an interval's first day are
the ones in force on all of it; equal neighbours are merged (gaps and islands). Two
statements: DELETE the accounts' spans, INSERT … SELECT their new ones.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection, transaction

from renewals.models import ArrSpan, Contract, ContractKind, ContractStatus
from tenancy.models import Organization

SPANS = ArrSpan._meta.db_table
CONTRACTS = Contract._meta.db_table

_SAME_AS_PREVIOUS = " AND ".join(
    [
        "LAG(v.valid_to) OVER (PARTITION BY v.account_id ORDER BY v.valid_from) = v.valid_from",
        *(
            f"LAG(v.{column}) OVER (PARTITION BY v.account_id ORDER BY v.valid_from) = v.{column}"
            for column in ("arr_cents", "base_arr_cents", "base_seats", "base_plan")
        ),
    ]
)

# `{accounts}` restricts the contracts read (and so the accounts rebuilt); empty = all.
_REBUILD_SQL = f"""
INSERT INTO {SPANS} (organization_id, account_id, valid_from, valid_to, arr_cents,
                     base_arr_cents, base_seats, base_plan)
WITH c AS (
    SELECT account_id, kind, start_date, end_date, arr_cents, seats, plan
    FROM {CONTRACTS}
    WHERE organization_id = %(org)s AND status <> '{ContractStatus.VOID.value}'{{accounts}}
),
bounds AS (
    SELECT account_id, start_date AS day FROM c
    UNION
    SELECT account_id, end_date AS day FROM c
),
pieces AS (
    SELECT account_id, day AS valid_from,
           LEAD(day) OVER (PARTITION BY account_id ORDER BY day) AS valid_to
    FROM bounds
),
valued AS (
    SELECT p.account_id, p.valid_from, p.valid_to,
           SUM(c.arr_cents) AS arr_cents,
           SUM(CASE WHEN c.kind = '{ContractKind.BASE.value}' THEN c.arr_cents ELSE 0 END)
               AS base_arr_cents,
           SUM(CASE WHEN c.kind = '{ContractKind.BASE.value}' THEN c.seats ELSE 0 END)
               AS base_seats,
           COALESCE(MAX(CASE WHEN c.kind = '{ContractKind.BASE.value}' THEN c.plan END), '')
               AS base_plan
    FROM pieces p
    JOIN c ON c.account_id = p.account_id
          AND c.start_date <= p.valid_from AND c.end_date > p.valid_from
    WHERE p.valid_to IS NOT NULL
    GROUP BY p.account_id, p.valid_from, p.valid_to
),
marked AS (
    SELECT v.*, CASE WHEN {_SAME_AS_PREVIOUS} THEN 0 ELSE 1 END AS opens
    FROM valued v
),
islands AS (
    SELECT m.*, SUM(m.opens) OVER (
               PARTITION BY m.account_id ORDER BY m.valid_from
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS island
    FROM marked m
)
SELECT %(org)s, account_id, MIN(valid_from), MAX(valid_to), arr_cents, base_arr_cents,
       base_seats, base_plan
FROM islands
GROUP BY account_id, island, arr_cents, base_arr_cents, base_seats, base_plan
"""  # noqa: S608


def _accounts_filter(account_ids: list[int] | None, params: dict[str, Any]) -> str:
    if account_ids is None:
        return ""
    if connection.vendor == "postgresql":
        params["accounts"] = account_ids
        return " AND account_id = ANY(%(accounts)s)"
    params["accounts"] = json.dumps(account_ids)
    return " AND account_id IN (SELECT value FROM json_each(%(accounts)s))"


def arr_spans_refresh(*, organization: Organization, account_ids: list[int] | None = None) -> int:
    """Rebuild the ARR spans of `account_ids` (every account of the organization when None)
    from their non-void contracts: one DELETE and one INSERT … SELECT. Idempotent. Returns
    the number of spans written. Runs inside the caller's transaction (or its own). Both
    statements are bound to the organization: an id of another organization's account
    matches nothing."""
    if account_ids is not None:
        account_ids = sorted({int(pk) for pk in account_ids})
        if not account_ids:
            return 0
    params: dict[str, Any] = {"org": organization.id}
    accounts = _accounts_filter(account_ids, params)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if account_ids is None and connection.vendor == "postgresql":
            # A whole organization (250k contracts): the sorts fit in memory, and JIT would
            # spend ~1 s compiling for a misestimated join (bench/README.md, Retention).
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            f"DELETE FROM {SPANS} WHERE organization_id = %(org)s{accounts}",  # noqa: S608
            params,
        )
        cursor.execute(_REBUILD_SQL.format(accounts=accounts), params)
        return cursor.rowcount
