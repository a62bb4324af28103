"""The health score formula: pure functions over per-account metrics (no queries).

Each component turns one metric into 0-100 by linear interpolation between a `bad` value
(→ 0) and a `good` value (→ 100), both configurable per model (`bad` may be above `good`, as
for open tickets). A component whose data does not exist yet is *missing* and is left out:
the score is the weighted mean of the present components (re-weighting, never a zero).

    score = round_half_up(Σ weightᵢ·scoreᵢ / Σ weightᵢ) + active manual adjustments, clamped
    to 0-100; band = green if score ≥ green_min, yellow if ≥ yellow_min, else red.

Metrics (computed set-based in healthscore/recompute/metrics.py, as of a day D, windows end on D):
- breadth: % of the model's key features (`feature.<key>` events) used in the last 30 days;
  missing when the model names no key feature.
- depth: % of the account's contacts who logged in during the last 30 days (seats come with
  contracts later); missing when the account has no contacts.
- trend: % change of usage events (`login`, `feature.*`) in the last 30 days vs the 30 before;
  missing when both windows are empty; +100% when only the recent window has usage.
- support: load = open tickets (opened - closed, all time) + ½ x tickets opened in 30 days.
- recency: days since the last usage event; missing when the account never had one.
- billing: 0 while the latest `invoice.overdue` is after the latest `invoice.paid`, else 100;
  missing when the account never had an invoice event.
- sentiment: mean of the sentiment inputs (`HealthInput`, 0-100: follow-up outcomes,
  touchpoints, later survey answers) of the last 90 days; missing when there is none.
- outcomes: mean standing of the account's success-plan objectives as of D (achieved or on
  track 100, at risk 40, missed 0); missing when no objective counts.

The *why* is stored as drivers (codes + numbers) and rendered at display time with gettext.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

COMPONENTS = (
    "breadth",
    "depth",
    "trend",
    "support",
    "recency",
    "sentiment",
    "outcomes",
    "billing",
)
DEFAULT_WEIGHTS: dict[str, int] = {
    "breadth": 15,
    "depth": 15,
    "trend": 25,
    "support": 20,
    "recency": 10,
    "sentiment": 10,
    "outcomes": 5,
    "billing": 15,
}
# (bad → 0, good → 100) per component with a threshold.
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "breadth": {"bad": 0, "good": 80},
    "depth": {"bad": 10, "good": 60},
    "trend": {"bad": -50, "good": 10},
    "support": {"bad": 6, "good": 0},
    "recency": {"bad": 30, "good": 3},
}
DEFAULT_GREEN_MIN = 70
DEFAULT_YELLOW_MIN = 40
# A component scoring below this is a candidate negative driver of the *why*.
DRIVER_BELOW = 70
MAX_DRIVERS = 3
BAND_RANK = {"red": 0, "yellow": 1, "green": 2}


@dataclass(frozen=True)
class ModelConfig:
    """The numbers of one HealthModel version (or the default, version 0)."""

    version: int = 0
    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    thresholds: dict[str, dict[str, float]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_THRESHOLDS.items()}
    )
    key_features: tuple[str, ...] = ()
    green_min: int = DEFAULT_GREEN_MIN
    yellow_min: int = DEFAULT_YELLOW_MIN

    @cached_property
    def weight_map(self) -> dict[str, int]:
        return {c: int(self.weights.get(c, DEFAULT_WEIGHTS.get(c, 0))) for c in COMPONENTS}

    @cached_property
    def threshold_map(self) -> dict[str, tuple[float, float]]:
        result = {}
        for component, default in DEFAULT_THRESHOLDS.items():
            pair = self.thresholds.get(component) or default
            result[component] = (float(pair["bad"]), float(pair["good"]))
        return result

    def weight(self, component: str) -> int:
        return self.weight_map[component]

    def threshold(self, component: str) -> tuple[float, float]:
        return self.threshold_map[component]


@dataclass(frozen=True)
class Metrics:
    """Raw per-account inputs as of one day (None = no data)."""

    features_used: int = 0
    usage_30: int = 0
    usage_prev_30: int = 0
    days_since_usage: int | None = None
    open_tickets: int = 0
    opened_30: int = 0
    billing_overdue: bool | None = None
    contacts: int = 0
    active_contacts: int = 0
    adjustment: int = 0
    sentiment_count: int = 0
    sentiment_sum: int = 0
    sentiment_negative: int = 0
    outcome_count: int = 0
    outcome_sum: int = 0
    outcome_bad: int = 0


@dataclass(frozen=True)
class Result:
    score: int
    band: str
    components: dict[str, Any]
    drivers: list[dict[str, Any]]
    adjustment: int


def metrics_fingerprint(metrics: Metrics, version: int) -> str:
    """A result is a function of (model version, metrics): equal fingerprints, equal scores.
    Hashes of ints, bools and None are stable across processes (no hash randomisation)."""
    return format(hash((version, *astuple_fast(metrics))) & 0xFFFFFFFFFFFFFFFF, "016x")


def astuple_fast(metrics: Metrics) -> tuple:
    return (
        metrics.features_used,
        metrics.usage_30,
        metrics.usage_prev_30,
        metrics.days_since_usage,
        metrics.open_tickets,
        metrics.opened_30,
        metrics.billing_overdue,
        metrics.contacts,
        metrics.active_contacts,
        metrics.adjustment,
        metrics.sentiment_count,
        metrics.sentiment_sum,
        metrics.sentiment_negative,
        metrics.outcome_count,
        metrics.outcome_sum,
        metrics.outcome_bad,
    )


def round_half_up(value: float) -> int:
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


def interpolate(value: float, bad: float, good: float) -> int:
    if good == bad:
        return 100 if value == good else 0
    share = (value - bad) / (good - bad)
    return round_half_up(max(0.0, min(1.0, share)) * 100)


def band_for(score: int, green_min: int, yellow_min: int) -> str:
    if score >= green_min:
        return "green"
    if score >= yellow_min:
        return "yellow"
    return "red"


def component_values(metrics: Metrics, model: ModelConfig) -> dict[str, dict[str, Any] | None]:
    """Each component's score and the numbers behind it; None when missing."""
    values: dict[str, dict[str, Any] | None] = dict.fromkeys(COMPONENTS)
    key_count = len(model.key_features)
    if key_count:
        share = 100 * metrics.features_used / key_count
        values["breadth"] = {
            "score": interpolate(share, *model.threshold("breadth")),
            "used": metrics.features_used,
            "total": key_count,
        }
    if metrics.contacts:
        share = 100 * metrics.active_contacts / metrics.contacts
        values["depth"] = {
            "score": interpolate(share, *model.threshold("depth")),
            "active": metrics.active_contacts,
            "total": metrics.contacts,
        }
    if metrics.usage_30 or metrics.usage_prev_30:
        if metrics.usage_prev_30:
            change = round_half_up(
                100 * (metrics.usage_30 - metrics.usage_prev_30) / metrics.usage_prev_30
            )
        else:
            change = 100
        values["trend"] = {
            "score": interpolate(change, *model.threshold("trend")),
            "pct": change,
            "recent": metrics.usage_30,
            "previous": metrics.usage_prev_30,
        }
    open_tickets = max(0, metrics.open_tickets)
    load = open_tickets + metrics.opened_30 / 2
    values["support"] = {
        "score": interpolate(load, *model.threshold("support")),
        "open": open_tickets,
        "opened_30": metrics.opened_30,
    }
    if metrics.days_since_usage is not None:
        values["recency"] = {
            "score": interpolate(metrics.days_since_usage, *model.threshold("recency")),
            "days": metrics.days_since_usage,
        }
    if metrics.sentiment_count:
        mean = round_half_up(metrics.sentiment_sum / metrics.sentiment_count)
        values["sentiment"] = {
            "score": mean,
            "mean": mean,
            "negative": metrics.sentiment_negative,
            "total": metrics.sentiment_count,
        }
    if metrics.outcome_count:
        values["outcomes"] = {
            "score": round_half_up(metrics.outcome_sum / metrics.outcome_count),
            "bad": metrics.outcome_bad,
            "total": metrics.outcome_count,
        }
    if metrics.billing_overdue is not None:
        values["billing"] = {
            "score": 0 if metrics.billing_overdue else 100,
            "overdue": metrics.billing_overdue,
        }
    return values


