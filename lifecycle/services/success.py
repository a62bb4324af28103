"""Writes of success plans and objectives (DESIGN.md, Decisions: success plans).

Plans and objectives are commitments made to a customer: every change is audited. An objective
bound to an event metric (`metric_event` + `metric_window` + `metric_aggregate`) never takes a
typed current value; `objective_bound_refresh` rewrites the current value of every bound
objective of an organization in ONE `UPDATE … SET current_value = (correlated aggregate over
EventDaily)`. Windows are whole days in the organization's time zone that end yesterday
(weekly: the 7 days before today; monthly: the 30 days before today), so a value does not
sag every morning while today's events are still arriving.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, FloatField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from healthscore.ingest.validation import FIXED_NAMES, NAME_PATTERN
from healthscore.inputs import OUTCOME_VALUES, health_outcomes_sync
from healthscore.models import EventDaily
from lifecycle.models.success import (
    WINDOW_DAYS,
    MetricAggregate,
    MetricWindow,
    Objective,
    SuccessPlan,
    SuccessPlanStatus,
)
from tenancy.models import Membership, Organization, User
from tenancy.services import audit_record
from tenancy.timezones import organization_today

MAX_ABS_VALUE = 1e12
OBJECTIVE_FIELDS = (
    "title",
    "metric",
    "baseline",
    "target",
    "start_date",
    "due_date",
    "current_value",
    "metric_event",
    "metric_window",
    "metric_aggregate",
)
PLAN_FIELDS = ("title", "owner", "status")


def _check(organization: Organization, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != organization.id:
            raise PermissionDenied("Object belongs to another organization.")


def event_name_is_valid(name: str) -> bool:
    """healthscore's event name rules (DESIGN.md, Health scoring: Events)."""
    return name in FIXED_NAMES or bool(NAME_PATTERN.match(name))


