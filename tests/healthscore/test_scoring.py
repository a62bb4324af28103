"""The score formula on hand-computed cases (healthscore/scoring.py)."""

import pytest

from healthscore.scoring import Metrics, ModelConfig, interpolate, score_compute, why_text

MODEL = ModelConfig(key_features=("reports", "export", "api", "alerts"))


@pytest.mark.parametrize(
    ("value", "bad", "good", "expected"),
    [
        (0, 0, 80, 0),
        (40, 0, 80, 50),
        (80, 0, 80, 100),
        (120, 0, 80, 100),
        (3, 6, 0, 50),
        (-20, -50, 10, 50),
        (16.5, 30, 3, 50),
    ],
)
def test_interpolate_between_bad_and_good(value, bad, good, expected):
    assert interpolate(value, bad, good) == expected


def test_every_component_on_a_hand_computed_account():
    # Given 2 of 4 key features (50% → breadth 62.5 → 63), 3 of 10 contacts active
    # (30% → (30-10)/50 → 40), usage 60 vs 100 (-40% → (-40+50)/60 → 17),
    # 2 open + 2 opened in 30 days (load 3 → 50), last usage 16.5… days → use 17 (13/27 → 48),
    # and an overdue invoice (0)
    metrics = Metrics(
        features_used=2,
        usage_30=60,
        usage_prev_30=100,
        days_since_usage=17,
        open_tickets=2,
        opened_30=2,
        billing_overdue=True,
        contacts=10,
        active_contacts=3,
    )

    result = score_compute(metrics, MODEL)

    scores = {k: v.get("score") for k, v in result.components.items()}
    assert scores == {
        "breadth": 63,
        "depth": 40,
        "trend": 17,
        "support": 50,
        "recency": 48,
        "sentiment": None,
        "outcomes": None,
        "billing": 0,
    }
    assert result.components["sentiment"] == {"missing": True, "weight": 10}
    # (15·63 + 15·40 + 25·17 + 20·50 + 10·48 + 15·0) / (15+15+25+20+10+15) = 3450/100 → 35
    assert result.score == 35
    assert result.band == "red"
    # impacts: trend 25·83=2075, billing 15·100=1500, support 20·50=1000, depth 15·60=900
    assert [d["code"] for d in result.drivers] == ["trend", "billing", "support"]


def test_missing_components_are_reweighted_never_zero():
    # Given only support data (no key features, contacts, usage or invoices)
    result = score_compute(Metrics(open_tickets=0), ModelConfig())

    # Then the score is support's alone (100), not dragged down by missing components
    assert result.score == 100
    assert [k for k, v in result.components.items() if v.get("missing")] == [
        "breadth",
        "depth",
        "trend",
        "recency",
        "sentiment",
        "outcomes",
        "billing",
    ]


def test_reweighting_over_two_components():
    # support 50 (weight 20), billing 0 (weight 15) → (1000 + 0) / 35 = 28.57 → 29
    result = score_compute(Metrics(open_tickets=3, billing_overdue=True), ModelConfig())
    assert result.score == 29


@pytest.mark.parametrize(
    ("open_tickets", "expected_score", "expected_band"),
    [(0, 100, "green"), (2, 67, "yellow"), (4, 33, "red")],
)
def test_default_bands(open_tickets, expected_score, expected_band):
    result = score_compute(Metrics(open_tickets=open_tickets), ModelConfig())
    assert (result.score, result.band) == (expected_score, expected_band)


def test_configured_band_thresholds():
    result = score_compute(Metrics(open_tickets=2), ModelConfig(green_min=60, yellow_min=20))
    assert (result.score, result.band) == (67, "green")


def test_manual_adjustment_is_added_and_clamped():
    assert score_compute(Metrics(open_tickets=2, adjustment=-10), ModelConfig()).score == 57
    assert score_compute(Metrics(adjustment=15), ModelConfig()).score == 100
    negative = score_compute(Metrics(open_tickets=6, adjustment=-20), ModelConfig())
    assert negative.score == 0
    assert negative.drivers[-1] == {"code": "adjustment", "points": -20}


def test_trend_with_only_recent_usage_is_growth():
    result = score_compute(Metrics(usage_30=5, usage_prev_30=0), ModelConfig())
    assert result.components["trend"]["pct"] == 100
    assert result.components["trend"]["score"] == 100


def test_why_follows_the_reader_language():
    from django.utils import translation

    drivers = [{"code": "trend", "pct": -35}, {"code": "support", "open": 2, "opened_30": 0}]
    assert why_text(drivers) == "usage \u221235% vs previous 30 days; 2 tickets open"
    assert why_text([]) == "No negative drivers."
    with translation.override("pt-br"):
        # the catalog is filled by the lead at the end; until then the source text is served
        assert "35" in why_text(drivers)
