"""Set-based recompute of health scores for one organization (DESIGN.md, healthscore).

`metrics` reads every account's metrics as of a day in a handful of aggregate queries;
`write` scores them and writes only what moved. Services call both in one transaction
(healthscore/services.py). Import from the package.
"""

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
from tenancy.timezones import local_date, organization_today

__all__ = [
    "DIRTY_CLAIM",
    "SCORE_DROP_DAYS",
    "SCORE_DROP_POINTS",
    "SENTIMENT_DAYS",
    "RecomputeOutcome",
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