def score_compute(metrics: Metrics, model: ModelConfig) -> Result:
    values = component_values(metrics, model)
    weighted = 0.0
    total_weight = 0
    components: dict[str, Any] = {}
    for name in COMPONENTS:
        value = values[name]
        weight = model.weight(name)
        if value is None:
            components[name] = {"missing": True, "weight": weight}
            continue
        components[name] = {**value, "weight": weight}
        if weight > 0:
            weighted += weight * value["score"]
            total_weight += weight
    base = round_half_up(weighted / total_weight) if total_weight else 50
    score = max(0, min(100, base + metrics.adjustment))
    band = band_for(score, model.green_min, model.yellow_min)
    return Result(
        score=score,
        band=band,
        components=components,
        drivers=drivers_for(components, metrics.adjustment),
        adjustment=metrics.adjustment,
    )


def component_scores(components: dict[str, Any]) -> dict[str, int | None]:
    """The compact form kept in daily snapshots: each component's score, None when missing."""
    return {name: value.get("score") for name, value in components.items()}


def drivers_for(components: dict[str, Any], adjustment: int) -> list[dict[str, Any]]:
    """The biggest negative drivers: weakest components weighted by their weight."""
    candidates = []
    for name, value in components.items():
        if value.get("missing") or value["score"] >= DRIVER_BELOW or value["weight"] <= 0:
            continue
        impact = value["weight"] * (100 - value["score"])
        driver = {k: v for k, v in value.items() if k not in ("score", "weight")}
        candidates.append((-impact, name, {"code": name, **driver}))
    candidates.sort(key=lambda item: (item[0], item[1]))
    drivers = [driver for _, _, driver in candidates[:MAX_DRIVERS]]
    if adjustment < 0:
        drivers.append({"code": "adjustment", "points": adjustment})
    return drivers


