"""Health inputs written by the apps that own the facts (DESIGN.md, healthscore: sentiment and
outcomes). Lifecycle calls these when a follow-up outcome or a touchpoint's sentiment is
recorded and when a success-plan objective's standing changes; surveys will call them with
answers. healthscore never imports those apps: the facts arrive as `HealthInput` rows.

Every write marks the account dirty, so the sweeper rescores it within a minute. All writes
run in the caller's transaction: an input exists exactly when the fact that caused it does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from django.db import transaction
from django.db.models import F, OuterRef, Subquery

from healthscore.models import HealthDirty, HealthInput, HealthInputKind
from tenancy.models import Organization

# 0-100 per sentiment word; below 50 counts as negative in the *why*.
SENTIMENT_VALUES: dict[str, int] = {"positive": 100, "neutral": 50, "negative": 0}
NEGATIVE_BELOW = 50
# Objective standing → outcome value.
OUTCOME_VALUES: dict[str, int] = {"achieved": 100, "on_track": 100, "at_risk": 40, "missed": 0}
CHUNK = 5000


def health_dirty_mark(*, organization: Organization, account_ids: Iterable[int]) -> None:
    ids = sorted(set(account_ids))
    HealthDirty.objects.bulk_create(
        [HealthDirty(organization=organization, account_id=i) for i in ids],
        ignore_conflicts=True,
        batch_size=CHUNK,
    )


def health_sentiment_set(
    *,
    organization: Organization,
    account_id: int,
    subject: str,
    day: date,
    value: int | None,
) -> None:
    """The sentiment of one interaction (`subject`, e.g. "touchpoint:34"): replaces what was
    recorded for it; None removes it (no sentiment given, interaction deleted)."""
    if value is not None and not 0 <= value <= 100:
        raise ValueError(f"sentiment value out of range: {value}")
    with transaction.atomic():
        existing = HealthInput.objects.filter(
            organization=organization, kind=HealthInputKind.SENTIMENT, subject=subject
        )
        touched = set(existing.values_list("account_id", flat=True))
        existing.delete()
        if value is not None:
            HealthInput.objects.create(
                organization=organization,
                account_id=account_id,
                kind=HealthInputKind.SENTIMENT,
                subject=subject,
                day=day,
                value=value,
            )
            touched.add(account_id)
        health_dirty_mark(organization=organization, account_ids=touched)


def health_sentiments_put(
    *, organization: Organization, rows: Iterable[tuple[int, str, date, int]]
) -> int:
    """Many interactions' sentiment at once (demo data, imports, survey batches): each row is
    (account_id, subject, day, value), upserted on (subject, day). Returns the rows."""
    inputs = [
        HealthInput(
            organization=organization,
            account_id=account_id,
            kind=HealthInputKind.SENTIMENT,
            subject=subject,
            day=day,
            value=value,
        )
        for account_id, subject, day, value in rows
    ]
    if not inputs:
        return 0
    with transaction.atomic():
        HealthInput.objects.bulk_create(
            inputs,
            update_conflicts=True,
            unique_fields=["organization", "kind", "subject", "day"],
            update_fields=["value", "account", "recorded_at"],
            batch_size=CHUNK,
        )
        health_dirty_mark(organization=organization, account_ids=(i.account_id for i in inputs))
    return len(inputs)


def outcome_latest(
    *, organization: Organization, account_ids: Iterable[int] | None = None
) -> dict[str, tuple[int, int | None]]:
    """subject → (account_id, value) of each outcome subject's latest row (one query)."""
    latest_day = (
        HealthInput.objects.filter(
            organization=organization, kind=HealthInputKind.OUTCOME, subject=OuterRef("subject")
        )
        .order_by("-day")
        .values("day")[:1]
    )
    rows = HealthInput.objects.filter(organization=organization, kind=HealthInputKind.OUTCOME)
    if account_ids is not None:
        rows = rows.filter(account_id__in=list(account_ids))
    rows = rows.annotate(latest=Subquery(latest_day)).filter(day=F("latest"))
    return {
        subject: (account_id, value)
        for subject, account_id, value in rows.values_list("subject", "account_id", "value")
    }


def health_outcomes_sync(
    *,
    organization: Organization,
    values: Mapping[str, tuple[int, int | None]],
    day: date,
    account_ids: Iterable[int] | None = None,
) -> int:
    """Record today's standing of outcome subjects: `values` maps subject → (account_id,
    value or None) for every subject of `account_ids` (or of the whole organization when
    None). A row is written only where the standing changed since the latest one; a subject
    that was counting and is absent from `values` gets a NULL row (no longer counts).
    Returns the rows written."""
    scope = None if account_ids is None else sorted(set(account_ids))
    latest = outcome_latest(organization=organization, account_ids=scope)
    writes: list[HealthInput] = []
    for subject, (account_id, value) in values.items():
        if value is not None and not 0 <= value <= 100:
            raise ValueError(f"outcome value out of range: {value}")
        known = latest.get(subject)
        if known is None and value is None:
            continue
        if known is None or known[1] != value:
            writes.append(_outcome_row(organization, account_id, subject, day, value))
    for subject, (account_id, value) in latest.items():
        if subject not in values and value is not None:
            writes.append(_outcome_row(organization, account_id, subject, day, None))
    if not writes:
        return 0
    with transaction.atomic():
        HealthInput.objects.bulk_create(
            writes,
            update_conflicts=True,
            unique_fields=["organization", "kind", "subject", "day"],
            update_fields=["value", "account", "recorded_at"],
            batch_size=CHUNK,
        )
        health_dirty_mark(organization=organization, account_ids=(r.account_id for r in writes))
    return len(writes)


def _outcome_row(
    organization: Organization, account_id: int, subject: str, day: date, value: int | None
) -> HealthInput:
    return HealthInput(
        organization=organization,
        account_id=account_id,
        kind=HealthInputKind.OUTCOME,
        subject=subject,
        day=day,
        value=value,
    )
