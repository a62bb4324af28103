"""Does the score predict churn and contraction? The backtest on the organization's own history.

Over the daily snapshots at least `horizon_days` old that precede the account's churn (if any):
- per band, the share of snapshots followed by churn within `horizon_days` (churn day =
  Account.churned_at in the organization's time zone) and the share followed by a
  *contraction*: a day in (snapshot day, snapshot day + horizon] on which the account's ARR
  (Σ arr of its non-void contracts active that day, renewals' definition) fell and stayed
  above zero — contract ends and starts on the same day are netted first, so a renewal at a
  lower price is one contraction and a seamless renewal at the same price none;
- the lift of red over green (churn rate of red ÷ churn rate of green), and the same for
  contraction;
- precision and recall of "red" as a churn signal, per snapshot;
- the median days from an account's first red snapshot to its churn.

Set-based: one aggregate over the snapshots per question (churn days and contraction days are
small per-account sets computed in SQL or from the churned accounts only); no Python loop over
snapshots.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

from django.db import connection

from accounts.models import Account
from healthscore import recompute
from healthscore.models import HealthSnapshot
from renewals.models import Contract, ContractStatus
from tenancy.models import Organization

BANDS = ("green", "yellow", "red")
SNAPSHOTS = HealthSnapshot._meta.db_table
CONTRACTS = Contract._meta.db_table


@dataclass(frozen=True)
class BandOutcome:
    band: str
    snapshots: int
    churned: int
    contracted: int = 0

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.snapshots if self.snapshots else None

    @property
    def contraction_rate(self) -> float | None:
        return self.contracted / self.snapshots if self.snapshots else None


@dataclass(frozen=True)
class Backtest:
    horizon_days: int
    bands: list[BandOutcome]
    lift_red_over_green: float | None
    contraction_lift_red_over_green: float | None
    precision_red: float | None
    recall_red: float | None
    median_lead_days: float | None
    churned_accounts: int
    snapshots: int


def _lift(red: float | None, green: float | None) -> float | None:
    return red / green if red is not None and green else None


def _churn_cte(organization: Organization, horizon_days: int) -> tuple[str, list[Any]]:
    """(account_id, churn_day, window_start) of churned accounts, passed as one JSON value.

    The local churn day needs the organization's time zone (SQLite has none), so it is taken
    in Python over the churned accounts only; window_start = churn_day - horizon, so "churned
    within the horizon after day d" is `window_start <= d < churn_day` without date arithmetic
    in SQL."""
    rows = [
        {
            "a": account_id,
            "d": (day := recompute.local_date(organization, churned_at)).isoformat(),
            "w": (day - timedelta(days=horizon_days)).isoformat(),
        }
        for account_id, churned_at in Account.objects.filter(
            organization=organization, churned_at__isnull=False
        ).values_list("id", "churned_at")
    ]
    payload = json.dumps(rows)
    if connection.vendor == "postgresql":
        sql = (
            "SELECT a AS account_id, d AS churn_day, w AS window_start "
            "FROM jsonb_to_recordset(%s::jsonb) AS r(a bigint, d date, w date)"
        )
    else:
        sql = (
            "SELECT json_extract(value, '$.a') AS account_id, json_extract(value, '$.d') "
            "AS churn_day, json_extract(value, '$.w') AS window_start FROM json_each(%s)"
        )
    return sql, [payload]


def _minus_days(column: str, days: int) -> str:
    if connection.vendor == "postgresql":
        return f"({column} - {int(days)})"
    return f"date({column}, '-{int(days)} day')"


def _contraction_cte(horizon_days: int) -> str:
    """(account_id, day, window_start) for every day an account's ARR fell and stayed > 0."""
    void = ContractStatus.VOID.value
    where = "c.organization_id = %(org)s AND c.status <> '" + void + "'"
    return f"""
      deltas AS (
        SELECT c.account_id AS account_id, c.start_date AS d, c.arr_cents AS delta
        FROM {CONTRACTS} c WHERE {where}
        UNION ALL
        SELECT c.account_id, c.end_date, -c.arr_cents FROM {CONTRACTS} c WHERE {where}
      ),
      per_day AS (
        SELECT account_id, d, SUM(delta) AS net FROM deltas GROUP BY account_id, d
      ),
      running AS (
        SELECT account_id, d, net,
          SUM(net) OVER (PARTITION BY account_id ORDER BY d
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS arr_after
        FROM per_day
      ),
      contraction AS (
        SELECT account_id, d AS day, {_minus_days("d", horizon_days)} AS window_start
        FROM running WHERE net < 0 AND arr_after > 0
      )"""  # noqa: S608


