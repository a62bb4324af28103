"""The stage engine's writes: evaluation, the manual stage (hold) and its release, churn.

Contract:
- Every change of Account.stage goes through here and inserts one StageTransition in the same
  transaction; `lifecycle.signals.stage_changed(transition_ids=…)` is sent after commit, once
  per batch.
- Writers of one organization's stages serialise on its Organization row (`SELECT … FOR NO KEY
  UPDATE`, which does not block inserts that reference the organization), so two evaluations
  (a double-fired beat, a receiver racing the daily job) cannot both write a transition: the
  second reads the stages the first committed and finds nothing to change. Running the daily
  job twice writes no second transition.
- Evaluation is set-based: lifecycle.selectors_stages.stage_facts_gather reads the facts with
  a fixed number of queries; the changes (stages and transitions) are written by ONE
  statement on PostgreSQL and two on SQLite however many accounts move, so the query count
  does not grow with the book (measured at 100,000 accounts: bench/lifecycle/).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Stage
from lifecycle.models import LifecycleSettings, StageHold, StageTransition
from lifecycle.rules import Decision, stage_decide
from lifecycle.selectors_stages import stage_facts_gather, stage_rules_get
from lifecycle.signals import stage_changed
from tenancy.models import ApiKey, Organization, User
from tenancy.services import audit_record
from tenancy.timezones import organization_today

# Above this many accounts a targeted evaluation reads the whole organization instead (the
# same few queries, without an enormous IN list).
TARGETED_MAX = 1000
REASON_MAX = 500


def _lock_organization(organization: Organization) -> None:
    Organization.objects.select_for_update(no_key=True).filter(pk=organization.pk).exists()


def _announce(organization: Organization, transition_ids: list[int]) -> None:
    if not transition_ids:
        return
    transaction.on_commit(
        lambda: stage_changed.send(
            sender="lifecycle", organization=organization, transition_ids=transition_ids
        ),
        robust=True,
    )


@dataclass(frozen=True)
class EvaluationResult:
    accounts: int
    transition_ids: tuple[int, ...]

    @property
    def changed(self) -> int:
        return len(self.transition_ids)


Change = tuple[int, str, Decision]  # (account id, stage now, the rules' decision)


@transaction.atomic
def stages_evaluate(
    *,
    organization: Organization,
    account_ids: list[int] | None = None,
    today: date | None = None,
) -> EvaluationResult:
    """Apply the rules to every account of the organization (or to `account_ids`) and write
    the stage changes with their transitions. Idempotent: a second run changes nothing."""
    if account_ids is not None and not account_ids:
        return EvaluationResult(0, ())
    if account_ids is not None and len(set(account_ids)) > TARGETED_MAX:
        account_ids = None
    today = today or organization_today(organization)
    _lock_organization(organization)
    rules = stage_rules_get(organization=organization)
    states = stage_facts_gather(
        organization=organization, today=today, rules=rules, account_ids=account_ids
    )
    changes: list[Change] = []
    for state in states:
        decision = stage_decide(state.facts, rules)
        if decision.stage != state.stage:
            changes.append((state.account_id, state.stage, decision))
    transition_ids = _changes_write(organization, changes, timezone.now()) if changes else []
    _announce(organization, transition_ids)
    return EvaluationResult(len(states), tuple(transition_ids))


def _changes_write(organization: Organization, changes: list[Change], now: Any) -> list[int]:
    """Move the accounts and insert their transitions; returns the transition ids.

    A fixed number of statements however many accounts move: on PostgreSQL ONE (the changes
    as arrays, `unnest`ed; the UPDATE and the INSERT of the transitions of the accounts it
    moved in one data-modifying CTE); on SQLite two (the changes as one JSON parameter read
    with `json_each`: UPDATE … FROM, then INSERT … SELECT … RETURNING)."""
    if connection.vendor == "postgresql":
        return _changes_write_postgresql(organization, changes, now)
    return _changes_write_sqlite(organization, changes, now)


_CHANGES_WRITE_SQL = """
WITH change AS (
    SELECT * FROM unnest(%(accounts)s::bigint[], %(froms)s::text[], %(tos)s::text[],
                         %(codes)s::text[], %(params)s::text[])
        AS c(account_id, from_stage, to_stage, reason_code, reason_params)
), moved AS (
    UPDATE accounts_account AS a
    SET stage = change.to_stage, stage_entered_at = %(now)s, updated_at = %(now)s
    FROM change
    WHERE a.organization_id = %(organization)s AND a.id = change.account_id
    RETURNING a.id
)
INSERT INTO lifecycle_stagetransition (organization_id, account_id, from_stage, to_stage, at,
    automatic, reason_code, reason_params, reason_text)
