"""Reads of the healthscore app: the active model, an account's health, history, at-risk list,
the what-if preview and the churn backtest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Account
from healthscore import recompute, scoring
from healthscore.models import (
    HealthAdjustment,
    HealthAlert,
    HealthModel,
    HealthScore,
    HealthSnapshot,
    HistoryRecompute,
)
from tenancy.models import Membership, Organization


def health_model_active(*, organization: Organization) -> HealthModel:
    """The active model version, or an unsaved default (version 0) when none was saved."""
    model = HealthModel.objects.filter(organization=organization, is_active=True).first()
    if model is not None:
        return model
    return HealthModel(
        organization=organization,
        version=0,
        weights=dict(scoring.DEFAULT_WEIGHTS),
        thresholds={k: dict(v) for k, v in scoring.DEFAULT_THRESHOLDS.items()},
        key_features=[],
        green_min=scoring.DEFAULT_GREEN_MIN,
        yellow_min=scoring.DEFAULT_YELLOW_MIN,
    )


def model_config(model: HealthModel | None) -> scoring.ModelConfig:
    if model is None:
        return scoring.ModelConfig()
    return scoring.ModelConfig(
        version=model.version,
        weights={**scoring.DEFAULT_WEIGHTS, **(model.weights or {})},
        thresholds={**scoring.DEFAULT_THRESHOLDS, **(model.thresholds or {})},
        key_features=tuple(model.key_features or ()),
        green_min=model.green_min,
        yellow_min=model.yellow_min,
    )


def health_score_get(*, organization: Organization, account: Account) -> HealthScore | None:
    return HealthScore.objects.filter(organization=organization, account=account).first()


def health_history(
    *, organization: Organization, account: Account, days: int = 90
) -> list[HealthSnapshot]:
    since = recompute.organization_today(organization) - timedelta(days=days - 1)
    return list(
        HealthSnapshot.objects.filter(organization=organization, account=account, day__gte=since)
        .only("day", "score", "band", "components", "model_version")
        .order_by("day")
    )


@dataclass(frozen=True)
class ComponentChange:
    component: str
    label: str
    before: int | None
    after: int | None
    delta: int | None


def health_changes_since(
    *, history: list[HealthSnapshot], current: HealthScore | None, days: int = 7
) -> list[ComponentChange]:
    """Components that moved between the snapshot `days` ago (or the oldest newer one) and now."""
    if current is None or not history:
        return []
    cutoff = history[-1].day - timedelta(days=days)
    base = next((s for s in history if s.day >= cutoff), None)
    if base is None:
        return []
    changes = []
    for name in scoring.COMPONENTS:
        old = (base.components or {}).get(name)
        new = (current.components or {}).get(name) or {}
        before = old.get("score") if isinstance(old, dict) else old
        after = None if new.get("missing") else new.get("score")
        if before == after:
            continue
        delta = after - before if before is not None and after is not None else None
        changes.append(ComponentChange(name, scoring.component_label(name), before, after, delta))
    return changes


def health_adjustments_active(
    *, organization: Organization, account: Account, now
) -> list[HealthAdjustment]:
    return list(
        HealthAdjustment.objects.filter(
            organization=organization, account=account, expires_at__gt=now
        )
        .select_related("created_by")
        .order_by("expires_at")
    )


def at_risk_list(
    *, organization: Organization, owner: Membership | None = None
) -> QuerySet[Account]:
    """Red accounts, or accounts that fell a band in the last 14 days, by ARR at risk."""
    since = recompute.organization_today(organization) - timedelta(days=14)
    fell = HealthAlert.objects.filter(
        organization=organization,
        account=OuterRef("pk"),
        kind=HealthAlert.Kind.BAND_CHANGED,
        day__gte=since,
    )
    queryset = (
        Account.objects.filter(organization=organization, churned_at__isnull=True)
        .annotate(fell_band=Exists(fell))
        .filter(Q(health_band="red") | Q(fell_band=True))
        .select_related("owner__user")
    )
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    return queryset.order_by("-arr_cents", "health_score", "id")


def drivers_for_accounts(*, organization: Organization, account_ids: list[int]) -> dict[int, list]:
    return dict(
        HealthScore.objects.filter(
            organization=organization, account_id__in=account_ids
        ).values_list("account_id", "drivers")
    )


def band_distribution_preview(
    *, organization: Organization, candidate: scoring.ModelConfig
) -> dict[str, Any]:
    """How the band distribution would change under `candidate` (nothing is saved)."""
    today = recompute.organization_today(organization)
    metrics = recompute.metrics_compute(organization=organization, model=candidate, as_of=today)
    after = Counter(r.band for r in recompute.results_compute(metrics, candidate).values())
    before = Counter(
        Account.objects.filter(organization=organization)
        .exclude(health_band="")
        .values_list("health_band", flat=True)
    )
    bands = ["green", "yellow", "red"]
    return {
        "rows": [
            {
                "band": b,
                "before": before.get(b, 0),
                "after": after.get(b, 0),
                "delta": after.get(b, 0) - before.get(b, 0),
            }
            for b in bands
        ],
        "total": sum(after.values()),
    }


def history_rebuild_latest(*, organization: Organization) -> HistoryRecompute | None:
    """The newest history rebuild (its progress is shown on the model settings page)."""
    return (
        HistoryRecompute.objects.filter(organization=organization)
        .order_by("-model_version")
        .first()
    )