def _fetch(sql: str, params: list[Any] | dict[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def health_backtest(
    *, organization: Organization, horizon_days: int = 90, today: date | None = None
) -> Backtest:
    today = today or recompute.organization_today(organization)
    cutoff = today - timedelta(days=horizon_days)
    churn_sql, churn_params = _churn_cte(organization, horizon_days)
    # Named parameters throughout: the JSON payload goes in as %(churn)s.
    churn_sql = churn_sql.replace("%s", "%(churn)s")
    params = {"org": organization.id, "cutoff": cutoff, "churn": churn_params[0]}
    eligible = f"""
        FROM {SNAPSHOTS} s LEFT JOIN churn ch ON ch.account_id = s.account_id
        WHERE s.organization_id = %(org)s AND s.day <= %(cutoff)s
          AND (ch.churn_day IS NULL OR ch.churn_day > s.day)"""
    band_rows = _fetch(
        f"""WITH churn AS ({churn_sql})
        SELECT s.band, COUNT(*),
          SUM(CASE WHEN ch.window_start <= s.day THEN 1 ELSE 0 END)
        {eligible}
        GROUP BY s.band""",
        params,
    )
    contracted_rows = _fetch(
        f"""WITH churn AS ({churn_sql}), {_contraction_cte(horizon_days)}
        SELECT s.band, COUNT(DISTINCT s.id)
        FROM {SNAPSHOTS} s
        JOIN contraction k ON k.account_id = s.account_id
             AND k.day > s.day AND k.window_start <= s.day
        LEFT JOIN churn ch ON ch.account_id = s.account_id
        WHERE s.organization_id = %(org)s AND s.day <= %(cutoff)s
          AND (ch.churn_day IS NULL OR ch.churn_day > s.day)
        GROUP BY s.band""",  # noqa: S608
        params,
    )
    first_red = _fetch(
        f"""WITH churn AS ({churn_sql})
        SELECT s.account_id, MIN(s.day), MIN(ch.churn_day)
        {eligible} AND s.band = 'red' AND ch.churn_day IS NOT NULL
        GROUP BY s.account_id""",
        params,
    )
    counts = {band: (int(total), int(churned or 0)) for band, total, churned in band_rows}
    contracted = {band: int(n) for band, n in contracted_rows}
    bands = [
        BandOutcome(b, counts.get(b, (0, 0))[0], counts.get(b, (0, 0))[1], contracted.get(b, 0))
        for b in BANDS
    ]
    green, red = bands[0], bands[2]
    true_positive = red.churned
    false_positive = red.snapshots - red.churned
    false_negative = sum(b.churned for b in bands if b.band != "red")
    leads = [(_day(churn) - _day(first)).days for _a, first, churn in first_red]
    return Backtest(
        horizon_days=horizon_days,
        bands=bands,
        lift_red_over_green=_lift(red.churn_rate, green.churn_rate),
        contraction_lift_red_over_green=_lift(red.contraction_rate, green.contraction_rate),
        precision_red=true_positive / (true_positive + false_positive)
        if true_positive + false_positive
        else None,
        recall_red=true_positive / (true_positive + false_negative)
        if true_positive + false_negative
        else None,
        median_lead_days=float(median(leads)) if leads else None,
        churned_accounts=len(json.loads(params["churn"])),
        snapshots=sum(b.snapshots for b in bands),
    )


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
