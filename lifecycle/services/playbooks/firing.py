"""Firing playbooks into tasks.

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
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Stage
from lifecycle.models import PlaybookStep, Task
from lifecycle.models.tasks import DueAnchor, PlaybookTrigger, TaskSource
from lifecycle.services.playbooks.choices import FALLBACK_ROLES, REMINDER_HOUR
from lifecycle.services.playbooks.seeding import playbooks_seed_defaults_if_empty
from tenancy.models import Membership, Organization


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
