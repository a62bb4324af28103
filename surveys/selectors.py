"""Reads of the surveys app.

`survey_invitation_get_by_token_unscoped` is the app's only unscoped read: the public answer
page's URL carries the token, found by its SHA-256 before the organization is known; the
tenancy middleware's `process_view` enters the invitation's organization scope right after.
Results are one GROUP BY over the survey's responses (≤ 11 rows, one per score), whatever the
number of answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet

from accounts.models import Account, Consent, Contact, Segment
from surveys.models import SCALES, Survey, SurveyInvitation, SurveyKind, SurveyResponse
from surveys.scoring import CATEGORIES, aggregate_score, category_score_ranges, score_category
from tenancy.models import Organization
from tenancy.tokens import token_hash

TOKEN_MAX_LENGTH = 100


def survey_invitation_get_by_token_unscoped(*, token: str) -> SurveyInvitation | None:
    """Find an invitation by its clear token across organizations (reason: public survey link).

    Unknown, malformed and expired tokens all read as None to the caller that renders the page
    the same way, so the page never tells whether a token existed."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        # Audited unscoped read: the survey link's token decides the organization; the
        # middleware's process_view enters that organization's scope right after.
        SurveyInvitation.objects.with_scopes_disabled()
        .select_related("organization")
        .filter(token_hash=token_hash(token))
        .first()
    )


def survey_list(*, organization: Organization) -> QuerySet[Survey]:
    """Surveys with their number of answers and the last answer's time (one query)."""
    return (
        Survey.objects.filter(organization=organization)
        .annotate(response_count=Count("responses"), last_answered_at=Max("responses__answered_at"))
        .order_by("-active", "name", "id")
    )


@dataclass(frozen=True)
class ResponseFilters:
    survey: Survey | None = None
    account: Account | None = None
    kind: str = ""
    category: str = ""
    since: datetime | None = None
    until: datetime | None = None
    segment: str = ""


def _filter(queryset: QuerySet[SurveyResponse], filters: ResponseFilters) -> QuerySet:
    if filters.survey is not None:
        queryset = queryset.filter(survey=filters.survey)
    if filters.account is not None:
        queryset = queryset.filter(account=filters.account)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.since is not None:
        queryset = queryset.filter(answered_at__gte=filters.since)
    if filters.until is not None:
        queryset = queryset.filter(answered_at__lt=filters.until)
    if filters.segment:
        queryset = queryset.filter(account__segment=filters.segment)
    if filters.category:
        kinds = [filters.kind] if filters.kind else SurveyKind.values
        condition = Q()
        for kind in kinds:
            low, high = category_score_ranges(kind)[filters.category]
            condition |= Q(kind=kind, score__gte=low, score__lte=high)
        queryset = queryset.filter(condition)
    return queryset


def survey_response_list(
    *, organization: Organization, filters: ResponseFilters | None = None
) -> QuerySet[SurveyResponse]:
    """Responses newest first with survey, account and contact (one query per page)."""
    queryset = SurveyResponse.objects.filter(organization=organization).select_related(
        "survey", "account", "contact"
    )
    return _filter(queryset, filters or ResponseFilters()).order_by("-answered_at", "-id")


@dataclass(frozen=True)
class SurveyResults:
    kind: str
    total: int
    score: Decimal | None
    counts_by_category: dict[str, int]
    counts_by_score: dict[int, int] = field(default_factory=dict)

    def share(self, category: str) -> float:
        return 100 * self.counts_by_category[category] / self.total if self.total else 0.0

    @property
    def categories(self) -> list[tuple[str, int, float]]:
        return [(name, self.counts_by_category[name], self.share(name)) for name in CATEGORIES]

    @property
    def scores(self) -> list[tuple[int, int]]:
        low, high = SCALES[SurveyKind(self.kind)]
        return [(score, self.counts_by_score.get(score, 0)) for score in range(low, high + 1)]


def survey_results(
    *,
    organization: Organization,
    survey: Survey,
    since: datetime | None = None,
    until: datetime | None = None,
    segment: str = "",
) -> SurveyResults:
    """The survey's headline figure (surveys.scoring), counts per category and per score over
    its responses answered in [since, until) of accounts in `segment` — one aggregate query."""
    if segment and segment not in Segment.values:
        raise ValueError(f"unknown segment {segment!r}")
    filters = ResponseFilters(survey=survey, since=since, until=until, segment=segment)
    rows = (
        _filter(SurveyResponse.objects.filter(organization=organization), filters)
        .order_by()
        .values_list("score")
        .annotate(answers=Count("id"))
    )
    counts_by_score = dict(rows)
    by_category = dict.fromkeys(CATEGORIES, 0)
    for score, answers in counts_by_score.items():
        by_category[score_category(survey.kind, score)] += answers
    return SurveyResults(
        kind=survey.kind,
        total=sum(counts_by_score.values()),
        score=aggregate_score(survey.kind, counts_by_score),
        counts_by_category=by_category,
        counts_by_score=counts_by_score,
    )


def account_survey_responses(
    *, organization: Organization, account: Account, limit: int = 10
) -> list[SurveyResponse]:
    """The account's latest answers, newest first (one query)."""
    return list(
        SurveyResponse.objects.filter(organization=organization, account=account)
        .select_related("survey", "contact")
        .order_by("-answered_at", "-id")[:limit]
    )


def contacts_messageable(*, organization: Organization, account: Account) -> QuerySet[Contact]:
    """The account's contacts that opted in to at least one channel (outreach still decides
    the channel and records a skip when the chosen one turns out unusable)."""
    return (
        Contact.objects.filter(organization=organization, account=account)
        .filter(Q(email_consent=Consent.OPTED_IN) | Q(whatsapp_consent=Consent.OPTED_IN))
        .order_by("-is_primary", "name", "id")
    )
