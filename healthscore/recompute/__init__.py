"""Set-based recompute of health scores for one organization (DESIGN.md, healthscore).

`accounts_recompute` is what services call, in their transaction: on PostgreSQL the whole
recompute is set-based SQL (`set_based`: metrics, formula and writes in a few statements);
elsewhere `metrics` reads every account's metrics in a handful of aggregate queries and
`write` scores them in Python (scoring.py, the reference formula) and writes only what moved.
Import from the package.
"""

from collections.abc import Sequence
from datetime import date

from healthscore.recompute import set_based
from healthscore.recompute.metrics import (
    SENTIMENT_DAYS,
    day_end,
    metrics_compute,
    results_compute,
)
from healthscore.recompute.write import (
    DIRTY_CLAIM,
    SCORE_DROP_DAYS,
    SCORE_DROP_POINTS,
    RecomputeOutcome,
    alerts_record,
    dirty_claim,
    events_exist,
    scores_write,
    snapshots_write,
)
from healthscore.sql import is_postgresql
from tenancy.timezones import local_date, organization_today


def accounts_recompute(
    *,
    organization,
    model,
    as_of: date,
    account_ids: Sequence[int] | None = None,
) -> RecomputeOutcome:
    """Recompute every account of the organization (or `account_ids`) as of `as_of`."""
    if is_postgresql():
        return set_based.recompute(
            organization=organization, model=model, as_of=as_of, account_ids=account_ids
        )
    metrics = metrics_compute(
        organization=organization, model=model, as_of=as_of, account_ids=account_ids
    )
    return scores_write(organization=organization, model=model, metrics=metrics, today=as_of)


__all__ = [
    "DIRTY_CLAIM",
    "SCORE_DROP_DAYS",
    "SCORE_DROP_POINTS",
    "SENTIMENT_DAYS",
    "RecomputeOutcome",
    "accounts_recompute",
    "alerts_record",
    "day_end",
    "dirty_claim",
    "events_exist",
    "local_date",
    "metrics_compute",
    "organization_today",
    "results_compute",
    "scores_write",
    "snapshots_write",
]