def _signed(value: int) -> str:
    return f"\u2212{abs(value)}" if value < 0 else f"+{value}"


def driver_text(driver: dict[str, Any]) -> str:
    code = driver.get("code")
    if code == "trend":
        return _("usage %(pct)s%% vs previous 30 days") % {"pct": _signed(int(driver["pct"]))}
    if code == "support":
        text = ngettext("%(count)s ticket open", "%(count)s tickets open", driver["open"]) % {
            "count": driver["open"]
        }
        if driver.get("opened_30"):
            text += ngettext(
                " (%(count)s opened in 30 days)",
                " (%(count)s opened in 30 days)",
                driver["opened_30"],
            ) % {"count": driver["opened_30"]}
        return text
    if code == "breadth":
        return _("%(used)s of %(total)s key features used in 30 days") % driver
    if code == "depth":
        return _("%(active)s of %(total)s users active in 30 days") % driver
    if code == "recency":
        return ngettext(
            "no activity for %(days)s day", "no activity for %(days)s days", driver["days"]
        ) % {"days": driver["days"]}
    if code == "sentiment":
        if driver.get("negative"):
            return ngettext(
                "%(negative)s of %(total)s conversation negative in 90 days",
                "%(negative)s of %(total)s conversations negative in 90 days",
                driver["total"],
            ) % {"negative": driver["negative"], "total": driver["total"]}
        return ngettext(
            "sentiment %(mean)s/100 over %(total)s conversation (90 days)",
            "sentiment %(mean)s/100 over %(total)s conversations (90 days)",
            driver["total"],
        ) % {"mean": driver.get("mean", "?"), "total": driver["total"]}
    if code == "outcomes":
        return ngettext(
            "%(bad)s of %(total)s success-plan objective at risk or missed",
            "%(bad)s of %(total)s success-plan objectives at risk or missed",
            driver["total"],
        ) % {"bad": driver["bad"], "total": driver["total"]}
    if code == "billing":
        return _("invoice overdue") if driver.get("overdue") else _("invoices paid")
    if code == "adjustment":
        return _("manual adjustment %(points)s") % {"points": _signed(int(driver["points"]))}
    return str(code)


def why_text(drivers: list[dict[str, Any]]) -> str:
    """One line naming the biggest negative drivers, in the active language."""
    if not drivers:
        return _("No negative drivers.")
    return "; ".join(driver_text(driver) for driver in drivers)


def component_label(name: str) -> str:
    labels = {
        "breadth": _("Usage breadth"),
        "depth": _("Active users"),
        "trend": _("Usage trend"),
        "support": _("Support load"),
        "recency": _("Relationship recency"),
        "sentiment": _("Sentiment"),
        "outcomes": _("Outcomes"),
        "billing": _("Billing"),
    }
    return labels.get(name, name)