SELECT %(organization)s, change.account_id, change.from_stage, change.to_stage, %(now)s, TRUE,
    change.reason_code, change.reason_params::jsonb, ''
FROM change JOIN moved ON moved.id = change.account_id
RETURNING id
"""


def _changes_write_postgresql(
    organization: Organization, changes: list[Change], now: Any
) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            _CHANGES_WRITE_SQL,
            {
                "organization": organization.pk,
                "now": now,
                "accounts": [account_id for account_id, _stage, _decision in changes],
                "froms": [stage for _account_id, stage, _decision in changes],
                "tos": [decision.stage for _account_id, _stage, decision in changes],
                "codes": [decision.reason_code for _account_id, _stage, decision in changes],
                "params": [json.dumps(decision.params) for _account, _stage, decision in changes],
            },
        )
        return [row[0] for row in cursor.fetchall()]


_SQLITE_MOVE_SQL = """
UPDATE accounts_account
SET stage = json_extract(change.value, '$[2]'), stage_entered_at = %(now)s, updated_at = %(now)s
FROM json_each(%(changes)s) AS change
WHERE accounts_account.organization_id = %(organization)s
  AND accounts_account.id = json_extract(change.value, '$[0]')
"""

_SQLITE_TRANSITIONS_SQL = """
INSERT INTO lifecycle_stagetransition (organization_id, account_id, from_stage, to_stage, at,
    automatic, reason_code, reason_params, reason_text)
SELECT %(organization)s, account.id, json_extract(change.value, '$[1]'),
    json_extract(change.value, '$[2]'), %(now)s, 1, json_extract(change.value, '$[3]'),
    json(json_extract(change.value, '$[4]')), ''
FROM json_each(%(changes)s) AS change
JOIN accounts_account AS account
  ON account.id = json_extract(change.value, '$[0]')
 AND account.organization_id = %(organization)s
