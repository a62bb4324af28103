"""The stage rules: a PURE function of an account's facts (DESIGN.md, Domain > lifecycle).

`stage_decide(facts, rules)` → `Decision(stage, reason_code, params)`. No database, no clock:
everything the rules read is in `AccountFacts` (gathered set-based by
lifecycle.selectors_stages) and `StageRules` (the organization's windows), so a new input
(survey answers: `last_promoter_answer`) plugs in by filling a fact, not by changing the engine.

Order of the rules (the first that applies wins):
1. churned is terminal (`churned`): the engine never moves a churned account;
2. a manual hold keeps the held stage (`manual_hold`) until a member releases it;
3. not live yet (no go-live date) → onboarding; live but first value not reached → onboarding
   (never auto-advanced; *overdue* after `onboarding_overdue_days`, an SLA flag, not a stage);
4. contract end inside the renewal window → renewal — also during adoption, otherwise a
   first-year contract (which usually ends around month 12) would never show as a renewal;
5. adoption until `adoption_months` after go-live, unless the adoption criteria are met
   (green health and at least 3 months live);
6. then, by priority: expansion (open expansion opportunity) > advocacy (promoter answer in
   the look-back window + green + tenure ≥ `advocacy_min_tenure_months` + no open renewal
   opportunity) > retention (the steady state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from accounts.models import HealthBand, Stage

ADOPTION_CRITERIA_MIN_MONTHS = 3


@dataclass(frozen=True)
class StageRules:
    """The organization's windows (LifecycleSettings + renewals' renewal window)."""

    renewal_window_days: int = 120
    onboarding_overdue_days: int = 90
    adoption_months: int = 12
    advocacy_min_tenure_months: int = 12
    promoter_lookback_days: int = 180


@dataclass(frozen=True)
class AccountFacts:
    today: date
    go_live_date: date | None = None
    # First value: the account's first `feature.*` event (healthscore rollups). Once an
    # account has left onboarding it counts as done (the engine never sends it back).
    onboarding_done: bool = False
    health_band: str = ""
    contract_end: date | None = None  # the earliest end of an active contract still to come
    open_renewal: bool = False
    open_expansion: bool = False
    last_promoter_answer: date | None = None  # None until surveys exist
    hold_stage: str | None = None
    churned: bool = False

    @property
    def months_live(self) -> int | None:
        if self.go_live_date is None:
            return None
        return months_between(self.go_live_date, self.today)


@dataclass(frozen=True)
class Decision:
    stage: str
    reason_code: str
    params: dict = field(default_factory=dict)


def months_between(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end` (0 before the first monthly anniversary)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return max(months, 0) if end >= start else months


def stage_decide(facts: AccountFacts, rules: StageRules) -> Decision:
    if facts.churned:
        return Decision(Stage.CHURNED, "churned")
    if facts.hold_stage:
        return Decision(facts.hold_stage, "manual")
    if facts.go_live_date is None or facts.go_live_date > facts.today:
        return Decision(Stage.ONBOARDING, "not_live")
    days_live = (facts.today - facts.go_live_date).days
    if not facts.onboarding_done:
        return Decision(Stage.ONBOARDING, "onboarding", {"days": days_live})
    if facts.contract_end is not None:
        days_left = (facts.contract_end - facts.today).days
        if 0 < days_left <= rules.renewal_window_days:
            return Decision(
                Stage.RENEWAL,
                "renewal",
                {"days": days_left, "window": rules.renewal_window_days},
            )
    months = facts.months_live or 0
    green = facts.health_band == HealthBand.GREEN
    criteria_met = green and months >= ADOPTION_CRITERIA_MIN_MONTHS
    if months < rules.adoption_months and not criteria_met:
        return Decision(
            Stage.ADOPTION, "adoption", {"months": months, "limit": rules.adoption_months}
        )
    if facts.open_expansion:
        return Decision(Stage.EXPANSION, "expansion")
    if (
        facts.last_promoter_answer is not None
        and (facts.today - facts.last_promoter_answer).days <= rules.promoter_lookback_days
        and green
        and months >= rules.advocacy_min_tenure_months
        and not facts.open_renewal
    ):
        return Decision(
            Stage.ADVOCACY,
            "advocacy",
            {"answered": facts.last_promoter_answer.isoformat(), "months": months},
        )
    if months < rules.adoption_months:  # left adoption early: the criteria were met
        return Decision(Stage.RETENTION, "retention", {"criteria": True, "months": months})
    return Decision(Stage.RETENTION, "retention", {"months": months})


def reason_render(code: str, params: dict, text: str = "") -> str:
    """A transition's reason in the reader's language (codes + numbers are stored)."""
    params = params or {}
    if code == "manual":
        return text
    if code == "hold_released":
        return text or _("manual stage released")
    if code == "not_live":
        return _("no go-live date yet")
    if code == "onboarding":
        return _("live for %(days)s days, first value not reached yet") % {
            "days": params.get("days", 0)
        }
    if code == "renewal":
        return _("contract ends in %(days)s days (renewal window %(window)s)") % {
            "days": params.get("days", 0),
            "window": params.get("window", 0),
        }
    if code == "adoption":
        return _("month %(months)s of %(limit)s of adoption") % {
            "months": params.get("months", 0),
            "limit": params.get("limit", 0),
        }
    if code == "expansion":
        return _("an expansion opportunity is open")
    if code == "advocacy":
        return _("promoter answer on %(answered)s, green health, %(months)s months live") % {
            "answered": params.get("answered", ""),
            "months": params.get("months", 0),
        }
    if code == "retention":
        if params.get("criteria"):
            return _("adoption criteria met (green health after %(months)s months)") % {
                "months": params.get("months", 0)
            }
        return _("adoption period over (%(months)s months live)") % {
            "months": params.get("months", 0)
        }
    if code == "churned":
        return text or _("the account churned")
    return text or code
