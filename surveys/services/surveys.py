"""Survey settings: `survey_create` / `survey_update` (see the package docstring)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from surveys.models import (
    DELAY_DAYS_DEFAULT,
    DELAY_DAYS_RANGE,
    PERIOD_DAYS_DEFAULT,
    PERIOD_DAYS_RANGE,
    AutoTrigger,
    Survey,
    SurveyKind,
)
from surveys.services._common import _check
from surveys.signals import survey_trigger_changed
from tenancy.models import Organization, User
from tenancy.services import audit_record

SURVEY_FIELDS = (
    "name",
    "kind",
    "question_en",
    "question_pt_br",
    "active",
    "auto_trigger",
    "delay_days",
    "period_days",
)
TRIGGER_FIELDS = ("auto_trigger", "delay_days", "period_days", "active")


def _survey_values(values: dict) -> dict:
    errors: dict[str, list[ValidationError]] = {}
    name = (values.get("name") or "").strip()
    if not name:
        errors["name"] = [ValidationError(_("Give the survey a name."), code="required")]
    elif len(name) > 120:
        errors["name"] = [
            ValidationError(_("At most 120 characters."), code="max_length"),
        ]
    if values.get("kind") not in SurveyKind.values:
        errors["kind"] = [
            ValidationError(_("Choose NPS, CSAT or CES."), code="invalid_choice"),
        ]
    for question in ("question_en", "question_pt_br"):
        text = (values.get(question) or "").strip()
        if len(text) > 300:
            errors[question] = [ValidationError(_("At most 300 characters."), code="max_length")]
        values[question] = text
    errors.update(_trigger_values(values))
    if errors:
        raise ValidationError(errors)
    return {**values, "name": name, "active": bool(values.get("active", True))}


def _days(value: Any, default: int) -> int | None:
    """A whole number of days (blank = the default); None when it is not one."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _trigger_values(values: dict) -> dict[str, list[ValidationError]]:
    """Normalise the automatic-sending settings in `values`; the errors, if any."""
    errors: dict[str, list[ValidationError]] = {}
    trigger = values.get("auto_trigger") or ""
    if trigger not in AutoTrigger.values:
        errors["auto_trigger"] = [
            ValidationError(
                _("Choose manual only, after go-live or periodic."), code="invalid_choice"
            )
        ]
    values["auto_trigger"] = trigger
    for field, default, (low, high), message in (
        (
            "delay_days",
            DELAY_DAYS_DEFAULT,
            DELAY_DAYS_RANGE,
            _("Give a number of days after go-live from %(low)s to %(high)s."),
        ),
        (
            "period_days",
            PERIOD_DAYS_DEFAULT,
            PERIOD_DAYS_RANGE,
            _("Give a period in days from %(low)s to %(high)s."),
        ),
    ):
        days = _days(values.get(field), default)
        if days is None or not low <= days <= high:
            errors[field] = [
                ValidationError(message % {"low": low, "high": high}, code="out_of_range")
            ]
        else:
            values[field] = days
    return errors


def _trigger_taken_check(
    *, organization: Organization, values: dict, survey_id: int | None
) -> None:
    """One active survey per organization and automatic trigger kind (a partial unique
    constraint backs it; this gives the clear message)."""
    if not values["active"] or not values["auto_trigger"]:
        return
    others = Survey.objects.filter(
        organization=organization, active=True, auto_trigger=values["auto_trigger"]
    )
    if survey_id is not None:
        others = others.exclude(pk=survey_id)
    other = others.only("name").first()
    if other is not None:
        raise ValidationError(
            {
                "auto_trigger": ValidationError(
                    _(
                        "The survey “%(name)s” is already sent this way. Switch its automatic "
                        "sending off (or deactivate it) first: only one active survey per kind "
                        "of automatic sending."
                    )
                    % {"name": other.name},
                    code="trigger_taken",
                )
            }
        )


def _trigger_announce(*, organization: Organization, survey: Survey) -> None:
    survey_trigger_changed.send(sender=Survey, organization=organization, survey_id=survey.id)


@transaction.atomic
def survey_create(
    *,
    organization: Organization,
    name: str,
    kind: str,
    question_en: str = "",
    question_pt_br: str = "",
    active: bool = True,
    auto_trigger: str = "",
    delay_days: int | None = None,
    period_days: int | None = None,
    actor: User | None = None,
) -> Survey:
    values = _survey_values(
        {
            "name": name,
            "kind": kind,
            "question_en": question_en,
            "question_pt_br": question_pt_br,
            "active": active,
            "auto_trigger": auto_trigger,
            "delay_days": delay_days,
            "period_days": period_days,
        }
    )
    _trigger_taken_check(organization=organization, values=values, survey_id=None)
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                organization=organization,
                created_by=actor if actor is not None and actor.is_authenticated else None,
                **values,
            )
    except IntegrityError:
        # Another manager switched the same automatic sending on at the same moment: the
        # partial unique constraint refused this one; the check now sees theirs and says so.
        _trigger_taken_check(organization=organization, values=values, survey_id=None)
        raise
    audit_record(
        organization=organization,
        actor=actor,
        action="survey.created",
        target=survey,
        after={name: getattr(survey, name) for name in SURVEY_FIELDS},
    )
    if survey.auto_trigger and survey.active:
        _trigger_announce(organization=organization, survey=survey)
    return survey


@transaction.atomic
def survey_update(
    *, organization: Organization, survey: Survey, actor: User | None = None, **changes: Any
) -> Survey:
    _check(organization, survey)
    unknown = set(changes) - set(SURVEY_FIELDS)
    if unknown:
        raise TypeError(f"unknown survey fields: {sorted(unknown)}")
    survey = Survey.objects.select_for_update().get(organization=organization, pk=survey.pk)
    before = {name: getattr(survey, name) for name in SURVEY_FIELDS}
    values = _survey_values({**before, **changes})
    if values["kind"] != survey.kind and survey.responses.exists():
        raise ValidationError(
            {
                "kind": ValidationError(
                    _("The survey has answers: its kind can no longer change."),
                    code="kind_locked",
                )
            }
        )
    _trigger_taken_check(organization=organization, values=values, survey_id=survey.pk)
    for name, value in values.items():
        setattr(survey, name, value)
    after = {name: getattr(survey, name) for name in SURVEY_FIELDS}
    if after != before:
        try:
            with transaction.atomic():
                survey.save(update_fields=[*SURVEY_FIELDS, "updated_at"])
        except IntegrityError:  # a concurrent save took the trigger (see survey_create)
            _trigger_taken_check(organization=organization, values=values, survey_id=survey.pk)
            raise
        audit_record(
            organization=organization,
            actor=actor,
            action="survey.updated",
            target=survey,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
        if any(before[name] != after[name] for name in TRIGGER_FIELDS) and (
            before["auto_trigger"] or after["auto_trigger"]
        ):
            _trigger_announce(organization=organization, survey=survey)
    return survey
