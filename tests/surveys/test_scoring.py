from decimal import Decimal

import pytest

from surveys.scoring import (
    aggregate_score,
    category_score_ranges,
    is_detractor,
    is_promoter,
    nps_category,
    score_category,
    sentiment_value,
)


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_nps_category(score, category):
    assert nps_category(score) == category


@pytest.mark.parametrize(
    ("kind", "score", "category", "sentiment"),
    [
        ("csat", 1, "detractor", 0),
        ("csat", 2, "detractor", 0),
        ("csat", 3, "passive", 50),
        ("csat", 4, "promoter", 100),
        ("csat", 5, "promoter", 100),
        ("ces", 1, "detractor", 0),
        ("ces", 2, "detractor", 0),
        ("ces", 3, "passive", 50),
        ("ces", 5, "passive", 50),
        ("ces", 6, "promoter", 100),
        ("ces", 7, "promoter", 100),
        ("nps", 6, "detractor", 0),
        ("nps", 8, "passive", 50),
        ("nps", 9, "promoter", 100),
    ],
)
def test_categories_and_sentiment_per_kind(kind, score, category, sentiment):
    assert score_category(kind, score) == category
    assert is_promoter(kind, score) is (category == "promoter")
    assert is_detractor(kind, score) is (category == "detractor")
    assert sentiment_value(kind, score) == sentiment


@pytest.mark.parametrize(
    ("kind", "score"),
    [
        ("nps", -1),
        ("nps", 11),
        ("csat", 0),
        ("csat", 6),
        ("ces", 0),
        ("ces", 8),
        ("nps", True),
        ("nps", 9.0),
    ],
)
def test_scores_outside_the_scale_raise(kind, score):
    with pytest.raises(ValueError, match="outside"):
        score_category(kind, score)


def test_category_ranges_cover_each_scale_without_gaps():
    assert category_score_ranges("nps") == {
        "promoter": (9, 10),
        "passive": (7, 8),
        "detractor": (0, 6),
    }
    assert category_score_ranges("csat") == {
        "promoter": (4, 5),
        "passive": (3, 3),
        "detractor": (1, 2),
    }
    assert category_score_ranges("ces") == {
        "promoter": (6, 7),
        "passive": (3, 5),
        "detractor": (1, 2),
    }


def test_nps_by_hand():
    # 10 answers: promoters 10, 9, 9, 10 (4); passives 7, 8 (2); detractors 0, 5, 6, 6 (4)
    counts = {10: 2, 9: 2, 7: 1, 8: 1, 0: 1, 5: 1, 6: 2}
    # 40% - 40% = 0
    assert aggregate_score("nps", counts) == Decimal("0")
    # 3 promoters, 1 passive, 0 detractors → 75
    assert aggregate_score("nps", {9: 2, 10: 1, 7: 1}) == Decimal("75")
    # 1 promoter, 2 detractors of 3 → -33.33 → -33
    assert aggregate_score("nps", {10: 1, 3: 2}) == Decimal("-33")


def test_csat_by_hand():
    # 4 and 5 are satisfied: 3 of 7 → 42.857… → 42.9
    assert aggregate_score("csat", {5: 1, 4: 2, 3: 2, 1: 2}) == Decimal("42.9")
    assert aggregate_score("csat", {5: 4}) == Decimal("100.0")


def test_ces_by_hand():
    # mean of 7, 6, 6, 2 = 21 / 4 = 5.25; of 1, 2, 2 = 5/3 = 1.666… → 1.67
    assert aggregate_score("ces", {7: 1, 6: 2, 2: 1}) == Decimal("5.25")
    assert aggregate_score("ces", {1: 1, 2: 2}) == Decimal("1.67")


def test_no_answers_no_score():
    assert aggregate_score("nps", {}) is None
