"""Per-account metrics as of a day, read set-based (DESIGN.md, healthscore).

`metrics_compute` reads one aggregate query over `EventDaily` (plus one each over contacts,
adjustments, sentiment inputs and outcome inputs) for all accounts — or a claimed subset — as
of a day; `results_compute` scores them in one pass over tuples (no query per account).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from healthscore import scoring
from healthscore.inputs import NEGATIVE_BELOW
from healthscore.models import EventDaily, HealthAdjustment, HealthInput, HealthInputKind
from healthscore.sql import is_postgresql
from tenancy.models import Organization
from tenancy.timezones import local_moment

SENTIMENT_DAYS = 90


def day_end(organization: Organization, day: date) -> datetime:
    return local_moment(organization, day + timedelta(days=1))


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _account_filter(column: str, account_ids: Sequence[int] | None) -> tuple[str, list]:
    if account_ids is None:
        return "", []
    if is_postgresql():
        return f" AND {column} = ANY(%s)", [list(account_ids)]
    return f" AND {column} IN ({', '.join(['%s'] * len(account_ids))})", list(account_ids)


def metrics_compute(
    *,
    organization: Organization,
    model: scoring.ModelConfig,
    as_of: date,
    account_ids: Sequence[int] | None = None,
) -> dict[int, scoring.Metrics]:
    """Metrics of every account of the organization (or of `account_ids`) as of `as_of`."""
    d30 = as_of - timedelta(days=29)
    d60 = as_of - timedelta(days=59)
    event_daily = EventDaily._meta.db_table
    key_names = [f"feature.{key}" for key in model.key_features]
    # Breadth: per key feature, 1 if used in the window; kind = 2 first so the text
    # comparison only runs on feature rows.
    breadth = (
        " + ".join(
            ["MAX(CASE WHEN kind = 2 AND day >= %s AND name = %s THEN 1 ELSE 0 END)"]
            * len(key_names)
        )
        or "0"
    )
    breadth_params: list = [value for name in key_names for value in (d30, name)]
    account_sql, account_params = _account_filter("account_id", account_ids)
    # One pass, integer comparisons only (kind: 1 login, 2 feature, 3/4 ticket opened/closed,
    # 5/6 invoice overdue/paid); a hash aggregate per account, parallel on PostgreSQL.
    sql = f"""
        SELECT account_id,
          {breadth},
          SUM(CASE WHEN kind IN (1, 2) AND day >= %s THEN count ELSE 0 END),
          SUM(CASE WHEN kind IN (1, 2) AND day >= %s AND day < %s THEN count ELSE 0 END),
          MAX(CASE WHEN kind IN (1, 2) THEN day END),
          SUM(CASE WHEN kind = 3 THEN count WHEN kind = 4 THEN -count ELSE 0 END),
          SUM(CASE WHEN kind = 3 AND day >= %s THEN count ELSE 0 END),
          MAX(CASE WHEN kind = 5 THEN day END),
          MAX(CASE WHEN kind = 6 THEN day END)
        FROM {event_daily}
        WHERE organization_id = %s AND day <= %s AND (day >= %s OR kind >= 3){account_sql}
        GROUP BY account_id
    """  # noqa: S608
    params = [*breadth_params, d30, d60, d30, d30, organization.pk, as_of, d60, *account_params]
    rollups: dict[int, tuple] = {}
    with connection.cursor() as cursor:
        if is_postgresql() and connection.in_atomic_block:
            # One hash-aggregate group per account (~200 bytes): 4 MB would spill to disk.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            rollups[row[0]] = row

        contact_sql, contact_params = _account_filter("c.account_id", account_ids)
        cursor.execute(
            f"""
            SELECT c.account_id, COUNT(*),
              SUM(CASE WHEN a.last_login_day >= %s AND a.last_login_day <= %s THEN 1 ELSE 0 END)
            FROM accounts_contact c
            LEFT JOIN healthscore_contactactivity a
              ON a.contact_id = c.id AND a.organization_id = c.organization_id
            WHERE c.organization_id = %s{contact_sql}
            GROUP BY c.account_id
            """,  # noqa: S608
            [d30, as_of, organization.pk, *contact_params],
        )
        contacts = {row[0]: (row[1], row[2] or 0) for row in cursor.fetchall()}

        end = day_end(organization, as_of)
        adjustment_sql, adjustment_params = _account_filter("account_id", account_ids)
        cursor.execute(
            f"""
            SELECT account_id, SUM(points) FROM {HealthAdjustment._meta.db_table}
            WHERE organization_id = %s AND created_at < %s AND expires_at > %s{adjustment_sql}
            GROUP BY account_id
            """,  # noqa: S608
            [organization.pk, end, min(end, timezone.now()), *adjustment_params],
        )
        adjustments = {row[0]: int(row[1]) for row in cursor.fetchall()}

        inputs = HealthInput._meta.db_table
        input_sql, input_params = _account_filter("account_id", account_ids)
        cursor.execute(
            f"""
            SELECT account_id, COUNT(*), SUM(value),
              SUM(CASE WHEN value < %s THEN 1 ELSE 0 END)
            FROM {inputs}
            WHERE organization_id = %s AND kind = %s AND day >= %s AND day <= %s
              AND value IS NOT NULL{input_sql}
            GROUP BY account_id
            """,  # noqa: S608
            [
                NEGATIVE_BELOW,
                organization.pk,
                HealthInputKind.SENTIMENT.value,
                as_of - timedelta(days=SENTIMENT_DAYS - 1),
                as_of,
                *input_params,
            ],
        )
        sentiments = {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in cursor.fetchall()}
        # Outcomes: the latest row of each subject on or before the day (the unique index
        # (organization, kind, subject, day) answers the correlated MAX).
        outcome_sql, outcome_params = _account_filter("s.account_id", account_ids)
        cursor.execute(
            f"""
            SELECT s.account_id, COUNT(*), SUM(s.value),
              SUM(CASE WHEN s.value < 100 THEN 1 ELSE 0 END)
            FROM {inputs} s
            WHERE s.organization_id = %s AND s.kind = %s AND s.day <= %s
              AND s.value IS NOT NULL{outcome_sql}
              AND s.day = (
                SELECT MAX(t.day) FROM {inputs} t
                WHERE t.organization_id = s.organization_id AND t.kind = s.kind
                  AND t.subject = s.subject AND t.day <= %s
              )
            GROUP BY s.account_id
            """,  # noqa: S608
            [
                organization.pk,
                HealthInputKind.OUTCOME.value,
                as_of,
                *outcome_params,
                as_of,
            ],
        )
        outcomes = {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in cursor.fetchall()}

        ids_sql, ids_params = _account_filter("id", account_ids)
        cursor.execute(
            f"SELECT id FROM accounts_account WHERE organization_id = %s{ids_sql}",  # noqa: S608
            [organization.pk, *ids_params],
        )
        all_ids = [row[0] for row in cursor.fetchall()]

    # Usage older than the 60-day window only matters for accounts quiet inside it (recency
    # "no activity for N days"): read their last usage day through the unique index.
    quiet = [account_id for account_id, row in rollups.items() if row[4] is None]
    quiet_set = set(quiet)
    quiet += [account_id for account_id in all_ids if account_id not in rollups]
    for start in range(0, len(quiet), 5000):
        part = quiet[start : start + 5000]
        quiet_sql, quiet_params = _account_filter("account_id", part)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT account_id, MAX(day) FROM {event_daily} "  # noqa: S608
                f"WHERE organization_id = %s AND day < %s AND kind IN (1, 2){quiet_sql} "
                "GROUP BY account_id",
                [organization.pk, d60, *quiet_params],
            )
            for account_id, last_day in cursor.fetchall():
                if account_id in quiet_set:
                    row = rollups[account_id]
                    rollups[account_id] = (*row[:4], last_day, *row[5:])
                else:
                    rollups[account_id] = (account_id, 0, 0, 0, last_day, 0, 0, None, None)

    result: dict[int, scoring.Metrics] = {}
    empty: tuple = (None, 0, 0, 0, None, 0, 0, None, None)
    for account_id in all_ids:
        row = rollups.get(account_id, empty)
        last_usage = _as_date(row[4])
        last_overdue, last_paid = _as_date(row[7]), _as_date(row[8])
        contact_total, contact_active = contacts.get(account_id, (0, 0))
        sentiment = sentiments.get(account_id, (0, 0, 0))
        outcome = outcomes.get(account_id, (0, 0, 0))
        result[account_id] = scoring.Metrics(
            features_used=int(row[1] or 0),
            usage_30=int(row[2] or 0),
            usage_prev_30=int(row[3] or 0),
            days_since_usage=(as_of - last_usage).days if last_usage else None,
            open_tickets=int(row[5] or 0),
            opened_30=int(row[6] or 0),
            billing_overdue=None
            if last_overdue is None and last_paid is None
            else (last_overdue is not None and (last_paid is None or last_overdue > last_paid)),
            contacts=int(contact_total),
            active_contacts=int(contact_active),
            adjustment=adjustments.get(account_id, 0),
            sentiment_count=sentiment[0],
            sentiment_sum=sentiment[1],
            sentiment_negative=sentiment[2],
            outcome_count=outcome[0],
            outcome_sum=outcome[1],
            outcome_bad=outcome[2],
        )
    return result


def results_compute(
    metrics: dict[int, scoring.Metrics], model: scoring.ModelConfig
) -> dict[int, scoring.Result]:
    return {account_id: scoring.score_compute(m, model) for account_id, m in metrics.items()}
