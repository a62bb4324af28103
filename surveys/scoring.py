"""Categories, sentiment and aggregates of survey scores — the one definition.

Scales: NPS 0-10, CSAT 1-5 (5 = very satisfied), CES 1-7 ("<company> made it easy for me…",
1 = strongly disagree = very hard, 7 = strongly agree = very easy: higher is better, like the
other two).

Categories (the same three names for every kind, so pages, filters and the signal's consumers
share one vocabulary; they are chosen so the bars explain the headline figure):

| kind | promoter | passive | detractor |
|------|----------|---------|-----------|
| NPS  | 9-10     | 7-8     | 0-6       |
| CSAT | 4-5 (satisfied)  | 3 | 1-2 (dissatisfied) |
| CES  | 6-7 (easy)       | 3-5 | 1-2 (high effort) |

`is_promoter`/`is_detractor` are these categories. DESIGN's advocacy rule ("a promoter, NPS ≥ 9")
is NPS-only: a consumer that means an NPS promoter checks `kind == "nps"` too.

Sentiment (the health score's input, 0..100): promoter 100, passive 50, detractor 0.

Aggregates: NPS = %promoters - %detractors (-100..100, rounded to an integer);
CSAT = % of answers 4-5 (0..100, one decimal); CES = mean score (1..7, two decimals).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from surveys.models import SCALES, SurveyKind

PROMOTER = "promoter"
PASSIVE = "passive"
DETRACTOR = "detractor"
CATEGORIES = (PROMOTER, PASSIVE, DETRACTOR)

# The lowest NPS promoter score (DESIGN: "a promoter (NPS ≥ 9 …)"), for set-based readers.
NPS_PROMOTER_MIN = 9
# (lowest promoter score, highest detractor score) per kind.
_THRESHOLDS: dict[str, tuple[int, int]] = {
    SurveyKind.NPS: (NPS_PROMOTER_MIN, 6),
    SurveyKind.CSAT: (4, 2),
    SurveyKind.CES: (6, 2),
}
_SENTIMENT = {PROMOTER: 100, PASSIVE: 50, DETRACTOR: 0}


def score_in_scale(kind: str, score: int) -> bool:
    low, high = SCALES[SurveyKind(kind)]
    return isinstance(score, int) and not isinstance(score, bool) and low <= score <= high


def _check(kind: str, score: int) -> None:
    if not score_in_scale(kind, score):
        raise ValueError(f"score {score!r} is outside the {kind} scale")


def score_category(kind: str, score: int) -> str:
    """ "promoter" | "passive" | "detractor" for a score of `kind` (table above)."""
    _check(kind, score)
    promoter_from, detractor_to = _THRESHOLDS[SurveyKind(kind)]
    if score >= promoter_from:
        return PROMOTER
    if score <= detractor_to:
        return DETRACTOR
    return PASSIVE


def nps_category(score: int) -> str:
    """NPS: 9-10 promoter, 7-8 passive, 0-6 detractor."""
    return score_category(SurveyKind.NPS, score)


def is_promoter(kind: str, score: int) -> bool:
    return score_category(kind, score) == PROMOTER


def is_detractor(kind: str, score: int) -> bool:
    return score_category(kind, score) == DETRACTOR


def sentiment_value(kind: str, score: int) -> int:
    """The health sentiment input: promoter 100, passive 50, detractor 0."""
    return _SENTIMENT[score_category(kind, score)]


def category_score_ranges(kind: str) -> dict[str, tuple[int, int]]:
    """Inclusive score range of each category of `kind` (for filters in SQL)."""
    low, high = SCALES[SurveyKind(kind)]
    promoter_from, detractor_to = _THRESHOLDS[SurveyKind(kind)]
    return {
        PROMOTER: (promoter_from, high),
        PASSIVE: (detractor_to + 1, promoter_from - 1),
        DETRACTOR: (low, detractor_to),
    }


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def aggregate_score(kind: str, counts_by_score: Mapping[int, int]) -> Decimal | None:
    """The headline figure of `kind` over {score: number of answers}; None without answers.

    NPS: %promoters - %detractors, an integer; CSAT: % of 4-5, one decimal; CES: mean, two
    decimals (half up).
    """
    total = sum(counts_by_score.values())
    if total == 0:
        return None
    if kind == SurveyKind.CES:
        weighted = sum(score * count for score, count in counts_by_score.items())
        return _round(Decimal(weighted) / Decimal(total), "0.01")
    by_category = dict.fromkeys(CATEGORIES, 0)
    for score, count in counts_by_score.items():
        by_category[score_category(kind, score)] += count
    if kind == SurveyKind.NPS:
        difference = Decimal(by_category[PROMOTER] - by_category[DETRACTOR]) * 100
        return _round(difference / Decimal(total), "1")
    return _round(Decimal(by_category[PROMOTER]) * 100 / Decimal(total), "0.1")
