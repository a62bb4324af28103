"""Reads of the renewals app: contracts of an account, the renewal and expansion pipelines.

The retention reports live in renewals/retention/ (raw, set-based SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Case, Count, F, IntegerField, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.http import Http404

from accounts.models import Account
from renewals.models import (
    EXPANSION_OPEN_PROBABILITY,
    STAGE_PROBABILITY,
    Contract,
    Opportunity,
    OpportunityKind,
)
from tenancy.ids import id_parse
from tenancy.models import Organization


def contract_list_for_account(
    *, organization: Organization, account: Account, limit: int = 50
) -> list[Contract]:
    return list(
        Contract.objects.filter(organization=organization, account=account).order_by(
            "-start_date", "-id"
        )[:limit]
    )


def contract_get(*, organization: Organization, pk) -> Contract:
    contract_id = id_parse(pk)
    contract = (
        Contract.objects.filter(organization=organization, pk=contract_id)
        .select_related("account")
        .first()
        if contract_id is not None
        else None
    )
    if contract is None:
        raise Http404
    return contract


def opportunity_list_open_for_account(
    *, organization: Organization, account: Account
) -> list[Opportunity]:
    return list(
        Opportunity.objects.filter(
            organization=organization, account=account, closed_at__isnull=True
        )
        .select_related("contract")
        .order_by("expected_close_date", "id")
    )


def _probability_expression():
    whens = [
        When(kind=OpportunityKind.EXPANSION, stage=stage, then=Value(probability))
        for stage, probability in EXPANSION_OPEN_PROBABILITY.items()
    ]
    whens += [When(stage=stage, then=Value(p)) for stage, p in STAGE_PROBABILITY.items()]
    return Case(*whens, default=Value(0), output_field=IntegerField())


@dataclass(frozen=True)
class PipelineFilters:
    owner_id: int | None = None
    unowned: bool = False
    segment: str = ""
    stage: str = ""


def _pipeline_queryset(
    *, organization: Organization, kind: str, filters: PipelineFilters
) -> QuerySet[Opportunity]:
    queryset = Opportunity.objects.filter(
        organization=organization, kind=kind, closed_at__isnull=True
    )
    if filters.owner_id is not None:
        queryset = queryset.filter(account__owner_id=filters.owner_id)
    elif filters.unowned:
        queryset = queryset.filter(account__owner__isnull=True)
    if filters.segment:
        queryset = queryset.filter(account__segment=filters.segment)
    if filters.stage:
        queryset = queryset.filter(stage=filters.stage)
    return queryset


def opportunity_pipeline(
    *, organization: Organization, kind: str, filters: PipelineFilters | None = None
) -> QuerySet[Opportunity]:
    """Open opportunities by month of expected close (renewals: the contract's end), then ARR
    at risk (the amount) descending; with the account, its owner and its health band."""
    return (
        _pipeline_queryset(
            organization=organization, kind=kind, filters=filters or PipelineFilters()
        )
        .select_related("account__owner__user", "contract")
        .annotate(month=TruncMonth("expected_close_date"))
        .order_by(F("month").asc(nulls_last=True), "-amount_cents", "id")
    )


@dataclass(frozen=True)
class PipelineMonth:
    month: date | None
    count: int
    amount_cents: int
    forecast_cents: int


def opportunity_pipeline_months(
    *, organization: Organization, kind: str, filters: PipelineFilters | None = None
) -> list[PipelineMonth]:
    """Per month of expected close: count, Σ amount and forecast Σ amount x probability."""
    rows = (
        _pipeline_queryset(
            organization=organization, kind=kind, filters=filters or PipelineFilters()
        )
        .annotate(month=TruncMonth("expected_close_date"))
        .values("month")
        .annotate(
            count=Count("id"),
            amount=Sum("amount_cents"),
            weighted=Sum(F("amount_cents") * _probability_expression()),
        )
        .order_by(F("month").asc(nulls_last=True))
    )
    return [
        PipelineMonth(
            month=row["month"],
            count=row["count"],
            amount_cents=int(row["amount"] or 0),
            forecast_cents=int(row["weighted"] or 0) // 100,
        )
        for row in rows
    ]


def opportunity_get(*, organization: Organization, pk) -> Opportunity:
    opportunity_id = id_parse(pk)
    opportunity = (
        Opportunity.objects.filter(organization=organization, pk=opportunity_id)
        .select_related("account__owner__user", "contract")
        .first()
        if opportunity_id is not None
        else None
    )
    if opportunity is None:
        raise Http404
    return opportunity
