"""Task services: create (idempotent on `source_key`), update, complete, reopen.

Who may do what (decided for the Lifecycle issue; DESIGN.md "Lifecycle: tasks and playbooks"):
a CSM works any task of the organization (the team covers for each other; the audit trail
says who), but only a manager or above moves a task to *another* member; a CSM may take an
unassigned task or assign a task to themselves. Automatic callers (actor None: playbooks,
the follow-up, API keys) are not restricted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from lifecycle.models import Task
from lifecycle.models.tasks import TaskKind, TaskSource, TaskStatus
from tenancy.models import Membership, Organization, Role, User, role_at_least
from tenancy.services import audit_record

EDITABLE_FIELDS = ("title", "kind", "due_at", "assignee", "outcome", "account")


def _check(organization: Organization, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != organization.id:
            raise ValidationError(_("This object belongs to another organization."))


def _actor_membership(
    organization: Organization, actor: Membership | User | None
) -> Membership | None:
    """The acting member (services accept a Membership, as views have one, or a User)."""
    if actor is None:
        return None
    if isinstance(actor, Membership):
        if actor.organization_id != organization.id:
            raise ValidationError(_("This member belongs to another organization."))
        return actor
    if not getattr(actor, "is_authenticated", False):
        return None
    return Membership.objects.filter(organization=organization, user=actor).first()


def _audit_user(membership: Membership | None) -> User | None:
    return membership.user if membership is not None else None


def _check_assignment(
    actor: Membership | None, assignee: Membership | None, current: Membership | None
) -> None:
    if actor is None or assignee is None or assignee == current:
        return
    if assignee.pk != actor.pk and not role_at_least(actor.role, Role.MANAGER):
        raise ValidationError(
            {
                "assignee": ValidationError(
                    _("Only a manager can assign a task to another member."),
                    code="role_forbidden",
                )
            }
        )


def _validate(*, title: str, kind: str, due_at: datetime | None) -> None:
    errors: dict[str, list[str]] = {}
    if not title or not title.strip():
        errors["title"] = [_("Give the task a title.")]
    elif len(title) > 200:
        errors["title"] = [_("Keep the title under 200 characters.")]
    if kind not in TaskKind.values:
        errors["kind"] = [_("Choose a valid kind.")]
    if due_at is None:
        errors["due_at"] = [_("Give the task a due date.")]
    elif timezone.is_naive(due_at):
        errors["due_at"] = [_("The due date needs a time zone.")]
    if errors:
        raise ValidationError(errors)


def _snapshot(task: Task) -> dict:
    return {
        "title": task.title,
        "kind": task.kind,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "assignee": task.assignee_id,
        "status": task.status,
        "outcome": task.outcome,
        "account": task.account_id,
    }


def task_create(
    *,
    organization: Organization,
    account: Account,
    title: str,
    kind: str,
    due_at: datetime,
    source: str,
    assignee: Membership | None = None,
    source_key: str = "",
    actor: Membership | User | None = None,
) -> Task:
    """Create an open task; with a `source_key`, a second call returns the first task.

    The key is unique per organization (partial unique constraint), so two concurrent callers
    for the same cause still produce one row. Manual tasks (an actor) are audited.
    """
    _check(organization, account, assignee)
    if source not in TaskSource.values:
        raise ValidationError({"source": [_("Unknown task source.")]})
    _validate(title=title, kind=kind, due_at=due_at)
    if source_key:
        existing = Task.objects.filter(organization=organization, source_key=source_key).first()
        if existing is not None:
            return existing
    member = _actor_membership(organization, actor)
    _check_assignment(member, assignee, None)
    task = Task(
        organization=organization,
        account=account,
        title=title.strip(),
        kind=kind,
        due_at=due_at,
        source=source,
        source_key=source_key,
        assignee=assignee,
        created_by=member,
    )
    try:
        with transaction.atomic():
            task.save()
            if member is not None:
                audit_record(
                    organization=organization,
                    actor=_audit_user(member),
                    action="task.create",
                    target=task,
                    after=_snapshot(task),
                )
    except IntegrityError:
        if not source_key:
            raise
        return Task.objects.get(organization=organization, source_key=source_key)
    return task


@transaction.atomic
def task_update(
    *, organization: Organization, task: Task, actor: Membership | User | None, **fields: Any
) -> Task:
    """Change any of title, kind, due_at, assignee, outcome, account (audited)."""
    _check(organization, task, fields.get("account"), fields.get("assignee"))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: [_("This field cannot be changed.")] for name in sorted(unknown)}
        )
    member = _actor_membership(organization, actor)
    if "assignee" in fields:
        _check_assignment(member, fields["assignee"], task.assignee)
    if "account" in fields and fields["account"] is None:
        raise ValidationError({"account": [_("Choose an account.")]})
    _validate(
        title=fields.get("title", task.title),
        kind=fields.get("kind", task.kind),
        due_at=fields.get("due_at", task.due_at),
    )
    before = _snapshot(task)
    for name, value in fields.items():
        setattr(task, name, value.strip() if name == "title" else value)
    after = _snapshot(task)
    if after == before:
        return task
    task.save()
    changed = [key for key in after if after[key] != before[key]]
    audit_record(
        organization=organization,
        actor=_audit_user(member),
        action="task.update",
        target=task,
        before={key: before[key] for key in changed},
        after={key: after[key] for key in changed},
    )
    return task


@transaction.atomic
def task_complete(
    *,
    organization: Organization,
    task: Task,
    actor: Membership | User | None,
    outcome: str = "",
) -> Task:
    """Mark an open task done (with an optional outcome). Completing a done task only updates
    the outcome when one is given; a cancelled task cannot be completed."""
    _check(organization, task)
    member = _actor_membership(organization, actor)
    locked = Task.objects.select_for_update().get(organization=organization, pk=task.pk)
    if locked.status == TaskStatus.CANCELLED:
        raise ValidationError({"status": [_("A cancelled task cannot be completed.")]})
    if locked.status == TaskStatus.DONE:
        if outcome and outcome != locked.outcome:
            return task_update(
                organization=organization, task=locked, actor=member, outcome=outcome
            )
        return locked
    before = _snapshot(locked)
    locked.status = TaskStatus.DONE
    locked.completed_at = timezone.now()
    locked.completed_by = member
    if outcome:
        locked.outcome = outcome
    locked.save(update_fields=["status", "completed_at", "completed_by", "outcome", "updated_at"])
    audit_record(
        organization=organization,
        actor=_audit_user(member),
        action="task.complete",
        target=locked,
        before={"status": before["status"]},
        after={"status": locked.status, "outcome": locked.outcome},
    )
    return locked


@transaction.atomic
def task_reopen(*, organization: Organization, task: Task, actor: Membership | User | None) -> Task:
    """Put a done or cancelled task back to open (keeps its outcome)."""
    _check(organization, task)
    member = _actor_membership(organization, actor)
    locked = Task.objects.select_for_update().get(organization=organization, pk=task.pk)
    if locked.status == TaskStatus.OPEN:
        return locked
    before = locked.status
    locked.status = TaskStatus.OPEN
    locked.completed_at = None
    locked.completed_by = None
    locked.save(update_fields=["status", "completed_at", "completed_by", "updated_at"])
    audit_record(
        organization=organization,
        actor=_audit_user(member),
        action="task.reopen",
        target=locked,
        before={"status": before},
        after={"status": locked.status},
    )
    return locked


@transaction.atomic
def task_cancel(*, organization: Organization, task: Task, actor: Membership | User | None) -> Task:
    """Cancel an open task (it no longer needs doing); audited."""
    _check(organization, task)
    member = _actor_membership(organization, actor)
    locked = Task.objects.select_for_update().get(organization=organization, pk=task.pk)
    if locked.status != TaskStatus.OPEN:
        raise ValidationError({"status": [_("Only an open task can be cancelled.")]})
    locked.status = TaskStatus.CANCELLED
    locked.save(update_fields=["status", "updated_at"])
    audit_record(
        organization=organization,
        actor=_audit_user(member),
        action="task.cancel",
        target=locked,
        before={"status": TaskStatus.OPEN},
        after={"status": locked.status},
    )
    return locked
