"""The stage rules on a table of cases: facts supplied directly, no database."""

from datetime import date, timedelta

import pytest

from lifecycle.rules import AccountFacts, StageRules, months_between, reason_render, stage_decide

TODAY = date(2026, 6, 15)
RULES = StageRules()  # defaults: window 120, overdue 90, adoption 12, tenure 12, look-back 180


def live(months=0, days=0):
    """A go-live `months` calendar months (+ `days`) before TODAY."""
    year, month = TODAY.year, TODAY.month - months
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, TODAY.day) - timedelta(days=days)


def facts(**kwargs):
    kwargs.setdefault("onboarding_done", True)
    return AccountFacts(today=TODAY, **kwargs)


CASES = [
    # id, facts, expected stage, expected reason code
    ("no go-live: onboarding", facts(onboarding_done=False), "onboarding", "not_live"),
    (
        "go-live in the future",
        facts(go_live_date=TODAY + timedelta(days=3)),
        "onboarding",
        "not_live",
    ),
    (
        "live, first value not reached",
        facts(go_live_date=live(days=20), onboarding_done=False),
        "onboarding",
        "onboarding",
    ),
    (
        "day 200 without first value: still onboarding, never auto-advanced",
        facts(go_live_date=live(days=200), onboarding_done=False, health_band="green"),
        "onboarding",
        "onboarding",
    ),
    (
        "first value, month 2: adoption",
        facts(go_live_date=live(months=2), health_band="green"),
        "adoption",
        "adoption",
    ),
    (
        "adoption criteria met (green at month 3): retention",
        facts(go_live_date=live(months=3), health_band="green"),
        "retention",
        "retention",
    ),
    (
        "month 11, yellow: still adoption",
        facts(go_live_date=live(months=11), health_band="yellow"),
        "adoption",
        "adoption",
    ),
    (
        "month 12: retention (steady state)",
        facts(go_live_date=live(months=12), health_band="yellow"),
        "retention",
        "retention",
    ),
    (
        "open expansion after adoption: expansion",
        facts(go_live_date=live(months=14), open_expansion=True),
        "expansion",
        "expansion",
    ),
    (
        "open expansion during adoption: adoption wins",
        facts(go_live_date=live(months=5), open_expansion=True, health_band="red"),
        "adoption",
        "adoption",
    ),
    (
        "contract ends in 87 days: renewal",
        facts(go_live_date=live(months=20), contract_end=TODAY + timedelta(days=87)),
        "renewal",
        "renewal",
    ),
    (
        "contract ends in 121 days: outside the window",
        facts(go_live_date=live(months=20), contract_end=TODAY + timedelta(days=121)),
        "retention",
        "retention",
    ),
    (
        "renewal beats expansion",
        facts(
            go_live_date=live(months=20),
            contract_end=TODAY + timedelta(days=30),
            open_expansion=True,
        ),
        "renewal",
        "renewal",
    ),
    (
        "renewal beats adoption (first-year contract)",
        facts(go_live_date=live(months=9), contract_end=TODAY + timedelta(days=60)),
        "renewal",
        "renewal",
    ),
    (
        "renewal does not pull an account out of onboarding",
        facts(
            go_live_date=live(months=9),
            onboarding_done=False,
            contract_end=TODAY + timedelta(days=60),
        ),
        "onboarding",
        "onboarding",
    ),
    (
        "promoter + green + 13 months: advocacy",
        facts(
            go_live_date=live(months=13),
            health_band="green",
            last_promoter_answer=TODAY - timedelta(days=30),
        ),
        "advocacy",
        "advocacy",
    ),
    (
        "expansion beats advocacy",
        facts(
            go_live_date=live(months=13),
            health_band="green",
            last_promoter_answer=TODAY - timedelta(days=30),
            open_expansion=True,
        ),
        "expansion",
        "expansion",
    ),
    (
        "renewal beats advocacy",
        facts(
            go_live_date=live(months=13),
            health_band="green",
            last_promoter_answer=TODAY - timedelta(days=30),
            contract_end=TODAY + timedelta(days=100),
        ),
        "renewal",
        "renewal",
    ),
    (
        "promoter with an open renewal opportunity: no advocacy",
        facts(
            go_live_date=live(months=13),
            health_band="green",
            last_promoter_answer=TODAY - timedelta(days=30),
            open_renewal=True,
        ),
        "retention",
        "retention",
    ),
    (
        "promoter answer older than 180 days: retention",
        facts(
            go_live_date=live(months=13),
            health_band="green",
            last_promoter_answer=TODAY - timedelta(days=181),
        ),
        "retention",
        "retention",
    ),
    (
        "promoter but yellow: retention",
        facts(
            go_live_date=live(months=13),
            health_band="yellow",
            last_promoter_answer=TODAY - timedelta(days=10),
        ),
        "retention",
        "retention",
    ),
    (
        "promoter, green, 8 months tenure: retention (criteria met), not advocacy",
        facts(
            go_live_date=live(months=8),
            health_band="green",
            last_promoter_answer=TODAY - timedelta(days=10),
        ),
        "retention",
        "retention",
    ),
    (
        "manual hold wins over every rule",
        facts(
            go_live_date=live(months=20),
            contract_end=TODAY + timedelta(days=30),
            hold_stage="advocacy",
        ),
        "advocacy",
        "manual",
    ),
    (
        "churned is terminal, even over a hold and an open renewal window",
        facts(
            go_live_date=live(months=20),
            contract_end=TODAY + timedelta(days=30),
            hold_stage="retention",
            churned=True,
        ),
        "churned",
        "churned",
    ),
]


@pytest.mark.parametrize(
    ("given", "stage", "reason"), [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_stage_rules(given, stage, reason):
    decision = stage_decide(given, RULES)

    assert (decision.stage, decision.reason_code) == (stage, reason)


def test_windows_come_from_the_rules():
    given = facts(go_live_date=live(months=20), contract_end=TODAY + timedelta(days=87))

    assert stage_decide(given, StageRules(renewal_window_days=60)).stage == "retention"
    assert stage_decide(given, StageRules(renewal_window_days=90)).stage == "renewal"
    assert stage_decide(
        facts(go_live_date=live(months=7)), StageRules(adoption_months=6)
    ).stage == ("retention")


def test_renewal_reason_in_words():
    decision = stage_decide(
        facts(go_live_date=live(months=20), contract_end=TODAY + timedelta(days=87)), RULES
    )

    assert decision.params == {"days": 87, "window": 120}
    assert reason_render(decision.reason_code, decision.params) == (
        "contract ends in 87 days (renewal window 120)"
    )


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2025, 1, 31), date(2025, 2, 28), 0),
        (date(2025, 1, 31), date(2025, 3, 31), 2),
        (date(2025, 6, 15), date(2026, 6, 15), 12),
        (date(2025, 6, 15), date(2026, 6, 14), 11),
    ],
)
def test_months_between(start, end, months):
    assert months_between(start, end) == months