RETURNING id
"""


def _changes_write_sqlite(organization: Organization, changes: list[Change], now: Any) -> list[int]:
    params = {
        "organization": organization.pk,
        "now": connection.ops.adapt_datetimefield_value(now),
        "changes": json.dumps(
            [
                [account_id, stage, decision.stage, decision.reason_code, decision.params]
                for account_id, stage, decision in changes
            ]
        ),
    }
    with connection.cursor() as cursor:
        cursor.execute(_SQLITE_MOVE_SQL, params)
        cursor.execute(_SQLITE_TRANSITIONS_SQL, params)
        return [row[0] for row in cursor.fetchall()]


def stages_evaluate_on_commit(*, organization: Organization, account_ids: list[int]) -> None:
    """For receivers of signals sent inside a transaction (accounts.go_live_changed): evaluate
    once that transaction has committed; a failure is logged, never fails the writer (the
    daily job repairs)."""
    ids = sorted(set(account_ids))
    transaction.on_commit(
        lambda: stages_evaluate(organization=organization, account_ids=ids), robust=True
    )


def _check_account(organization: Organization, account: Account) -> None:
    if account.organization_id != organization.id:
        raise PermissionDenied("Account belongs to another organization.")


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the stage changes.")]}, code="required")
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": [_("Keep the reason under %(max)s characters.") % {"max": REASON_MAX}]},
            code="max_length",
        )
    return reason


def _write_stage(organization: Organization, account: Account, stage: str, now: Any) -> None:
    fields: dict[str, Any] = {"stage": stage, "stage_entered_at": now, "updated_at": now}
    if stage == Stage.CHURNED and account.churned_at is None:
        fields["churned_at"] = now
    elif stage != Stage.CHURNED and account.churned_at is not None:
        fields["churned_at"] = None  # reactivated by hand
    Account.objects.filter(organization=organization, pk=account.pk).update(**fields)
    for name, value in fields.items():
        setattr(account, name, value)


@dataclass(frozen=True)
class StageChange:
    transition: StageTransition
    hold: StageHold | None


@transaction.atomic
def account_stage_set(
    *,
    organization: Organization,
    account: Account,
    stage: str,
    reason: str,
    actor: User | None,
    api_key: ApiKey | None = None,
) -> StageChange:
    """Set the stage by hand with a reason; it holds (the engine leaves the account alone)
    until released. The same stage as now pins it (a transition from = to is recorded); a
    stage that is already held is refused. Churned is not held: it is terminal anyway."""
    _check_account(organization, account)
    reason = _clean_reason(reason)
    if stage not in Stage.values:
        raise ValidationError({"to_stage": [_("Choose one of the stages.")]}, code="invalid_choice")
    _lock_organization(organization)
    account = Account.objects.select_for_update().get(organization=organization, pk=account.pk)
    hold = StageHold.objects.filter(organization=organization, account=account).first()
    if hold is not None and hold.stage == stage == account.stage:
        raise ValidationError(
            {"to_stage": [_("The account is already held in this stage.")]}, code="unchanged"
        )
    now = timezone.now()
    before = account.stage
    user = actor if actor is not None and actor.is_authenticated else None
    if stage == Stage.CHURNED:
        StageHold.objects.filter(organization=organization, account=account).delete()
        hold = None
    else:
        hold, _created = StageHold.objects.update_or_create(
            organization=organization,
            account=account,
            defaults={"stage": stage, "reason": reason, "actor": user},
        )
    _write_stage(organization, account, stage, now)
    transition = StageTransition.objects.create(
        organization=organization,
        account=account,
        from_stage=before,
        to_stage=stage,
        at=now,
        automatic=False,
        actor=user,
        api_key=api_key,
        reason_code="manual",
        reason_text=reason,
    )
    audit_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        action="account.stage_changed",
        target=account,
        before={"stage": before},
        after={"stage": stage, "reason": reason, "held": hold is not None},
    )
    _announce(organization, [transition.pk])
    return StageChange(transition, hold)


@transaction.atomic
def account_stage_release(
    *,
    organization: Organization,
    account: Account,
    actor: User | None,
    api_key: ApiKey | None = None,
) -> EvaluationResult:
    """Release a manual stage: the rules decide again at once (a transition if they move it)."""
    _check_account(organization, account)
    _lock_organization(organization)
    deleted, _rows = StageHold.objects.filter(organization=organization, account=account).delete()
    if not deleted:
        raise ValidationError(
            {"account": [_("This account's stage is not held.")]}, code="not_held"
        )
    audit_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        action="account.stage_released",
        target=account,
        before={"stage": account.stage, "held": True},
        after={"held": False},
    )
    return stages_evaluate(organization=organization, account_ids=[account.pk])


@transaction.atomic
def account_stage_churn(
    *,
    organization: Organization,
    account_id: int,
    reason: str,
    membership_id: int | None = None,
) -> StageTransition | None:
    """Move an account to the terminal stage churned (renewals announced the churn: its
    ARR part — churned_at, contract status, audit — is renewals'; the stage is ours)."""
    _lock_organization(organization)
    account = (
        Account.objects.select_for_update().filter(organization=organization, pk=account_id).first()
    )
    if account is None or account.stage == Stage.CHURNED:
        return None
    actor = (
        User.objects.filter(
            memberships__organization=organization, memberships__pk=membership_id
        ).first()
        if membership_id is not None
        else None
    )
    StageHold.objects.filter(organization=organization, account=account).delete()
    now = timezone.now()
    before = account.stage
    _write_stage(organization, account, Stage.CHURNED, now)
    transition = StageTransition.objects.create(
        organization=organization,
        account=account,
        from_stage=before,
        to_stage=Stage.CHURNED,
        at=now,
        automatic=actor is None,
        actor=actor,
        reason_code="churned",
        reason_text=(reason or "")[:REASON_MAX],
    )
    _announce(organization, [transition.pk])
    return transition


SETTINGS_FIELDS = (
    "onboarding_overdue_days",
    "adoption_months",
    "advocacy_min_tenure_months",
    "promoter_lookback_days",
    "renewal_inactivity_days",
    "followup_days",
)


@transaction.atomic
def lifecycle_settings_update(
    *,
    organization: Organization,
    actor: User | None,
    renewal_window_days: int | None = None,
    **fields: int,
) -> LifecycleSettings:
    """Save the lifecycle windows (audited; the renewal window through renewals' own service)
    and re-evaluate every account's stage after commit, since the windows moved."""
    from renewals.services import renewal_settings_update

    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Unknown lifecycle settings: {sorted(unknown)}")
    row, _created = LifecycleSettings.objects.get_or_create(organization=organization)
    before = {name: getattr(row, name) for name in fields}
    for name, value in fields.items():
        setattr(row, name, value)
    try:
        row.full_clean(exclude=["organization"])
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    row.save()
    changed = {name: value for name, value in fields.items() if before[name] != value}
    if changed:
        audit_record(
            organization=organization,
            actor=actor,
            action="lifecycle.settings_updated",
            target=row,
            before={name: before[name] for name in changed},
            after=changed,
        )
    if renewal_window_days is not None:
        renewal_settings_update(
            organization=organization, actor=actor, renewal_window_days=renewal_window_days
        )
    from lifecycle.tasks_stages import stages_evaluate_task
    from tenancy.jobs import enqueue_on_commit

    enqueue_on_commit(stages_evaluate_task, organization_id=organization.pk)
    return row
