"""Reads of the stage engine: the facts the rules read (set-based), the board, transitions
(SLA flags: lifecycle/selectors_sla.py).

`stage_facts_gather` answers with a fixed number of queries whatever the number of accounts:
one per input (accounts, holds, first value, contracts, open opportunities) — never one per
account — and the rules run over the resulting tuples in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Sum,
)
from django.utils import timezone

from accounts.models import Account, Stage
from healthscore.models import EventDaily, EventKind
from lifecycle.models import StageHold, StageTransition
from lifecycle.rules import AccountFacts, StageRules
from lifecycle.selectors import lifecycle_settings_get
from lifecycle.selectors_sla import SlaWindows, sla_annotate, sla_overdue_q, sla_windows
from renewals.models import Contract, ContractStatus, Opportunity, OpportunityKind
from renewals.services import renewal_window_days
from surveys.models import SurveyKind, SurveyResponse
from surveys.scoring import NPS_PROMOTER_MIN
from tenancy.models import Organization
from tenancy.timezones import local_date

BOARD_STAGES = (
    Stage.ONBOARDING,
    Stage.ADOPTION,
    Stage.RETENTION,
    Stage.EXPANSION,
    Stage.RENEWAL,
    Stage.ADVOCACY,
)


def stage_rules_get(*, organization: Organization) -> StageRules:
    settings_row = lifecycle_settings_get(organization=organization)
    return StageRules(
        renewal_window_days=renewal_window_days(organization=organization),
        onboarding_overdue_days=settings_row.onboarding_overdue_days,
        adoption_months=settings_row.adoption_months,
        advocacy_min_tenure_months=settings_row.advocacy_min_tenure_months,
        promoter_lookback_days=settings_row.promoter_lookback_days,
    )


@dataclass(frozen=True)
class AccountState:
    account_id: int
    stage: str
    facts: AccountFacts


def stage_facts_gather(
    *,
    organization: Organization,
    today: date,
    rules: StageRules,
    account_ids: Iterable[int] | None = None,
) -> list[AccountState]:
    """The facts of every account of the organization (or of `account_ids`): 6 queries."""
    ids = None if account_ids is None else sorted(set(account_ids))
    accounts = Account.objects.filter(organization=organization)
    holds = StageHold.objects.filter(organization=organization)
    contracts = Contract.objects.filter(
        organization=organization,
        status=ContractStatus.ACTIVE,
        end_date__gt=today,
        end_date__lte=today + timedelta(days=rules.renewal_window_days),
    )
    opportunities = Opportunity.objects.filter(organization=organization, closed_at__isnull=True)
    onboarding = accounts.filter(stage=Stage.ONBOARDING)
    promoter_answers = SurveyResponse.objects.filter(
        organization=organization, kind=SurveyKind.NPS, score__gte=NPS_PROMOTER_MIN
    )
    if ids is not None:
        promoter_answers = promoter_answers.filter(account_id__in=ids)
        accounts = accounts.filter(pk__in=ids)
        holds = holds.filter(account_id__in=ids)
        contracts = contracts.filter(account_id__in=ids)
        opportunities = opportunities.filter(account_id__in=ids)
        onboarding = onboarding.filter(pk__in=ids)

    rows = list(
        accounts.values_list("id", "stage", "go_live_date", "health_band", "churned_at").order_by()
    )
    held = dict(holds.values_list("account_id", "stage"))
    first_value = set(
        EventDaily.objects.filter(
            organization=organization,
            kind=EventKind.FEATURE,
            account_id__in=onboarding.values("pk"),
        )
        .values_list("account_id", flat=True)
        .distinct()
        .order_by()
    )
    ends = dict(
        contracts.values("account_id")
        .annotate(end=Min("end_date"))
        .values_list("account_id", "end")
        .order_by()
    )
    # The last NPS promoter answer (9-10) inside the lookback, as a local day.
    promoter_since = timezone.now() - timedelta(days=rules.promoter_lookback_days + 1)
    promoters = {
        account_id: local_date(organization, answered_at)
        for account_id, answered_at in promoter_answers.filter(answered_at__gte=promoter_since)
        .values("account_id")
        .annotate(last=Max("answered_at"))
        .values_list("account_id", "last")
        .order_by()
    }
    open_kinds: dict[int, set[str]] = {}
    for account_id, kind in opportunities.values_list("account_id", "kind").distinct().order_by():
        open_kinds.setdefault(account_id, set()).add(kind)

    states = []
    for account_id, stage, go_live, band, churned_at in rows:
        kinds = open_kinds.get(account_id, set())
        facts = AccountFacts(
            today=today,
            go_live_date=go_live,
            onboarding_done=stage != Stage.ONBOARDING or account_id in first_value,
            health_band=band,
            contract_end=ends.get(account_id),
            open_renewal=OpportunityKind.RENEWAL in kinds,
            open_expansion=OpportunityKind.EXPANSION in kinds,
            last_promoter_answer=promoters.get(account_id),
            hold_stage=held.get(account_id),
            churned=stage == Stage.CHURNED or churned_at is not None,
        )
        states.append(AccountState(account_id, stage, facts))
    return states


# ---------------------------------------------------------------------------------------------
# Board
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoardFilters:
    owner: int | None = None
    segment: str = ""


@dataclass(frozen=True)
class BoardColumn:
    stage: str
    label: str
    count: int
    arr_cents: int
    overdue: int
    median_days: float | None
    accounts: list[Account]

    @property
    def more(self) -> int:
        return self.count - len(self.accounts)


@dataclass(frozen=True)
class Board:
    columns: list[BoardColumn]
    churned: int
    churned_arr_cents: int
    total: int
    medians_by_segment: list[dict[str, Any]]


def _board_accounts(organization: Organization, filters: BoardFilters) -> QuerySet[Account]:
    queryset = Account.objects.filter(organization=organization)
    if filters.owner is not None:
        queryset = queryset.filter(owner_id=filters.owner)
    if filters.segment:
        queryset = queryset.filter(segment=filters.segment)
    return queryset


def stage_board(
    *,
    organization: Organization,
    filters: BoardFilters | None = None,
    top: int = 8,
    today: date | None = None,
) -> Board:
    """Per stage: count, ARR, overdue count and median days in stage (one aggregate query +
    the medians query), then the top `top` accounts by ARR of each stage (one query with a
    window function). Fixed query count whatever the number of accounts."""
    filters = filters or BoardFilters()
    windows = sla_windows(organization=organization, today=today)
    base = _board_accounts(organization, filters)
    totals = {
        row["stage"]: row
        for row in sla_annotate(base, windows=windows)
        .values("stage")
        .annotate(
            total=Count("id"),
            arr=Sum("arr_cents"),
            overdue=Count("id", filter=sla_overdue_q(windows=windows)),
        )
        .order_by()
    }
    medians = stage_time_medians(organization=organization, filters=filters)
    top_rows = _top_accounts(base, windows, top) if top > 0 else {}
    columns = []
    for stage in BOARD_STAGES:
        row: dict[str, Any] = totals.get(stage, {})
        columns.append(
            BoardColumn(
                stage=stage,
                label=str(Stage(stage).label),
                count=row.get("total", 0),
                arr_cents=row.get("arr") or 0,
                overdue=row.get("overdue", 0),
                median_days=medians.get((stage, None)),
                accounts=top_rows.get(stage, []),
            )
        )
    churned: dict[str, Any] = totals.get(Stage.CHURNED, {})
    segments = sorted({segment for (_stage, segment) in medians if segment is not None})
    by_segment = [
        {
            "segment": segment,
            "medians": [medians.get((stage, segment)) for stage in BOARD_STAGES],
        }
        for segment in segments
    ]
    return Board(
        columns=columns,
        churned=churned.get("total", 0),
        churned_arr_cents=churned.get("arr") or 0,
        total=sum(row["total"] for row in totals.values()),
        medians_by_segment=by_segment,
    )


def _top_accounts(
    base: QuerySet[Account], windows: SlaWindows, top: int
) -> dict[str, list[Account]]:
    """The `top` accounts by ARR of each stage, in two queries: ROW_NUMBER per stage over the
    bare columns picks the ids (a narrow sort, whatever the book size), then only those
    accounts get their SLA flags, owner and hold (the subqueries run for at most top x 6 rows,
    not for every account)."""
    from django.db.models import Window
    from django.db.models.functions import RowNumber

    ranked = (
        base.exclude(stage=Stage.CHURNED)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("stage")],
                order_by=[F("arr_cents").desc(), F("name").asc(), F("id").asc()],
            )
        )
        .filter(rank__lte=top)
        .values_list("id", "rank")
    )
    ranks = dict(ranked)
    accounts = (
        sla_annotate(base.filter(pk__in=list(ranks)), windows=windows)
        .select_related("owner__user")
        .annotate(held=Exists(StageHold.objects.filter(account_id=OuterRef("pk"))))
    )
    result: dict[str, list[Account]] = {}
    now = timezone.now()
    for account in sorted(accounts, key=lambda a: (a.stage, ranks[a.pk])):
        account.days_in_stage = max((now - account.stage_entered_at).days, 0)
        result.setdefault(account.stage, []).append(account)
    return result


def stage_time_medians(
    *, organization: Organization, filters: BoardFilters | None = None
) -> dict[tuple[str, str | None], float]:
    """Median days in the current stage per stage (key (stage, None)) and per (stage, segment).

    PostgreSQL: `percentile_cont(0.5)` with GROUPING SETS, one statement. SQLite (the embedded
    default) has no percentile: the (stage, segment, days) tuples are read in one query and
    the medians taken in Python."""
    filters = filters or BoardFilters()
    base = _board_accounts(organization, filters).exclude(stage=Stage.CHURNED)
    now = timezone.now()
    if connection.vendor == "postgresql":
        sql, params = base.values("id").query.sql_with_params()
        table = Account._meta.db_table
        statement = (
            f"SELECT a.stage, a.segment, "  # noqa: S608 (identifiers are ours)
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (%s - "
            "a.stage_entered_at)) / 86400.0), GROUPING(a.segment) "
            f"FROM {table} a WHERE a.id IN ({sql}) "
            "GROUP BY GROUPING SETS ((a.stage), (a.stage, a.segment))"
        )
        with connection.cursor() as cursor:
            cursor.execute(statement, [now, *params])
            result: dict[tuple[str, str | None], float] = {}
            for stage, segment, value, grouped in cursor.fetchall():
                key = (stage, None if grouped else segment)
                result[key] = round(float(value), 1)
            return result
    values: dict[tuple[str, str | None], list[float]] = {}
    for stage, segment, entered in base.values_list(
        "stage", "segment", "stage_entered_at"
    ).order_by():
        days = (now - entered).total_seconds() / 86400
        values.setdefault((stage, None), []).append(days)
        values.setdefault((stage, segment), []).append(days)
    return {key: round(median(days), 1) for key, days in values.items()}


# ---------------------------------------------------------------------------------------------
# Transitions
# ---------------------------------------------------------------------------------------------
def stage_transition_list(
    *,
    organization: Organization,
    account_id: int | None = None,
    to_stage: str = "",
    automatic: bool | None = None,
) -> QuerySet[StageTransition]:
    queryset = StageTransition.objects.filter(organization=organization).select_related(
        "actor", "account"
    )
    if account_id is not None:
        queryset = queryset.filter(account_id=account_id)
    if to_stage:
        queryset = queryset.filter(to_stage=to_stage)
    if automatic is not None:
        queryset = queryset.filter(automatic=automatic)
    return queryset.order_by("-at", "-id")


def stage_hold_get(*, organization: Organization, account: Account) -> StageHold | None:
    return (
        StageHold.objects.filter(organization=organization, account=account)
        .select_related("actor")
        .first()
    )
