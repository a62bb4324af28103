"""Creating and editing playbooks and their ordered steps (validated, audited)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lifecycle.models import Playbook, PlaybookStep
from lifecycle.models.tasks import MAX_OFFSET_DAYS, DueAnchor, PlaybookTrigger, TaskKind
from lifecycle.services.playbooks.choices import (
    MAX_STEPS,
    assignee_rule_choices,
    trigger_value_choices,
)
from tenancy.models import Organization, User
from tenancy.services import audit_record


@dataclass(frozen=True)
class StepInput:
    """One step as submitted (id None = new). Order is the position in the list."""

    title: str
    kind: str
    due_offset_days: int
    due_anchor: str = DueAnchor.FIRED
    assignee_rule: str = "owner"
    id: int | None = None


def _playbook_errors(trigger: str, trigger_value: str, name: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the playbook a name.")]
    if trigger not in PlaybookTrigger.values:
        errors["trigger"] = [_("Choose a valid trigger.")]
    elif trigger_value:
        allowed = [value for value, _label in trigger_value_choices(trigger)]
        if trigger_value not in allowed:
            errors["trigger_value"] = [
                _("This trigger cannot be narrowed to “%(value)s”.") % {"value": trigger_value}
            ]
    return errors


def _step_errors(steps: Sequence[StepInput]) -> dict[str, list]:
    if len(steps) > MAX_STEPS:
        return {"steps": [_("A playbook has at most %(n)d steps.") % {"n": MAX_STEPS}]}
    rules = {value for value, _label in assignee_rule_choices()}
    per_step: list[dict[str, list[str]]] = []
    for step in steps:
        errors: dict[str, list[str]] = {}
        if not step.title or not step.title.strip():
            errors["title"] = [_("Give the step a title.")]
        elif len(step.title) > 200:
            errors["title"] = [_("Keep the title under 200 characters.")]
        if step.kind not in TaskKind.values:
            errors["kind"] = [_("Choose a valid kind.")]
        if not isinstance(step.due_offset_days, int) or not (
            0 <= step.due_offset_days <= MAX_OFFSET_DAYS
        ):
            errors["due_offset_days"] = [
                _("Enter a number of days from 0 to %(max)d.") % {"max": MAX_OFFSET_DAYS}
            ]
        if step.due_anchor not in DueAnchor.values:
            errors["due_anchor"] = [_("Choose how the due date is counted.")]
        if step.assignee_rule not in rules:
            errors["assignee_rule"] = [_("Choose who gets the task.")]
        per_step.append(errors)
    if any(per_step):
        return {"steps": per_step}  # type: ignore[dict-item]
    return {}


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _playbook_snapshot(playbook: Playbook, steps: Sequence[PlaybookStep] | None = None) -> dict:
    data = {
        "name": playbook.name,
        "trigger": playbook.trigger,
        "trigger_value": playbook.trigger_value,
        "active": playbook.active,
        "description": playbook.description,
    }
    if steps is not None:
        data["steps"] = [
            [s.title, s.kind, s.due_offset_days, s.due_anchor, s.assignee_rule] for s in steps
        ]
    return data


def _steps_write(
    organization: Organization, playbook: Playbook, steps: Sequence[StepInput]
) -> list[PlaybookStep]:
    current = {step.id: step for step in playbook.steps.all()}
    unknown = [step.id for step in steps if step.id is not None and step.id not in current]
    if unknown:
        raise ValidationError({"steps": [_("A step does not belong to this playbook.")]})
    keep = {step.id for step in steps if step.id is not None}
    PlaybookStep.objects.filter(organization=organization, playbook=playbook).exclude(
        pk__in=keep
    ).delete()
    written: list[PlaybookStep] = []
    updates: list[PlaybookStep] = []
    creates: list[PlaybookStep] = []
    for number, data in enumerate(steps, start=1):
        row = (
            current[data.id]
            if data.id is not None
            else PlaybookStep(organization=organization, playbook=playbook)
        )
        row.order = number
        row.title = data.title.strip()
        row.kind = data.kind
        row.due_offset_days = data.due_offset_days
        row.due_anchor = data.due_anchor
        row.assignee_rule = data.assignee_rule
        (updates if data.id is not None else creates).append(row)
        written.append(row)
    if updates:
        PlaybookStep.objects.bulk_update(
            updates, ["order", "title", "kind", "due_offset_days", "due_anchor", "assignee_rule"]
        )
    if creates:
        PlaybookStep.objects.bulk_create(creates)
    return written


@transaction.atomic
def playbook_create(
    *,
    organization: Organization,
    actor: User | None,
    name: str,
    trigger: str,
    trigger_value: str = "",
    description: str = "",
    active: bool = True,
    steps: Sequence[StepInput] = (),
) -> Playbook:
    _raise({**_playbook_errors(trigger, trigger_value, name), **_step_errors(steps)})
    playbook = Playbook.objects.create(
        organization=organization,
        name=name.strip(),
        trigger=trigger,
        trigger_value=trigger_value,
        description=description,
        active=active,
    )
    if any(step.id is not None for step in steps):
        raise ValidationError({"steps": [_("A step does not belong to this playbook.")]})
    written = _steps_write(organization, playbook, steps)
    audit_record(
        organization=organization,
        actor=actor,
        action="playbook.create",
        target=playbook,
        after=_playbook_snapshot(playbook, written),
    )
    return playbook


@transaction.atomic
def playbook_update(
    *,
    organization: Organization,
    playbook: Playbook,
    actor: User | None,
    name: str | None = None,
    trigger: str | None = None,
    trigger_value: str | None = None,
    description: str | None = None,
    active: bool | None = None,
    steps: Sequence[StepInput] | None = None,
) -> Playbook:
    """Change a playbook and (when `steps` is given) replace its ordered steps: steps with an
    id are kept (their tasks' keys stay valid), missing ones are removed, new ones added, and
    the list order becomes the step order. Audited with before/after."""
    if playbook.organization_id != organization.id:
        raise ValidationError(_("This playbook belongs to another organization."))
    new_trigger = trigger if trigger is not None else playbook.trigger
    new_value = trigger_value if trigger_value is not None else playbook.trigger_value
    if trigger is not None and trigger != playbook.trigger and trigger_value is None:
        new_value = ""
    new_name = name if name is not None else playbook.name
    errors = _playbook_errors(new_trigger, new_value, new_name)
    if steps is not None:
        errors.update(_step_errors(steps))
    _raise(errors)
    old_steps = list(playbook.steps.all())
    before = _playbook_snapshot(playbook, old_steps)
    playbook.name = new_name.strip()
    playbook.trigger = new_trigger
    playbook.trigger_value = new_value
    if description is not None:
        playbook.description = description
    if active is not None:
        playbook.active = active
    playbook.save()
    written = _steps_write(organization, playbook, steps) if steps is not None else old_steps
    after = _playbook_snapshot(playbook, written)
    if after != before:
        audit_record(
            organization=organization,
            actor=actor,
            action="playbook.update",
            target=playbook,
            before={key: before[key] for key in before if before[key] != after[key]},
            after={key: after[key] for key in after if before[key] != after[key]},
        )
    return playbook


def playbook_set_active(
    *, organization: Organization, playbook: Playbook, actor: User | None, active: bool
) -> Playbook:
    return playbook_update(organization=organization, playbook=playbook, actor=actor, active=active)
