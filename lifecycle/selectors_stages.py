"""Reads of the stage engine: the facts the rules read (set-based), SLA flags, the board.

`stage_facts_gather` answers with a fixed number of queries whatever the number of accounts:
one per input (accounts, holds, first value, contracts, open opportunities) — never one per
account — and the rules run over the resulting tuples in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Account, Stage
from healthscore.models import EventDaily, EventKind
from lifecycle.models import StageHold, StageTransition
from lifecycle.rules import AccountFacts, StageRules
from lifecycle.selectors import lifecycle_settings_get
from lifecycle.selectors_followup import followups_overdue
from renewals.models import Contract, ContractStatus, Opportunity, OpportunityKind
from renewals.services import organization_today, renewal_window_days
from tenancy.models import Organization

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
    """The facts of every account of the organization (or of `account_ids`): 5 queries."""
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
    if ids is not None:
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
            last_promoter_answer=None,  # surveys: fill from the answers when they exist
            hold_stage=held.get(account_id),
            churned=stage == Stage.CHURNED or churned_at is not None,
        )
        states.append(AccountState(account_id, stage, facts))
    return states


# ---------------------------------------------------------------------------------------------
# SLA timers (computed in SQL at read time: no stored flag to keep in step)
# ---------------------------------------------------------------------------------------------
def _touchpoint_model():
    """Touchpoints are built in parallel: read them only if the model exists."""
    try:
        return apps.get_model("lifecycle", "Touchpoint")
    except LookupError:
        return None


@dataclass(frozen=True)
class SlaWindows:
    organization: Organization
    today: date  # the organization's today
    onboarding_overdue_days: int
    renewal_inactivity_days: int
    onboarding_overdue_before: date  # go-live before this day and still onboarding → overdue
    renewal_end_by: date  # an active contract ending by this day …
    renewal_activity_since: datetime  # … and no activity since this instant → stalled


def sla_windows(*, organization: Organization, today: date | None = None) -> SlaWindows:
    settings_row = lifecycle_settings_get(organization=organization)
    today = today or organization_today(organization)
    days = settings_row.renewal_inactivity_days
    return SlaWindows(
        organization=organization,
        today=today,
        onboarding_overdue_days=settings_row.onboarding_overdue_days,
        renewal_inactivity_days=days,
        onboarding_overdue_before=today - timedelta(days=settings_row.onboarding_overdue_days),
        renewal_end_by=today + timedelta(days=days),
        renewal_activity_since=timezone.now() - timedelta(days=days),
    )


def _renewal_ending(windows: SlaWindows) -> QuerySet[Contract]:
    return Contract.objects.filter(
        organization_id=OuterRef("organization_id"),
        account_id=OuterRef("pk"),
        status=ContractStatus.ACTIVE,
        end_date__lte=windows.renewal_end_by,
    )


def _renewal_worked() -> QuerySet[Opportunity]:
    """Open renewal opportunities that moved past "not started" (activity, by updated_at)."""
    return (
        Opportunity.objects.filter(
            organization_id=OuterRef("organization_id"),
            account_id=OuterRef("pk"),
            kind=OpportunityKind.RENEWAL,
            closed_at__isnull=True,
        )
        .exclude(stage="not_started")
        .order_by()
    )


def _touchpoints() -> QuerySet[Any] | None:
    touchpoint = _touchpoint_model()
    if touchpoint is None:
        return None
    return touchpoint.objects.filter(
        organization_id=OuterRef("organization_id"), account_id=OuterRef("pk")
    ).order_by()


def _followups_overdue(windows: SlaWindows) -> QuerySet[Any]:
    """The follow-up part's definition of overdue (`followups_overdue`), per account."""
    return followups_overdue(organization=windows.organization, today=windows.today).filter(
        account_id=OuterRef("pk")
    )


