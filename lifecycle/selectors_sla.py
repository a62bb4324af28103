"""Reads of the stage engine's SLA timers (DESIGN.md, Lifecycle: SLA breaches per account).

Three flags, computed in SQL at read time (no stored flag to keep in step): onboarding
overdue, follow-up overdue, renewal without activity. `sla_annotate` adds them to any Account
queryset (board counts and cards, My day, the `sla-breaches/` API, the stage page);
`sla_breaches_attach` dates each breach for the few rows a page shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Account, Stage
from lifecycle.selectors import lifecycle_settings_get
from lifecycle.selectors_followup import followups_overdue
from renewals.models import Contract, ContractStatus, Opportunity, OpportunityKind
from tenancy.models import Organization
from tenancy.timezones import local_date, organization_today


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
        since = max(since, local_date(windows.organization, max(moments)) + days)
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