# ---------------------------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------------------------
def _plan_validate(
    *, organization: Organization, account: Account, plan: SuccessPlan | None, values: dict
) -> None:
    errors: dict[str, list[ValidationError]] = {}
    title = values["title"]
    if not title:
        errors["title"] = [ValidationError(_("Give the plan a title."), code="required")]
    elif len(title) > 200:
        errors["title"] = [ValidationError(_("Keep the title under 200 characters."), "max_length")]
    if values["status"] not in SuccessPlanStatus.values:
        errors["status"] = [ValidationError(_("Choose a valid status."), code="invalid_choice")]
    elif values["status"] == SuccessPlanStatus.ACTIVE:
        others = SuccessPlan.objects.filter(
            organization=organization, account=account, status=SuccessPlanStatus.ACTIVE
        )
        if plan is not None:
            others = others.exclude(pk=plan.pk)
        if others.exists():
            errors["status"] = [
                ValidationError(
                    _("This account already has an active success plan; complete it first."),
                    code="active_plan_exists",
                )
            ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def success_plan_create(
    *,
    organization: Organization,
    account: Account,
    title: str,
    actor: User | None,
    owner: Membership | None = None,
    status: str = SuccessPlanStatus.ACTIVE,
) -> SuccessPlan:
    _check(organization, account, owner)
    values = {"title": (title or "").strip(), "owner": owner, "status": status}
    _plan_validate(organization=organization, account=account, plan=None, values=values)
    plan = SuccessPlan.objects.create(organization=organization, account=account, **values)
    audit_record(
        organization=organization,
        actor=actor,
        action="success_plan.create",
        target=plan,
        after={"title": plan.title, "account": account.pk, "status": plan.status},
    )
    return plan


@transaction.atomic
def success_plan_update(
    *, organization: Organization, plan: SuccessPlan, actor: User | None, **changes: Any
) -> SuccessPlan:
    _check(organization, plan, changes.get("owner"))
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    values = {name: changes.get(name, getattr(plan, name)) for name in PLAN_FIELDS}
    values["title"] = (values["title"] or "").strip()
    _plan_validate(organization=organization, account=plan.account, plan=plan, values=values)
    before = {"title": plan.title, "owner": plan.owner_id, "status": plan.status}
    for name, value in values.items():
        setattr(plan, name, value)
    plan.save(update_fields=[*PLAN_FIELDS, "updated_at"])
    after = {"title": plan.title, "owner": plan.owner_id, "status": plan.status}
    if before != after:
        audit_record(
            organization=organization,
            actor=actor,
            action="success_plan.update",
            target=plan,
            before=before,
            after=after,
        )
        objective_outcomes_sync(organization=organization, account_ids=[plan.account_id])
    return plan


# ---------------------------------------------------------------------------------------------
# Objectives
# ---------------------------------------------------------------------------------------------
def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or math.isinf(number) or abs(number) > MAX_ABS_VALUE:
        return None
    return number


def _objective_validate(values: dict) -> dict:
    """Normalise and check the fields; raise ValidationError with every problem."""
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    values["title"] = (values.get("title") or "").strip()
    values["metric"] = (values.get("metric") or "").strip()
    for name, label in (("title", _("title")), ("metric", _("metric"))):
        if not values[name]:
            add(name, _("The %(field)s is required.") % {"field": label}, "required")
        elif len(values[name]) > 200:
            add(name, _("Keep it under 200 characters."), "max_length")
    for name in ("baseline", "target"):
        number = _number(values.get(name))
        if number is None:
            add(name, _("Enter a number (at most 10^12 in size)."), "invalid")
        values[name] = number
    if (
        values["baseline"] is not None
        and values["target"] is not None
        and values["baseline"] == values["target"]
    ):
        add("target", _("The target must differ from the baseline."), "target_equals_baseline")
    if values.get("due_date") is None:
        add("due_date", _("Give a due date."), "required")
    elif values.get("start_date") and values["due_date"] <= values["start_date"]:
        add("due_date", _("The due date must be after the start date."), "due_before_start")
    event = (values.get("metric_event") or "").strip()
    values["metric_event"] = event
    if event:
        if not event_name_is_valid(event):
            add(
                "metric_event",
                _(
                    "Not an event name: use login, ticket.opened, ticket.closed, "
                    "invoice.overdue, invoice.paid, feature.<key> or custom.<key> (lowercase)."
                ),
                "invalid_event_name",
            )
        if values.get("metric_window") not in MetricWindow.values:
            add("metric_window", _("Choose the window of a bound metric."), "required")
        if values.get("metric_aggregate") not in MetricAggregate.values:
            add("metric_aggregate", _("Choose how events are counted."), "required")
        if values.get("current_value") is not None:
            add(
                "current_value",
                _("A bound objective's current value comes from its events; leave it empty."),
                "bound_current_value",
            )
    else:
        values["metric_window"] = ""
        values["metric_aggregate"] = ""
        if values.get("current_value") is not None:
            number = _number(values["current_value"])
            if number is None:
                add("current_value", _("Enter a number (at most 10^12 in size)."), "invalid")
            values["current_value"] = number
    if errors:
        raise ValidationError(errors)
    return values


def _objective_snapshot(objective: Objective) -> dict:
    return {
        name: (value.isoformat() if isinstance(value, date) else value)
        for name in OBJECTIVE_FIELDS
        for value in [getattr(objective, name)]
    }


@transaction.atomic
def objective_create(
    *,
    organization: Organization,
    plan: SuccessPlan,
    actor: User | None,
    title: str,
    metric: str,
    baseline: Any,
    target: Any,
    due_date: date | None,
    start_date: date | None = None,
    current_value: Any = None,
    metric_event: str = "",
    metric_window: str = "",
    metric_aggregate: str = "",
) -> Objective:
    _check(organization, plan)
    values = _objective_validate(
        {
            "title": title,
            "metric": metric,
            "baseline": baseline,
            "target": target,
            "start_date": start_date or organization_today(organization),
            "due_date": due_date,
            "current_value": current_value,
            "metric_event": metric_event,
            "metric_window": metric_window,
            "metric_aggregate": metric_aggregate,
        }
    )
    objective = Objective(organization=organization, plan=plan, account_id=plan.account_id)
    for name, value in values.items():
        setattr(objective, name, value)
    if not objective.is_bound and objective.current_value is not None:
        objective.current_value_at = timezone.now()
    objective.save()
    if objective.is_bound:
        objective_bound_refresh(organization=organization, objective_ids=[objective.pk])
        objective.refresh_from_db()
    audit_record(
        organization=organization,
        actor=actor,
        action="objective.create",
        target=objective,
        after=_objective_snapshot(objective),
    )
    objective_outcomes_sync(organization=organization, account_ids=[objective.account_id])
    return objective


@transaction.atomic
def objective_update(
    *, organization: Organization, objective: Objective, actor: User | None, **changes: Any
) -> Objective:
    _check(organization, objective)
    unknown = set(changes) - set(OBJECTIVE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    values = {name: changes.get(name, getattr(objective, name)) for name in OBJECTIVE_FIELDS}
    if changes.get("metric_event", objective.metric_event) and "current_value" not in changes:
        values["current_value"] = None  # the stored value came from the events
    values = _objective_validate(values)
    before = _objective_snapshot(objective)
    for name, value in values.items():
        setattr(objective, name, value)
    if "current_value" in changes and not objective.is_bound:
        objective.current_value_at = timezone.now()
    objective.save()
    if objective.is_bound:
        objective_bound_refresh(organization=organization, objective_ids=[objective.pk])
        objective.refresh_from_db()
    after = _objective_snapshot(objective)
    if before != after:
        audit_record(
            organization=organization,
            actor=actor,
            action="objective.update",
            target=objective,
            before=before,
            after=after,
        )
        objective_outcomes_sync(organization=organization, account_ids=[objective.account_id])
    return objective


@transaction.atomic
def objective_delete(*, organization: Organization, objective: Objective, actor: User | None):
    _check(organization, objective)
    audit_record(
        organization=organization,
        actor=actor,
        action="objective.delete",
        target=objective,
        before=_objective_snapshot(objective),
    )
    account_id = objective.account_id
    objective.delete()
    objective_outcomes_sync(organization=organization, account_ids=[account_id])


def _window_aggregate(organization: Organization, today: date, days: int, column: str):
    rows = (
        EventDaily.objects.filter(
            organization=organization,
            account_id=OuterRef("account_id"),
            name=OuterRef("metric_event"),
            day__gte=today - timedelta(days=days),
            day__lt=today,
        )
        .order_by()
        .values("account_id")
        .annotate(total=Cast(Sum(column), FloatField()))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=FloatField()), Value(0.0))


@dataclass(frozen=True)
class RefreshResult:
    objectives: int


@transaction.atomic
def objective_bound_refresh(
    *,
    organization: Organization,
    objective_ids: list[int] | None = None,
    today: date | None = None,
) -> RefreshResult:
    """Set `current_value` of the organization's bound objectives (or of `objective_ids`)
    from the EventDaily rollups: one UPDATE statement with correlated aggregates."""
    today = today or organization_today(organization)
    cases = [
        When(
            Q(metric_window=window, metric_aggregate=aggregate),
            then=_window_aggregate(
                organization,
                today,
                WINDOW_DAYS[window],
                "count" if aggregate == MetricAggregate.COUNT else "quantity_sum",
            ),
        )
        for window in MetricWindow
        for aggregate in MetricAggregate
    ]
    targets = Objective.objects.filter(organization=organization).exclude(metric_event="")
    if objective_ids is not None:
        targets = targets.filter(pk__in=objective_ids)
    updated = targets.update(
        current_value=Case(*cases, default=F("current_value"), output_field=FloatField()),
        current_value_at=timezone.now(),
    )
    return RefreshResult(objectives=updated)


def objective_outcomes_sync(
    *,
    organization: Organization,
    account_ids: list[int] | None = None,
    today: date | None = None,
) -> int:
    """Tell health where each objective stands today (DESIGN.md, healthscore: outcomes):
    objectives of active plans count with their derived status, others not at all. One read
    of the objectives (of `account_ids`, or the whole organization) and one of the latest
    inputs; only standings that changed are written. Returns the input rows written."""
    from lifecycle.selectors_records import objective_progress

    today = today or organization_today(organization)
    objectives = Objective.objects.filter(organization=organization)
    if account_ids is not None:
        objectives = objectives.filter(account_id__in=account_ids)
    values: dict[str, tuple[int, int | None]] = {}
    for row in objectives.values_list(
        "pk",
        "account_id",
        "plan__status",
        "baseline",
        "target",
        "current_value",
        "start_date",
        "due_date",
    ).iterator(chunk_size=5000):
        pk, account_id, plan_status, baseline, target, current, start_date, due_date = row
        value = None
        if plan_status == SuccessPlanStatus.ACTIVE:
            status = objective_progress(
                baseline=baseline,
                target=target,
                current=current,
                start_date=start_date,
                due_date=due_date,
                today=today,
            ).status
            value = OUTCOME_VALUES[status]
        values[f"objective:{pk}"] = (account_id, value)
    return health_outcomes_sync(
        organization=organization, values=values, day=today, account_ids=account_ids
    )
