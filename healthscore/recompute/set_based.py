"""The recompute as set-based SQL on PostgreSQL: metrics, scores and writes in a few statements.

The same formula as healthscore/scoring.py (the reference, used on SQLite and by the what-if
preview and the history rebuild), written as SQL so the whole organization is scored in the
database with no Python loop per account (DESIGN.md, healthscore > Recompute):

1. `hs_metrics` (temporary table): one row per account with the fields of `scoring.Metrics`,
   from one aggregate over EventDaily plus the contacts, adjustments and inputs aggregates.
2. One statement: the accounts whose fingerprint (model version + metrics) moved, or that have
   no snapshot today, scored in SQL (score, band, components and drivers), then written by
   data-modifying CTEs: HealthScore upsert (changed), Account.health_* (score or band moved),
   today's snapshots, alerts (`INSERT … ON CONFLICT DO NOTHING RETURNING`, signalled after
   commit).

The formula's SQL is in formula_sql.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from healthscore import scoring, signals
from healthscore.inputs import NEGATIVE_BELOW
from healthscore.models import (
    EventDaily,
    HealthAdjustment,
    HealthAlert,
    HealthInput,
    HealthInputKind,
    HealthScore,
    HealthSnapshot,
)
from healthscore.recompute.formula_sql import scored_select
from healthscore.recompute.metrics import SENTIMENT_DAYS, day_end
from healthscore.recompute.write import SCORE_DROP_DAYS, SCORE_DROP_POINTS, RecomputeOutcome
from tenancy.models import Organization

MASK_BITS = 62  # key features counted through a bigint mask; more fall back to one MAX each
METRIC_FIELDS = (
    "features_used",
    "usage_30",
    "usage_prev_30",
    "days_since_usage",
    "open_tickets",
    "opened_30",
    "billing_overdue",
    "contacts",
    "active_contacts",
    "adjustment",
    "sentiment_count",
    "sentiment_sum",
    "sentiment_negative",
    "outcome_count",
    "outcome_sum",
    "outcome_bad",
)


def metrics_select(
    *,
    organization: Organization,
    model: scoring.ModelConfig,
    as_of: date,
    account_ids: Sequence[int] | None = None,
) -> tuple[str, dict[str, Any]]:
    """A SELECT of (account_id, *METRIC_FIELDS) for every account (or `account_ids`) as of
    `as_of`: the statements of metrics.metrics_compute joined in one query."""
    d30 = as_of - timedelta(days=29)
    d60 = as_of - timedelta(days=59)
    end = day_end(organization, as_of)
    params: dict[str, Any] = {
        "org": organization.pk,
        "as_of": as_of,
        "d30": d30,
        "d60": d60,
        "end": end,
        "adjust_after": min(end, timezone.now()),
        "negative_below": NEGATIVE_BELOW,
        "sentiment_kind": HealthInputKind.SENTIMENT.value,
        "sentiment_from": as_of - timedelta(days=SENTIMENT_DAYS - 1),
        "outcome_kind": HealthInputKind.OUTCOME.value,
    }
    for index, key in enumerate(model.key_features):
        params[f"key{index}"] = f"feature.{key}"
    only = ""
    if account_ids is not None:
        params["ids"] = list(account_ids)
        only = " AND account_id = ANY(%(ids)s)"
    # Breadth: a bitmask of the key features used in the window (one BIT_OR; a MAX per feature
    # was 16% slower with the FILTERs below), counted per account in `joined`.
    keys = len(model.key_features)
    if 0 < keys <= MASK_BITS:
        bits = " ".join(f"WHEN %(key{index})s THEN {1 << index}" for index in range(keys))
        breadth = (
            f"BIT_OR(CASE name {bits} ELSE 0 END::bigint) "
            "FILTER (WHERE kind = 2 AND day >= %(d30)s)"
        )
        breadth_count = " + ".join(
            f"(CASE WHEN ev.features_used & {1 << index} <> 0 THEN 1 ELSE 0 END)"
            for index in range(keys)
        )
    else:
        breadth = (
            " + ".join(
                f"MAX(CASE WHEN kind = 2 AND day >= %(d30)s AND name = %(key{index})s "
                "THEN 1 ELSE 0 END)"
                for index in range(keys)
            )
            or "0"
        )
        breadth_count = "ev.features_used"
    event_daily = EventDaily._meta.db_table
    inputs = HealthInput._meta.db_table
    sql = f"""
      WITH ev AS (
        SELECT account_id,
          {breadth} AS features_used,
          SUM(count) FILTER (WHERE kind IN (1, 2) AND day >= %(d30)s) AS usage_30,
          SUM(count) FILTER (WHERE kind IN (1, 2) AND day < %(d30)s) AS usage_prev_30,
          MAX(day) FILTER (WHERE kind IN (1, 2)) AS last_usage,
          SUM(CASE WHEN kind = 3 THEN count ELSE -count END) FILTER (WHERE kind IN (3, 4))
            AS open_tickets,
          SUM(count) FILTER (WHERE kind = 3 AND day >= %(d30)s) AS opened_30,
          MAX(day) FILTER (WHERE kind = 5) AS last_overdue,
          MAX(day) FILTER (WHERE kind = 6) AS last_paid
        FROM {event_daily}
        WHERE organization_id = %(org)s AND day <= %(as_of)s
          AND (day >= %(d60)s OR kind >= 3){only}
        GROUP BY account_id
      ), ct AS (
        SELECT c.account_id, COUNT(*) AS contacts,
          SUM(CASE WHEN a.last_login_day >= %(d30)s AND a.last_login_day <= %(as_of)s
                   THEN 1 ELSE 0 END) AS active_contacts
        FROM accounts_contact c
        LEFT JOIN healthscore_contactactivity a
          ON a.contact_id = c.id AND a.organization_id = c.organization_id
        WHERE c.organization_id = %(org)s{only.replace("account_id", "c.account_id")}
        GROUP BY c.account_id
      ), adj AS (
        SELECT account_id, SUM(points) AS points FROM {HealthAdjustment._meta.db_table}
        WHERE organization_id = %(org)s AND created_at < %(end)s
          AND expires_at > %(adjust_after)s{only}
        GROUP BY account_id
      ), sent AS (
        SELECT account_id, COUNT(*) AS n, SUM(value) AS total,
          SUM(CASE WHEN value < %(negative_below)s THEN 1 ELSE 0 END) AS negative
        FROM {inputs}
        WHERE organization_id = %(org)s AND kind = %(sentiment_kind)s
          AND day >= %(sentiment_from)s AND day <= %(as_of)s AND value IS NOT NULL{only}
        GROUP BY account_id
      ), outc AS (
        SELECT s.account_id, COUNT(*) AS n, SUM(s.value) AS total,
          SUM(CASE WHEN s.value < 100 THEN 1 ELSE 0 END) AS bad
        FROM {inputs} s
        WHERE s.organization_id = %(org)s AND s.kind = %(outcome_kind)s AND s.day <= %(as_of)s
          AND s.value IS NOT NULL{only.replace("account_id", "s.account_id")}
          AND s.day = (
            SELECT MAX(t.day) FROM {inputs} t
            WHERE t.organization_id = s.organization_id AND t.kind = s.kind
              AND t.subject = s.subject AND t.day <= %(as_of)s
          )
        GROUP BY s.account_id
      ), joined AS (
        SELECT a.id AS account_id, {breadth_count} AS features_used, ev.usage_30,
          ev.usage_prev_30,
          COALESCE(ev.last_usage, (
            -- quiet inside the 60-day window: the last usage day before it (unique index)
            SELECT MAX(o.day) FROM {event_daily} o
            WHERE o.organization_id = %(org)s AND o.account_id = a.id AND o.day < %(d60)s
              AND o.kind IN (1, 2)
          )) AS last_usage,
          ev.open_tickets, ev.opened_30, ev.last_overdue, ev.last_paid,
          ct.contacts, ct.active_contacts, adj.points,
          sent.n AS sentiment_count, sent.total AS sentiment_sum,
          sent.negative AS sentiment_negative,
          outc.n AS outcome_count, outc.total AS outcome_sum, outc.bad AS outcome_bad
        FROM accounts_account a
        LEFT JOIN ev ON ev.account_id = a.id
        LEFT JOIN ct ON ct.account_id = a.id
        LEFT JOIN adj ON adj.account_id = a.id
        LEFT JOIN sent ON sent.account_id = a.id
        LEFT JOIN outc ON outc.account_id = a.id
        WHERE a.organization_id = %(org)s{only.replace("account_id", "a.id")}
      )
      SELECT account_id,
        COALESCE(features_used, 0)::int AS features_used,
        COALESCE(usage_30, 0)::bigint AS usage_30,
        COALESCE(usage_prev_30, 0)::bigint AS usage_prev_30,
        (%(as_of)s::date - last_usage)::int AS days_since_usage,
        COALESCE(open_tickets, 0)::bigint AS open_tickets,
        COALESCE(opened_30, 0)::bigint AS opened_30,
        CASE WHEN last_overdue IS NULL AND last_paid IS NULL THEN NULL
             ELSE last_overdue IS NOT NULL AND (last_paid IS NULL OR last_overdue > last_paid)
        END AS billing_overdue,
        COALESCE(contacts, 0)::int AS contacts,
        COALESCE(active_contacts, 0)::int AS active_contacts,
        COALESCE(points, 0)::int AS adjustment,
        COALESCE(sentiment_count, 0)::int AS sentiment_count,
        COALESCE(sentiment_sum, 0)::bigint AS sentiment_sum,
        COALESCE(sentiment_negative, 0)::int AS sentiment_negative,
        COALESCE(outcome_count, 0)::int AS outcome_count,
        COALESCE(outcome_sum, 0)::bigint AS outcome_sum,
        COALESCE(outcome_bad, 0)::int AS outcome_bad
      FROM joined
    """  # noqa: S608
    return sql, params


def _fingerprint_expression(version: int) -> str:
    fields = ", ".join(f"COALESCE(m.{name}::text, '-')" for name in METRIC_FIELDS)
    return f"left(md5(concat_ws('|', '{int(version)}', {fields})), 16)"


# write.alerts_record in SQL, as CTEs over `result`: a band drop, and a drop of ≥ 15 points
# from the peak of the last 14 days unless a score drop was recorded in those days; once per
# (account, kind, day) by the unique key.
_RANK = "CASE {} WHEN 'green' THEN 2 WHEN 'yellow' THEN 1 ELSE 0 END"
_ALERTS = f"""
  dropped AS (
    SELECT s.account_id, s.score, s.band, s.prev_score, s.prev_band
    FROM result s
    WHERE s.changed AND s.prev_score IS NOT NULL AND s.score < s.prev_score
  ), peaks AS (
    SELECT d.*, GREATEST(d.prev_score, (
        SELECT MAX(n.score) FROM {HealthSnapshot._meta.db_table} n
        WHERE n.organization_id = %(org)s AND n.account_id = d.account_id
          AND n.day >= %(since)s AND n.day < %(as_of)s)) AS peak,
      EXISTS (SELECT 1 FROM {HealthAlert._meta.db_table} r
        WHERE r.organization_id = %(org)s AND r.account_id = d.account_id
          AND r.kind = 'score_dropped' AND r.day >= %(since)s) AS recent_drop
    FROM dropped d
  ), alerts AS (
    INSERT INTO {HealthAlert._meta.db_table} (organization_id, account_id, kind, day,
      from_band, to_band, from_score, to_score, created_at)
    SELECT %(org)s, account_id, 'band_changed', %(as_of)s, prev_band, band, prev_score,
      score, %(now)s
    FROM peaks WHERE {_RANK.format("band")} < {_RANK.format("prev_band")}
    UNION ALL
    SELECT %(org)s, account_id, 'score_dropped', %(as_of)s, prev_band, band, peak, score,
      %(now)s
    FROM peaks WHERE peak - score >= %(drop)s AND NOT recent_drop
    ON CONFLICT DO NOTHING
    RETURNING id
  )"""  # noqa: S608


# ---------------------------------------------------------------------------------------------
# The recompute
# ---------------------------------------------------------------------------------------------
def recompute(
    *,
    organization: Organization,
    model: scoring.ModelConfig,
    as_of: date,
    account_ids: Sequence[int] | None = None,
) -> RecomputeOutcome:
    """Score every account (or `account_ids`) as of `as_of` and write what moved. In the
    caller's transaction (PostgreSQL); alert signals are sent after commit."""
    now = timezone.now()
    metrics_sql, params = metrics_select(
        organization=organization, model=model, as_of=as_of, account_ids=account_ids
    )
    params.update({"now": now, "version": model.version})
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        # JIT-compiled expressions speed the aggregate up (~10%); LLVM's inlining and
        # optimisation passes, which its cost starts, took 2.1 s of compiling for 100k accounts.
        cursor.execute("SET LOCAL jit_inline_above_cost = -1")
        cursor.execute("SET LOCAL jit_optimize_above_cost = -1")
        cursor.execute("DROP TABLE IF EXISTS hs_metrics")
        cursor.execute(
            f"CREATE TEMP TABLE hs_metrics ON COMMIT DROP AS "  # noqa: S608
            f"SELECT m.*, {_fingerprint_expression(model.version)} AS fingerprint "
            f"FROM ({metrics_sql}) m",
            params,
        )
        # The scoring's wide expressions run once per account: compiling them costs more than
        # it saves.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SELECT COUNT(*) FROM hs_metrics")
        accounts = cursor.fetchone()[0]
        # One statement: the rows to (re)score (fingerprint moved, or no snapshot today),
        # scored once in memory and written by data-modifying CTEs (a temporary table read
        # four times cost ~0.4 s more for 63k accounts). Every part sees the data as it was
        # before the statement: the alerts read the previous days' snapshots.
        cursor.execute(
            f"""
            WITH todo AS (
              SELECT m.*, p.score AS prev_score, p.band AS prev_band,
                p.fingerprint IS DISTINCT FROM m.fingerprint AS changed
              FROM hs_metrics m
              LEFT JOIN {HealthScore._meta.db_table} p
                ON p.organization_id = %(org)s AND p.account_id = m.account_id
              WHERE p.fingerprint IS DISTINCT FROM m.fingerprint OR NOT EXISTS (
                SELECT 1 FROM {HealthSnapshot._meta.db_table} n
                WHERE n.organization_id = %(org)s AND n.account_id = m.account_id
                  AND n.day = %(as_of)s)
            ), result AS MATERIALIZED (
              SELECT account_id, fingerprint, changed, prev_score, prev_band, adjustment, score,
                band, components, snapshot, drivers
              FROM ({scored_select(model, "todo")}) scored
            ), upserted AS (
              INSERT INTO {HealthScore._meta.db_table} (organization_id, account_id,
                model_version, score, band, components, drivers, adjustment, fingerprint,
                computed_at)
              SELECT %(org)s, account_id, %(version)s, score, band, components, drivers,
                adjustment, fingerprint, %(now)s
              FROM result WHERE changed
              ON CONFLICT (organization_id, account_id) DO UPDATE SET
                model_version = excluded.model_version, score = excluded.score,
                band = excluded.band, components = excluded.components,
                drivers = excluded.drivers, adjustment = excluded.adjustment,
                fingerprint = excluded.fingerprint, computed_at = excluded.computed_at
              RETURNING 1
            ), moved AS (
              UPDATE accounts_account a SET health_score = s.score, health_band = s.band,
                health_computed_at = %(now)s
              FROM result s
              WHERE a.organization_id = %(org)s AND a.id = s.account_id AND s.changed
                AND (s.prev_score IS NULL OR s.prev_score <> s.score OR s.prev_band <> s.band)
            ), snapshots AS (
              INSERT INTO {HealthSnapshot._meta.db_table} (organization_id, account_id, day,
                model_version, score, band, components)
              SELECT %(org)s, account_id, %(as_of)s, %(version)s, score, band, snapshot
              FROM result
              ON CONFLICT (organization_id, account_id, day) DO UPDATE SET
                model_version = excluded.model_version, score = excluded.score,
                band = excluded.band, components = excluded.components
            ), {_ALERTS}
            SELECT (SELECT COUNT(*) FROM upserted), (SELECT array_agg(id) FROM alerts)
            """,  # noqa: S608
            {
                **params,
                "since": as_of - timedelta(days=SCORE_DROP_DAYS),
                "drop": SCORE_DROP_POINTS,
            },
        )
        changed, alert_ids = cursor.fetchone()
    alerts = list(HealthAlert.objects.filter(organization=organization, pk__in=alert_ids or []))
    for alert in alerts:
        transaction.on_commit(partial(signals.alert_send, alert))
    return RecomputeOutcome(accounts=accounts, changed=changed, alerts=len(alerts))
