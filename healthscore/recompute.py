"""Set-based recompute of health scores for one organization (DESIGN.md, healthscore).

`metrics_compute` reads one aggregate query over `EventDaily` (plus one each over contacts,
adjustments, sentiment inputs and outcome inputs) for all accounts — or a claimed subset — as
of a day; `score_compute` then combines the rows in one vectorised pass (pure Python over tuples, no query per account).
`scores_write` compares fingerprints and writes only what moved: HealthScore upsert, the
Account.health_* columns in one UPDATE … FROM, today's snapshot upsert, and alerts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from healthscore import scoring, signals
from healthscore.inputs import NEGATIVE_BELOW
from healthscore.models import (
    Event,
    EventDaily,
    HealthAdjustment,
    HealthAlert,
    HealthDirty,
    HealthInput,
    HealthInputKind,
    HealthScore,
    HealthSnapshot,
)
from healthscore.sql import bulk_update_from_values, bulk_upsert, is_postgresql
from tenancy.models import Organization
from tenancy.timezones import local_date, organization_today  # noqa: F401 (re-exported)

SCORE_DROP_POINTS = 15
SCORE_DROP_DAYS = 14
DIRTY_CLAIM = 10_000
SENTIMENT_DAYS = 90


def day_end(organization: Organization, day: date) -> datetime:
    tz = ZoneInfo(organization.time_zone)
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


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


@dataclass(frozen=True)
class RecomputeOutcome:
    accounts: int
    changed: int
    alerts: int


def scores_write(
    *,
    organization: Organization,
    model: scoring.ModelConfig,
    metrics: dict[int, scoring.Metrics],
    today: date,
) -> RecomputeOutcome:
    """Score and write only what moved (fingerprint of model version + metrics differs):
    HealthScore upsert, Account.health_* in one UPDATE … FROM, today's snapshot upsert for
    changed accounts and accounts without one, alerts. In the caller's transaction; alert
    signals are sent after commit."""
    now = timezone.now()
    ids = list(metrics)
    id_sql, id_params = _account_filter("account_id", ids if len(ids) < 50_000 else None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT account_id, fingerprint, score, band FROM {HealthScore._meta.db_table} "  # noqa: S608
            f"WHERE organization_id = %s{id_sql}",
            [organization.pk, *id_params],
        )
        previous = {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT account_id FROM {HealthSnapshot._meta.db_table} "  # noqa: S608
            f"WHERE organization_id = %s AND day = %s{id_sql}",
            [organization.pk, today, *id_params],
        )
        has_snapshot = {row[0] for row in cursor.fetchall()}

    fingerprints: dict[int, str] = {}
    changed: list[int] = []
    for account_id, account_metrics in metrics.items():
        fingerprint = scoring.metrics_fingerprint(account_metrics, model.version)
        old = previous.get(account_id)
        if old is None or old[0] != fingerprint:
            changed.append(account_id)
            fingerprints[account_id] = fingerprint
    changed_set = set(changed)
    snapshot_ids = [i for i in ids if i in changed_set or i not in has_snapshot]
    results = {i: scoring.score_compute(metrics[i], model) for i in snapshot_ids}

    score_rows = [
        (
            organization.pk,
            account_id,
            model.version,
            results[account_id].score,
            results[account_id].band,
            results[account_id].components,
            results[account_id].drivers,
            results[account_id].adjustment,
            fingerprints[account_id],
            now,
        )
        for account_id in changed
    ]
    bulk_upsert(
        HealthScore._meta.db_table,
        [
            ("organization_id", "bigint"),
            ("account_id", "bigint"),
            ("model_version", "integer"),
            ("score", "integer"),
            ("band", "text"),
            ("components", "jsonb"),
            ("drivers", "jsonb"),
            ("adjustment", "integer"),
            ("fingerprint", "text"),
            ("computed_at", "timestamptz"),
        ],
        score_rows,
        on_conflict=(
            "ON CONFLICT (organization_id, account_id) DO UPDATE SET "
            "model_version = excluded.model_version, score = excluded.score, "
            "band = excluded.band, components = excluded.components, "
            "drivers = excluded.drivers, adjustment = excluded.adjustment, "
            "fingerprint = excluded.fingerprint, computed_at = excluded.computed_at"
        ),
    )
    moved = [
        i
        for i in changed
        if i not in previous
        or (previous[i][1], previous[i][2]) != (results[i].score, results[i].band)
    ]
    bulk_update_from_values(
        "accounts_account",
        ("id", "bigint"),
        [("health_score", "integer"), ("health_band", "text")],
        [(i, results[i].score, results[i].band) for i in moved],
        where="accounts_account.organization_id = %s",
        where_params=[organization.pk],
        extra_set="health_computed_at = %s",
        extra_params=[now],
    )
    snapshots_write(
        organization=organization,
        model=model,
        results=results,
        day=today,
        account_ids=snapshot_ids,
    )
    alerts = alerts_record(
        organization=organization,
        results=results,
        previous={
            i: (previous[i][1], previous[i][2])
            for i in changed
            if i in previous and results[i].score < previous[i][1]
        },
        today=today,
    )
    return RecomputeOutcome(accounts=len(metrics), changed=len(changed), alerts=alerts)


def snapshots_write(
    *,
    organization: Organization,
    model: scoring.ModelConfig,
    results: dict[int, scoring.Result],
    day: date,
    account_ids: Iterable[int],
) -> None:
    rows = [
        (
            organization.pk,
            account_id,
            day,
            model.version,
            results[account_id].score,
            results[account_id].band,
            scoring.component_scores(results[account_id].components),
        )
        for account_id in account_ids
    ]
    bulk_upsert(
        HealthSnapshot._meta.db_table,
        [
            ("organization_id", "bigint"),
            ("account_id", "bigint"),
            ("day", "date"),
            ("model_version", "integer"),
            ("score", "integer"),
            ("band", "text"),
            ("components", "jsonb"),
        ],
        rows,
        on_conflict=(
            "ON CONFLICT (organization_id, account_id, day) DO UPDATE SET "
            "model_version = excluded.model_version, score = excluded.score, "
            "band = excluded.band, components = excluded.components"
        ),
    )


def alerts_record(
    *,
    organization: Organization,
    results: dict[int, scoring.Result],
    previous: dict[int, tuple[int, str]],
    today: date,
) -> int:
    """Band drops and ≥15-point drops in 14 days, once each (HealthAlert's unique key; a score
    drop is one episode: none is recorded while another is younger than 14 days)."""
    if not previous:
        return 0
    candidates: list[HealthAlert] = []
    since = today - timedelta(days=SCORE_DROP_DAYS)
    ids = list(previous)
    peaks: dict[int, int] = {}
    recent_drops: set[int] = set()
    for start in range(0, len(ids), 5000):
        part = ids[start : start + 5000]
        for account_id, peak in (
            HealthSnapshot.objects.filter(
                organization=organization, account_id__in=part, day__gte=since, day__lt=today
            )
            .values_list("account_id")
            .annotate(peak=models_max("score"))
        ):
            peaks[account_id] = peak
        recent_drops.update(
            HealthAlert.objects.filter(
                organization=organization,
                account_id__in=part,
                kind=HealthAlert.Kind.SCORE_DROPPED,
                day__gte=since,
            ).values_list("account_id", flat=True)
        )
    for account_id, (old_score, old_band) in previous.items():
        result = results[account_id]
        if scoring.BAND_RANK.get(result.band, 0) < scoring.BAND_RANK.get(old_band, 0):
            candidates.append(
                HealthAlert(
                    organization=organization,
                    account_id=account_id,
                    kind=HealthAlert.Kind.BAND_CHANGED,
                    day=today,
                    from_band=old_band,
                    to_band=result.band,
                    from_score=old_score,
                    to_score=result.score,
                )
            )
        peak = max(peaks.get(account_id, old_score), old_score)
        if peak - result.score >= SCORE_DROP_POINTS and account_id not in recent_drops:
            candidates.append(
                HealthAlert(
                    organization=organization,
                    account_id=account_id,
                    kind=HealthAlert.Kind.SCORE_DROPPED,
                    day=today,
                    from_band=old_band,
                    to_band=result.band,
                    from_score=peak,
                    to_score=result.score,
                )
            )
    if not candidates:
        return 0
    existing = set(
        HealthAlert.objects.filter(
            organization=organization,
            day=today,
            account_id__in=[c.account_id for c in candidates],
        ).values_list("account_id", "kind")
    )
    new = [c for c in candidates if (c.account_id, c.kind) not in existing]
    HealthAlert.objects.bulk_create(new, ignore_conflicts=True)
    for alert in new:
        transaction.on_commit(partial(signals.alert_send, alert))
    return len(new)


def models_max(field: str):
    from django.db.models import Max

    return Max(field)


def dirty_claim(*, organization: Organization, limit: int = DIRTY_CLAIM) -> list[int]:
    """Delete up to `limit` dirty marks and return their accounts (two sweeps never share a
    row: PostgreSQL skips rows another transaction holds; SQLite serialises writers)."""
    table = HealthDirty._meta.db_table
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "  # noqa: S608
                "WHERE organization_id = %s ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) "
                "RETURNING account_id",
                [organization.pk, limit],
            )
        else:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "  # noqa: S608
                "WHERE organization_id = %s ORDER BY id LIMIT %s) RETURNING account_id",
                [organization.pk, limit],
            )
        return [row[0] for row in cursor.fetchall()]


def events_exist(*, organization: Organization) -> bool:
    return Event.objects.filter(organization=organization).exists()