def _account_ids(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """A correlation-free `account_id` set: PostgreSQL hashes it once (a hashed SubPlan)
    instead of probing it once per account row."""
    return queryset.order_by().values("account_id")


def sla_annotate(queryset: QuerySet[Account], *, windows: SlaWindows) -> QuerySet[Any]:
    """Adds `onboarding_overdue`, `followup_overdue` and `renewal_stalled` (booleans) to an
    Account queryset — one statement whatever the number of rows; the subqueries are
    uncorrelated id sets (read once, not once per account: the board counts 100k accounts).

    Follow-up overdue: the account's follow-up is not done after its due date
    (`lifecycle.selectors_followup.followups_overdue`, the one definition).
    Renewal stalled: in stage renewal, an active contract ends within
    `renewal_inactivity_days`, and nothing happened in the last `renewal_inactivity_days`:
    no open renewal opportunity moved past "not started" (its updated_at) and no touchpoint.
    """
    organization = windows.organization
    since = windows.renewal_activity_since
    ending = Contract.objects.filter(
        organization=organization,
        status=ContractStatus.ACTIVE,
        end_date__lte=windows.renewal_end_by,
    )
    worked = Opportunity.objects.filter(
        organization=organization,
        kind=OpportunityKind.RENEWAL,
        closed_at__isnull=True,
        updated_at__gte=since,
    ).exclude(stage="not_started")
    stalled = Q(stage=Stage.RENEWAL, pk__in=_account_ids(ending)) & ~Q(pk__in=_account_ids(worked))
    touchpoint = _touchpoint_model()
    if touchpoint is not None:
        recent = touchpoint.objects.filter(organization=organization, occurred_at__gte=since)
        stalled &= ~Q(pk__in=_account_ids(recent))
    overdue = followups_overdue(organization=organization, today=windows.today)
    return queryset.annotate(
        onboarding_overdue=ExpressionWrapper(
            Q(stage=Stage.ONBOARDING, go_live_date__lt=windows.onboarding_overdue_before),
            output_field=BooleanField(),
        ),
        followup_overdue=ExpressionWrapper(
            Q(pk__in=_account_ids(overdue)), output_field=BooleanField()
        ),
        renewal_stalled=ExpressionWrapper(stalled, output_field=BooleanField()),
    )


SLA_FLAGS = {  # breach kind → the flag `sla_annotate` adds
    "onboarding": "onboarding_overdue",
    "followup": "followup_overdue",
    "renewal": "renewal_stalled",
}


def sla_overdue_q(*, windows: SlaWindows, kind: str = "") -> Q:
    """Accounts with any SLA breach (or with the breach `kind`), as a filter over
    `sla_annotate`d rows (for counts and lists)."""
    if kind:
        return Q(**{SLA_FLAGS[kind]: True})
    return Q(onboarding_overdue=True) | Q(followup_overdue=True) | Q(renewal_stalled=True)


@dataclass(frozen=True)
class SlaBreach:
    kind: str  # onboarding | followup | renewal
    label: str
    title: str  # what the SLA is, in words
    since: date | None  # the day the SLA ran out


SLA_LABELS = {
    "onboarding": gettext_lazy("Onboarding overdue"),
    "followup": gettext_lazy("Follow-up overdue"),
    "renewal": gettext_lazy("Renewal without activity"),
}


def _sla_titles(windows: SlaWindows) -> dict[str, str]:
    """The same words as the board's badges (templates/lifecycle/stages/_sla_flags.html)."""
    return {
        "onboarding": gettext("Still onboarding more than %(days)s days after go-live.")
        % {"days": windows.onboarding_overdue_days},
        "followup": gettext(
            "The follow-up after go-live is past its due date and no outcome was recorded."
        ),
        "renewal": gettext(
            "A contract ends within %(days)s days and the renewal saw no activity in the last "
            "%(days)s days."
        )
        % {"days": windows.renewal_inactivity_days},
    }


def _since_annotate(queryset: QuerySet[Any], *, windows: SlaWindows) -> QuerySet[Any]:
    """What `sla_breaches_attach` needs to date each breach (correlated subqueries: the list
    stays one statement)."""
    annotations: dict[str, Any] = {
        "sla_followup_due": Subquery(_followups_overdue(windows).values("due_date")[:1]),
        "sla_contract_end": Subquery(
            _renewal_ending(windows)
            .order_by()
            .values("account_id")
            .annotate(end=Min("end_date"))
            .values("end")[:1]
        ),
        "sla_opportunity_moved": Subquery(
            _renewal_worked().values("account_id").annotate(at=Max("updated_at")).values("at")[:1]
        ),
    }
    touchpoints = _touchpoints()
    if touchpoints is not None:
        annotations["sla_touchpoint_at"] = Subquery(
            touchpoints.values("account_id").annotate(at=Max("occurred_at")).values("at")[:1]
        )
    return queryset.annotate(**annotations)


def _renewal_stalled_since(account: Any, windows: SlaWindows) -> date | None:
    """The first day both held: the contract end within the window, and no activity for
    `renewal_inactivity_days` since the last one."""
    end = getattr(account, "sla_contract_end", None)
    if end is None:
        return None
    days = timedelta(days=windows.renewal_inactivity_days)
    since = end - days
    moments = [
        moment
        for moment in (
            getattr(account, "sla_opportunity_moved", None),
            getattr(account, "sla_touchpoint_at", None),
        )
        if moment is not None
    ]
    if moments:
        tz = ZoneInfo(windows.organization.time_zone)
        since = max(since, max(moments).astimezone(tz).date() + days)
    return min(since, windows.today)


def sla_breaches_attach(accounts: Iterable[Any], *, windows: SlaWindows) -> None:
    """Sets `account.sla_breaches` (list of SlaBreach), `<flag>_since` and
    `account.days_in_stage` on rows read through `sla_breach_list` — Python over the page's
    rows, no query."""
    now = timezone.now()
    titles = _sla_titles(windows)
    for account in accounts:
        dates: dict[str, date | None] = {}
        if account.onboarding_overdue:
            go_live = account.go_live_date
            days = timedelta(days=windows.onboarding_overdue_days)
            dates["onboarding"] = go_live + days if go_live is not None else None
        if account.followup_overdue:
            dates["followup"] = getattr(account, "sla_followup_due", None)
        if account.renewal_stalled:
            dates["renewal"] = _renewal_stalled_since(account, windows)
        account.sla_breaches = [
            SlaBreach(kind, str(SLA_LABELS[kind]), titles[kind], since)
            for kind, since in dates.items()
        ]
        for kind, flag in SLA_FLAGS.items():
            setattr(account, f"{flag}_since", dates.get(kind))
        account.days_in_stage = max((now - account.stage_entered_at).days, 0)


@dataclass(frozen=True)
class SlaBreachFilters:
    owner: int | None = None
    owner_none: bool = False  # accounts without an owner (My day's unassigned work)
    segment: str = ""
    stage: str = ""
    kind: str = ""


def sla_breach_list(
    *,
    organization: Organization,
    filters: SlaBreachFilters | None = None,
    windows: SlaWindows | None = None,
) -> QuerySet[Any]:
    """Accounts with an SLA breach (any, or `filters.kind`), with their flags and what dates
    them; one statement for a page. Call `sla_breaches_attach` on the rows read."""
    filters = filters or SlaBreachFilters()
    windows = windows or sla_windows(organization=organization)
    queryset = Account.objects.filter(organization=organization).exclude(stage=Stage.CHURNED)
    if filters.owner is not None:
        queryset = queryset.filter(owner_id=filters.owner)
    elif filters.owner_none:
        queryset = queryset.filter(owner__isnull=True)
    if filters.segment:
        queryset = queryset.filter(segment=filters.segment)
    if filters.stage:
        queryset = queryset.filter(stage=filters.stage)
    annotated = sla_annotate(queryset, windows=windows).filter(
        sla_overdue_q(windows=windows, kind=filters.kind)
    )
    return _since_annotate(annotated, windows=windows).select_related("owner__user")


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


def account_sla_get(*, organization: Organization, account: Account) -> dict[str, bool]:
    windows = sla_windows(organization=organization)
    flags = ("onboarding_overdue", "followup_overdue", "renewal_stalled")
    row = (
        sla_annotate(
            Account.objects.filter(organization=organization, pk=account.pk), windows=windows
        )
        .values(*flags)
        .first()
    )
    return row or dict.fromkeys(flags, False)
