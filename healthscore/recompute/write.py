"""Writes of a recompute: only what moved (DESIGN.md, healthscore).

`scores_write` compares fingerprints and writes only what moved: HealthScore upsert, the
Account.health_* columns in one UPDATE … FROM, today's snapshot upsert, and alerts (band
drops and ≥15-point drops, once each, signalled after commit). `dirty_claim` hands the
sweeper the accounts marked dirty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from healthscore import scoring, signals
from healthscore.models import Event, HealthAlert, HealthDirty, HealthScore, HealthSnapshot
from healthscore.recompute.metrics import _account_filter
from healthscore.sql import bulk_update_from_values, bulk_upsert, is_postgresql
from tenancy.models import Organization

SCORE_DROP_POINTS = 15
SCORE_DROP_DAYS = 14
DIRTY_CLAIM = 10_000


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
            .annotate(peak=Max("score"))
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
