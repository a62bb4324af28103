"""Writes of the healthscore app: recompute, model versions, adjustments, history.

Every service takes the organization explicitly and runs in one transaction. Recomputes of
one organization are serialised by locking its active HealthModel row (or, with none, by the
dirty rows they claim), so two sweeps never write the same scores at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from healthscore import recompute, scoring
from healthscore.models import HealthAdjustment, HealthModel, HistoryRecompute
from healthscore.selectors import health_model_active, model_config
from tenancy.models import Organization, User
from tenancy.services import audit_record


def health_score_recompute(
    *, organization: Organization, account_ids: list[int] | None = None
) -> recompute.RecomputeOutcome:
    """Recompute the whole organization (account_ids None) or the given accounts."""
    with transaction.atomic():
        return recompute.accounts_recompute(
            organization=organization,
            model=_model_locked(organization),
            as_of=recompute.organization_today(organization),
            account_ids=account_ids,
        )


def health_dirty_recompute(*, organization: Organization) -> recompute.RecomputeOutcome:
    """Claim the organization's dirty marks and recompute those accounts in one transaction
    (a crash leaves the marks in place for the next sweep)."""
    with transaction.atomic():
        model = _model_locked(organization)
        account_ids = recompute.dirty_claim(organization=organization)
        if not account_ids:
            return recompute.RecomputeOutcome(accounts=0, changed=0, alerts=0)
        return recompute.accounts_recompute(
            organization=organization,
            model=model,
            as_of=recompute.organization_today(organization),
            account_ids=account_ids,
        )


def _model_locked(organization: Organization) -> scoring.ModelConfig:
    row = (
        HealthModel.objects.select_for_update()
        .filter(organization=organization, is_active=True)
        .first()
    )
    return model_config(row)


@dataclass(frozen=True)
class ModelInput:
    weights: dict[str, int]
    thresholds: dict[str, dict[str, float]]
    key_features: list[str]
    green_min: int
    yellow_min: int


def health_model_save(
    *, organization: Organization, data: ModelInput, actor: User | None, api_key=None
) -> HealthModel:
    """Store a new model version, make it the active one, and queue the history recompute."""
    with transaction.atomic():
        current = (
            HealthModel.objects.select_for_update()
            .filter(organization=organization, is_active=True)
            .first()
        )
        last = HealthModel.objects.filter(organization=organization).order_by("-version").first()
        before = (
            _model_dict(current)
            if current
            else _model_dict(health_model_active(organization=organization))
        )
        if current:
            current.is_active = False
            current.save(update_fields=["is_active"])
        model = HealthModel.objects.create(
            organization=organization,
            version=(last.version if last else 0) + 1,
            is_active=True,
            weights=data.weights,
            thresholds=data.thresholds,
            key_features=data.key_features,
            green_min=data.green_min,
            yellow_min=data.yellow_min,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_record(
            organization=organization,
            actor=actor,
            action="health.model.changed",
            target=model,
            before=before,
            after=_model_dict(model),
            api_key=api_key,
        )
        job = HistoryRecompute.objects.create(
            organization=organization, model_version=model.version
        )
        from healthscore.tasks import health_history_recompute_task

        transaction.on_commit(
            lambda: health_history_recompute_task.delay(
                organization_id=organization.pk, job_id=job.pk
            )
        )
    return model


def _model_dict(model: HealthModel) -> dict[str, Any]:
    return {
        "version": model.version,
        "weights": model.weights,
        "thresholds": model.thresholds,
        "key_features": model.key_features,
        "green_min": model.green_min,
        "yellow_min": model.yellow_min,
    }


def health_adjustment_create(
    *,
    organization: Organization,
    account: Account,
    points: int,
    reason: str,
    expires_at: datetime,
    actor: User | None,
) -> HealthAdjustment:
    if account.organization_id != organization.pk:
        raise ValueError("account of another organization")
    with transaction.atomic():
        adjustment = HealthAdjustment.objects.create(
            organization=organization,
            account=account,
            points=points,
            reason=reason,
            expires_at=expires_at,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_record(
            organization=organization,
            actor=actor,
            action="health.adjustment.created",
            target=account,
            after={"points": points, "reason": reason, "expires_at": expires_at.isoformat()},
        )
        recompute.accounts_recompute(
            organization=organization,
            model=_model_locked(organization),
            as_of=recompute.organization_today(organization),
            account_ids=[account.pk],
        )
    return adjustment


def health_history_recompute(*, organization: Organization, job_id: int, days: int = 120) -> int:
    """Recompute every stored snapshot day under the active model version, one set-based pass
    per day (claimed queued → running under SKIP LOCKED; progress committed per day)."""
    with transaction.atomic():
        job = (
            HistoryRecompute.objects.select_for_update(skip_locked=True)
            .filter(organization=organization, pk=job_id, status=HistoryRecompute.Status.QUEUED)
            .first()
        )
        if job is None:
            return 0
        job.status = HistoryRecompute.Status.RUNNING
        job.heartbeat_at = timezone.now()
        job.attempts += 1
        from healthscore.models import HealthSnapshot

        snapshot_days = sorted(
            set(
                HealthSnapshot.objects.filter(organization=organization)
                .values_list("day", flat=True)
                .distinct()
            )
        )
        job.days_total = len(snapshot_days)
        job.save(update_fields=["status", "days_total", "heartbeat_at", "attempts"])
    model = model_config(health_model_active(organization=organization))
    if model.version != job.model_version:
        HistoryRecompute.objects.filter(pk=job.pk).update(status=HistoryRecompute.Status.DONE)
        return 0
    for done, day in enumerate(snapshot_days, start=1):
        with transaction.atomic():
            snapshot_day_rebuild(
                organization=organization, model=model, day=day, only_existing=True
            )
            HistoryRecompute.objects.filter(pk=job.pk).update(
                days_done=done, heartbeat_at=timezone.now()
            )
    HistoryRecompute.objects.filter(pk=job.pk).update(status=HistoryRecompute.Status.DONE)
    return len(snapshot_days)


def health_history_reap(*, organization: Organization, now: datetime | None = None) -> int:
    """Re-queue the organization's history rebuilds that stopped: queued ones whose task never
    ran (lost enqueue) and running ones without a heartbeat for REAP_AFTER (worker killed).
    After MAX_ATTEMPTS claims a job is failed. Rebuilding a day is idempotent, so a re-queued
    job simply starts again."""
    from healthscore.tasks import health_history_recompute_task

    now = now or timezone.now()
    stale = now - HistoryRecompute.REAP_AFTER
    status = HistoryRecompute.Status
    with transaction.atomic():
        jobs = list(
            HistoryRecompute.objects.select_for_update(skip_locked=True)
            .filter(organization=organization, status__in=[status.QUEUED, status.RUNNING])
            .filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, created_at__lt=stale))
            .values_list("id", "attempts")
        )
        give_up = [job_id for job_id, attempts in jobs if attempts >= HistoryRecompute.MAX_ATTEMPTS]
        retry = [job_id for job_id, attempts in jobs if attempts < HistoryRecompute.MAX_ATTEMPTS]
        HistoryRecompute.objects.filter(id__in=give_up).update(status=status.FAILED)
        # The heartbeat restarts the clock, so a re-queued job is not reaped again at once.
        HistoryRecompute.objects.filter(id__in=retry).update(status=status.QUEUED, heartbeat_at=now)
        for job_id in retry:
            transaction.on_commit(
                partial(
                    health_history_recompute_task.delay,
                    organization_id=organization.pk,
                    job_id=job_id,
                )
            )
    return len(retry)


def snapshot_day_rebuild(
    *, organization: Organization, model: scoring.ModelConfig, day, only_existing: bool = False
) -> int:
    """Recompute one day's snapshots from the stored rollups as of that day."""
    from healthscore.models import HealthSnapshot

    metrics = recompute.metrics_compute(organization=organization, model=model, as_of=day)
    if only_existing:
        keep = set(
            HealthSnapshot.objects.filter(organization=organization, day=day).values_list(
                "account_id", flat=True
            )
        )
        metrics = {k: v for k, v in metrics.items() if k in keep}
    results = recompute.results_compute(metrics, model)
    recompute.snapshots_write(
        organization=organization, model=model, results=results, day=day, account_ids=list(results)
    )
    return len(results)


def health_snapshots_backfill(*, organization: Organization, days: int = 90) -> int:
    """Build snapshots for the last `days` days from the rollups (seed data, first install)."""
    model = model_config(health_model_active(organization=organization))
    today = recompute.organization_today(organization)
    total = 0
    with transaction.atomic():
        for offset in range(days, 0, -1):
            total += snapshot_day_rebuild(
                organization=organization, model=model, day=today - timedelta(days=offset)
            )
    return total


def now() -> datetime:
    return timezone.now()
