"""Signals the healthscore app sends after commit (DESIGN.md: cross-app news).

- `band_changed(sender, organization, account_id, from_band, to_band, day)`: the band dropped.
- `score_dropped(sender, organization, account_id, from_score, to_score, day)`: the score is
  ≥ 15 points below its peak of the last 14 days.
Each fires once per HealthAlert row (unique per organization, account, kind and day).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.dispatch import Signal

if TYPE_CHECKING:
    from healthscore.models import HealthAlert

band_changed = Signal()
score_dropped = Signal()


def alert_send(alert: HealthAlert) -> None:
    if alert.kind == "band_changed":
        band_changed.send(
            sender="healthscore",
            organization=alert.organization,
            account_id=alert.account_id,
            from_band=alert.from_band,
            to_band=alert.to_band,
            day=alert.day,
        )
    else:
        score_dropped.send(
            sender="healthscore",
            organization=alert.organization,
            account_id=alert.account_id,
            from_score=alert.from_score,
            to_score=alert.to_score,
            day=alert.day,
        )
