"""Playbooks: seeding the defaults, editing them, and firing them into tasks.

`playbook_fire` is the one entry point the rest of the code uses (receivers, the follow-up,
surveys later). Its contract:
- It is set-based: a fixed number of queries whatever the number of accounts (playbooks,
  steps, accounts, members, existing keys, one bulk INSERT per 1,000 rows).
- It is idempotent per (step, account, cause): each task's `source_key` is
  `pb:<step id>:<account id>:<cause>` under the partial unique constraint, inserted with
  `bulk_create(ignore_conflicts=True)`: firing twice for the same cause creates nothing new,
  also when two workers race.
- Assignee: the step's rule (`owner` or `role:<role>`); an account without owner, or a role
  nobody holds, falls back to the owner, then to the first manager (then admin, then
  owner-role member); nobody → unassigned.
- Due: anchor `fired` → now + N days; anchor `contract_end` → 09:00 (organization time) on
  the contract end - N days. The end comes from `anchor_dates` (the renewal window passes
  each account's contract end) or else from `Account.renewal_date`; without either the step
  is skipped for that account. A reminder whose date already passed is due now, and of
  several passed reminders of one playbook only the nearest to the end is created (an
  account entering the window at 70 days gets the 90-day reminder now, then 60 and 30).
  With anchor dates the cause becomes `<cause>:<end date>`, so each contract end gets its
  own schedule once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account, HealthBand, Stage
from lifecycle.models import Playbook, PlaybookStep, Task
from lifecycle.models.tasks import (
    MAX_OFFSET_DAYS,
    DueAnchor,
    PlaybookTrigger,
    TaskKind,
    TaskSource,
)
from lifecycle.playbook_defaults import DEFAULT_PLAYBOOKS
from tenancy.models import Membership, Organization, Role, User
from tenancy.services import audit_record

FOLLOWUP_OUTCOMES = ("reached", "no_answer", "issue_found")
REMINDER_HOUR = time(9, 0)
ASSIGNEE_ROLES = (Role.CSM, Role.MANAGER, Role.ADMIN, Role.OWNER)
FALLBACK_ROLES = (Role.MANAGER, Role.ADMIN, Role.OWNER)
MAX_STEPS = 20


def assignee_rule_choices() -> list[tuple[str, str]]:
    return [("owner", _("Account owner"))] + [
        (f"role:{role.value}", _("First member with role %(role)s") % {"role": role.label})
        for role in ASSIGNEE_ROLES
    ]


def trigger_value_choices(trigger: str) -> list[tuple[str, str]]:
    """Values a playbook of this trigger may be narrowed to ('' = any)."""
    if trigger == PlaybookTrigger.STAGE_ENTERED:
        return [(value, str(label)) for value, label in Stage.choices]
    if trigger == PlaybookTrigger.BAND_CHANGED:
        return [(value, str(label)) for value, label in HealthBand.choices]
    if trigger == PlaybookTrigger.FOLLOWUP_OUTCOME:
        return [
            ("reached", _("Reached")),
            ("no_answer", _("No answer")),
            ("issue_found", _("Issue found")),
        ]
    return []


# --- firing ---------------------------------------------------------------------------------


def _fallback_member(members: Sequence[tuple[int, str]]) -> int | None:
    for role in FALLBACK_ROLES:
        for member_id, member_role in members:
            if member_role == role:
                return member_id
    return None


def _assignee(
    rule: str,
    owner_id: int | None,
    first_by_role: Mapping[str, int],
    fallback_id: int | None,
) -> int | None:
    if rule.startswith("role:"):
        member_id = first_by_role.get(rule[5:])
        if member_id is not None:
            return member_id
    return owner_id if owner_id is not None else fallback_id


def _reminder_due(end: date, offset_days: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(end - timedelta(days=offset_days), REMINDER_HOUR, tzinfo=tz)


@transaction.atomic
def playbook_fire(
    *,
    organization: Organization,
    trigger: str,
    account_ids: Iterable[int],
    cause_key: str | Mapping[int, str],
    trigger_value: str = "",
    today: date | None = None,
    anchor_dates: Mapping[int, date] | None = None,
) -> int:
    """Create the tasks of every active playbook of `trigger` (and `trigger_value`, or any)
    for these accounts, once per (step, account, cause). Returns the number of tasks created.

    `cause_key` is one string for all accounts or a mapping account id → cause (e.g. one
    StageTransition per account). `anchor_dates` maps account id → contract end for
    `contract_end` steps. Churned or unknown accounts (and other organizations' ids) are
    ignored. See the module docstring for assignees and due dates."""
    if trigger not in PlaybookTrigger.values:
        raise ValueError(f"unknown playbook trigger {trigger!r}")
    ids = sorted({int(pk) for pk in account_ids})
    if not ids:
        return 0
    playbooks_seed_defaults_if_empty(organization=organization)
    steps = list(
        PlaybookStep.objects.filter(
            organization=organization,
            playbook__trigger=trigger,
            playbook__active=True,
            playbook__trigger_value__in=["", trigger_value] if trigger_value else [""],
        )
        .order_by("playbook_id", "order", "id")
        .values_list(
            "id", "playbook_id", "title", "kind", "due_offset_days", "due_anchor", "assignee_rule"
        )
    )
    if not steps:
        return 0
    accounts = list(
        Account.objects.filter(organization=organization, pk__in=ids)
        .exclude(stage=Stage.CHURNED)
        .values_list("id", "owner_id", "renewal_date")
    )
    members = list(
        Membership.objects.filter(organization=organization)
        .order_by("id")
        .values_list("id", "role")
    )
    first_by_role: dict[str, int] = {}
    for member_id, role in members:
        first_by_role.setdefault(role, member_id)
    fallback_id = _fallback_member(members)
    tz = ZoneInfo(organization.time_zone)
    now = timezone.now()
    if today is None:
        today = timezone.localdate(now, timezone=tz)
    anchors = anchor_dates or {}

    rows: dict[str, Task] = {}
    for account_id, owner_id, renewal_date in accounts:
        cause = cause_key if isinstance(cause_key, str) else cause_key.get(account_id)
        if not cause:
            continue
        end = anchors.get(account_id) or renewal_date
        if account_id in anchors:
            cause = f"{cause}:{anchors[account_id].isoformat()}"
        # Passed reminders per playbook: only the one nearest the end survives (due now).
        passed: dict[int, tuple[int, Task]] = {}
        for step_id, playbook_id, title, kind, offset, anchor, rule in steps:
            if anchor == DueAnchor.CONTRACT_END:
                if end is None:
                    continue
                due = _reminder_due(end, offset, tz)
            else:
                due = now + timedelta(days=offset)
            key = f"pb:{step_id}:{account_id}:{cause}"[:120]
            task = Task(
                organization=organization,
                account_id=account_id,
                assignee_id=_assignee(rule, owner_id, first_by_role, fallback_id),
                kind=kind,
                title=title,
                due_at=due,
                source=TaskSource.PLAYBOOK,
                source_key=key,
                playbook_id=playbook_id,
                step_id=step_id,
                created_at=now,
            )
            if anchor == DueAnchor.CONTRACT_END and due.date() < today:
                task.due_at = now
                kept = passed.get(playbook_id)
                if kept is None or offset < kept[0]:
                    passed[playbook_id] = (offset, task)
                continue
            rows[key] = task
        for _offset, task in passed.values():
            rows[task.source_key] = task
    if not rows:
        return 0
    existing: set[str] = set()
    keys = list(rows)
    for start in range(0, len(keys), 1000):
        existing.update(
            Task.objects.filter(
                organization=organization, source_key__in=keys[start : start + 1000]
            ).values_list("source_key", flat=True)
        )
    new = [task for key, task in rows.items() if key not in existing]
    Task.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return len(new)


# --- seeding --------------------------------------------------------------------------------


@transaction.atomic
def playbooks_seed_defaults(*, organization: Organization) -> int:
    """Create the default playbooks this organization does not have yet (by `default_key`),
    with titles in the organization's language. Never touches existing playbooks (edited or
    deactivated ones stay as they are). Returns how many playbooks were created."""
    have = set(
        Playbook.objects.filter(organization=organization)
        .exclude(default_key="")
        .values_list("default_key", flat=True)
    )
    missing = [item for item in DEFAULT_PLAYBOOKS if item.key not in have]
    if not missing:
        return 0
    with translation.override(organization.locale):
        playbooks = [
            Playbook(
                organization=organization,
                name=str(item.name),
                trigger=item.trigger,
                trigger_value=item.trigger_value,
                description=str(item.description),
                default_key=item.key,
            )
            for item in missing
        ]
        Playbook.objects.bulk_create(playbooks, ignore_conflicts=True)
        by_key = dict(
            Playbook.objects.filter(
                organization=organization, default_key__in=[item.key for item in missing]
            ).values_list("default_key", "id")
        )
        created_ids = set(
            PlaybookStep.objects.filter(
                organization=organization, playbook_id__in=by_key.values()
            ).values_list("playbook_id", flat=True)
        )
        steps = [
            PlaybookStep(
                organization=organization,
                playbook_id=by_key[item.key],
                order=number,
                title=str(step.title),
                kind=step.kind,
                due_offset_days=step.offset_days,
                due_anchor=step.anchor,
                assignee_rule=step.assignee_rule,
            )
            for item in missing
            if by_key[item.key] not in created_ids
            for number, step in enumerate(item.steps, start=1)
        ]
    PlaybookStep.objects.bulk_create(steps)
    return len(missing)


def playbooks_seed_defaults_if_empty(*, organization: Organization) -> None:
    """Defaults are created on first use: when the organization has no playbook at all."""
    if not Playbook.objects.filter(organization=organization).exists():
        playbooks_seed_defaults(organization=organization)


# --- editing --------------------------------------------------------------------------------


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


# --- causes from other apps (one service per receiver) -------------------------------------


def playbooks_fire_for_renewal_window(
    *, organization: Organization, opportunity_ids: Iterable[int], today: date | None = None
) -> int:
    """Renewal opportunities were opened (their contracts entered the renewal window): fire
    `renewal_window` for their accounts, anchored on each contract's end (the earliest one
    when an account has several in the batch). Cause: `renewal:<end date>`."""
    from renewals.models import Opportunity, OpportunityKind

    ends: dict[int, date] = {}
    for account_id, end in Opportunity.objects.filter(
        organization=organization,
        pk__in=list(opportunity_ids),
        kind=OpportunityKind.RENEWAL,
        contract__isnull=False,
    ).values_list("account_id", "contract__end_date"):
        if account_id not in ends or end < ends[account_id]:
            ends[account_id] = end
    if not ends:
        return 0
    return playbook_fire(
        organization=organization,
        trigger=PlaybookTrigger.RENEWAL_WINDOW,
        account_ids=ends,
        cause_key="renewal",
        anchor_dates=ends,
        today=today,
    )


def playbooks_fire_for_transitions(
    *, organization: Organization, transition_ids: Iterable[int]
) -> int:
    """Stage transitions were written: fire `stage_entered` with the stage entered, one cause
    per transition (`transition:<id>`), one `playbook_fire` per distinct stage."""
    from lifecycle import models as lifecycle_models

    transition_model = getattr(lifecycle_models, "StageTransition", None)
    if transition_model is None:  # the stage engine is not installed yet
        return 0
    by_stage: dict[str, dict[int, str]] = {}
    for transition_id, account_id, to_stage in transition_model.objects.filter(
        organization=organization, pk__in=list(transition_ids)
    ).values_list("id", "account_id", "to_stage"):
        by_stage.setdefault(to_stage, {})[account_id] = f"transition:{transition_id}"
    created = 0
    for stage, causes in sorted(by_stage.items()):
        created += playbook_fire(
            organization=organization,
            trigger=PlaybookTrigger.STAGE_ENTERED,
            trigger_value=stage,
            account_ids=causes,
            cause_key=causes,
        )
    return created
