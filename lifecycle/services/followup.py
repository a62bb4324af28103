"""The 7-day follow-up: scheduling with the go-live, the start handler, the outcome.

Rules (DESIGN.md, "Lifecycle: scheduled actions, 7-day follow-up, My day"):
- `followups_schedule` runs INSIDE the transaction that writes go-live dates (receiver of
  `accounts.signals.go_live_changed`), set-based: one FollowUp per account (scheduled) and one
  ScheduledAction `followup.start` (subject = account id) due at 09:00 of the go-live day in
  the organization's time zone, or now when that moment has passed. A go-live whose follow-up
  window (go-live + followup_days) already ended before today schedules nothing: importing a
  book of long-live customers must not message all of them.
- Edited before the action ran → the same two rows move; cleared → both cancelled; after the
  action ran (follow-up open or done) go-live edits change nothing: one contact per account.
- The handler (`followup_start`) opens the follow-up: a task for the owner (unassigned when the
  account has none; My day shows it to managers as "no owner") due at 18:00 (org time) of the due date,
  and, when the account has a primary contact, the welcome message through outreach's outbox,
  which picks the channel by consent and records `skipped` when there is none.
- `followup_outcome_record` completes it; the escalation on "issue found" is the
  `followup_outcome` playbook, fired by the playbooks receiver of `followup_outcome_recorded`
  (sent after commit; idempotent on `followup:<id>`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account, Contact
from healthscore.inputs import SENTIMENT_VALUES, health_sentiment_set
from lifecycle.models import FollowUp
from lifecycle.models.followup import FollowUpOutcome, FollowUpStatus, Sentiment
from lifecycle.models.tasks import TaskKind, TaskSource, TaskStatus
from lifecycle.selectors import lifecycle_settings_get
from lifecycle.signals import followup_outcome_recorded
from tenancy.models import Organization, ScheduledAction, User
from tenancy.scheduled import scheduled_actions_cancel, scheduled_actions_put, scheduled_handler
from tenancy.services import audit_record
from tenancy.timezones import local_moment, organization_today

FOLLOWUP_START = "followup.start"
START_AT = time(9, 0)
DUE_AT = time(18, 0)
CHUNK = 1000
NOTE_MAX = 2000


def followup_start_at(*, organization: Organization, go_live_date: date, now: datetime) -> datetime:
    """09:00 of the go-live day in the organization's time zone, or now if that has passed."""
    start = local_moment(organization, go_live_date, START_AT)
    return max(start, now)


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def followups_schedule(
    *, organization: Organization, changes: Sequence[tuple[int, date | None, date | None]]
) -> int:
    """Schedule, move or cancel the follow-ups of accounts whose go-live changed. Runs in the
    caller's transaction (see the module docstring). Returns the follow-ups written."""
    if not changes:
        return 0
    days = lifecycle_settings_get(organization=organization).followup_days
    today = organization_today(organization)
    now = timezone.now()
    current = {account_id: new for account_id, _previous, new in changes}
    wanted = {
        account_id: go_live
        for account_id, go_live in current.items()
        if go_live is not None and go_live + timedelta(days=days) >= today
    }
    with transaction.atomic():
        existing: dict[int, FollowUp] = {}
        for chunk in _chunks(sorted(current)):
            existing.update(
                (row.account_id, row)
                for row in FollowUp.objects.select_for_update().filter(
                    organization=organization, account_id__in=chunk
                )
            )
        to_create: list[FollowUp] = []
        to_update: list[FollowUp] = []
        due: dict[str, datetime] = {}
        cancelled: list[str] = []
        for account_id, go_live in current.items():
            row = existing.get(account_id)
            if row is not None and row.status in (FollowUpStatus.OPEN, FollowUpStatus.DONE):
                continue  # the contact for this account was already made
            if account_id in wanted:
                go_live = wanted[account_id]
                due_date = go_live + timedelta(days=days)
                if row is None:
                    to_create.append(
                        FollowUp(
                            organization=organization,
                            account_id=account_id,
                            go_live_date=go_live,
                            due_date=due_date,
                        )
                    )
                else:
                    row.go_live_date = go_live
                    row.due_date = due_date
                    row.status = FollowUpStatus.SCHEDULED
                    row.updated_at = now
                    to_update.append(row)
                due[str(account_id)] = followup_start_at(
                    organization=organization, go_live_date=go_live, now=now
                )
            elif row is not None and row.status == FollowUpStatus.SCHEDULED:
                row.status = FollowUpStatus.CANCELLED
                row.updated_at = now
                to_update.append(row)
                cancelled.append(str(account_id))
        FollowUp.objects.bulk_create(to_create, batch_size=500)
        if to_update:
            FollowUp.objects.bulk_update(
                to_update,
                fields=["go_live_date", "due_date", "status", "updated_at"],
                batch_size=500,
            )
        scheduled_actions_put(organization=organization, kind=FOLLOWUP_START, due=due)
        scheduled_actions_cancel(organization=organization, kind=FOLLOWUP_START, subjects=cancelled)
    return len(to_create) + len(to_update)


def _due_at(organization: Organization, due_date: date) -> datetime:
    return local_moment(organization, due_date, DUE_AT)


def _benefits(organization: Organization, account: Account) -> str:
    """The plan of the account's contract in force today (renewals), for the welcome text."""
    from renewals.models import Contract

    today = organization_today(organization)
    contract = (
        Contract.objects.filter(
            organization=organization,
            account=account,
            start_date__lte=today,
            end_date__gt=today,
        )
        .exclude(status="void")
        .order_by("kind", "-start_date")
        .only("plan")
        .first()
    )
    return contract.plan if contract is not None else ""


@transaction.atomic
def followup_start(*, organization: Organization, account_id: int) -> FollowUp | None:
    """Open the scheduled follow-up of an account: the owner's task and the welcome message.
    Idempotent: a follow-up that is not *scheduled* any more is returned untouched."""
    from lifecycle.services.tasks import task_create
    from outreach.services import message_queue

    followup = (
        FollowUp.objects.select_for_update()
        .filter(organization=organization, account_id=account_id)
        .first()
    )
    if followup is None or followup.status != FollowUpStatus.SCHEDULED:
        return followup
    account = Account.objects.select_related("owner__user").get(
        organization=organization, pk=account_id
    )
    days = (followup.due_date - followup.go_live_date).days
    with translation.override(organization.locale):
        title = _("Follow-up call after go-live: %(account)s") % {"account": account.name}
    task = task_create(
        organization=organization,
        account=account,
        title=title[:200],
        kind=TaskKind.FOLLOW_UP,
        due_at=_due_at(organization, followup.due_date),
        source=TaskSource.FOLLOW_UP,
        assignee=account.owner,
        source_key=f"followup:{followup.pk}",
    )
    contact = (
        Contact.objects.filter(organization=organization, account=account, is_primary=True)
        .order_by("id")
        .first()
    )
    message = None
    if contact is not None:
        owner = account.owner
        message = message_queue(
            organization=organization,
            contact=contact,
            account=account,
            template_key="followup.welcome",
            context={
                "contact_name": contact.name,
                "account_name": account.name,
                "csm_name": owner.user.display_name if owner is not None else "",
                "organization_name": organization.name,
                "benefits": _benefits(organization, account),
                "followup_days": days,
            },
            dedupe_key=f"followup:{followup.pk}:welcome",
            source="follow_up",
        )
    followup.status = FollowUpStatus.OPEN
    followup.task = task
    followup.started_at = timezone.now()
    update_fields = ["status", "task", "started_at", "updated_at"]
    if message is not None:
        followup.message = message
        update_fields.append("message")
    followup.save(update_fields=update_fields)
    return followup


@scheduled_handler(FOLLOWUP_START)
def followup_start_handler(*, organization: Organization, action: ScheduledAction) -> None:
    followup_start(organization=organization, account_id=int(action.subject))


def _validate_outcome(outcome: str, sentiment: str, note: str) -> dict[str, list[ValidationError]]:
    errors: dict[str, list[ValidationError]] = {}
    if outcome not in FollowUpOutcome.values:
        errors["outcome"] = [
            ValidationError(
                _("Choose what happened: reached, no answer or issue found."), code="required"
            )
        ]
    if sentiment and sentiment not in Sentiment.values:
        errors["sentiment"] = [ValidationError(_("Choose a valid sentiment."), code="invalid")]
    elif outcome == FollowUpOutcome.REACHED and not sentiment:
        errors["sentiment"] = [
            ValidationError(_("How did the customer feel? Choose a sentiment."), code="required")
        ]
    if outcome == FollowUpOutcome.ISSUE_FOUND and not note.strip():
        errors["note"] = [
            ValidationError(_("Describe the issue so it can be escalated."), code="required")
        ]
    if len(note) > NOTE_MAX:
        errors["note"] = [
            ValidationError(
                _("Keep the note under %(max)s characters.") % {"max": NOTE_MAX}, code="max_length"
            )
        ]
    return errors


def followup_sentiment_value(outcome: str, sentiment: str) -> int | None:
    """The health sentiment input of an outcome: an issue found is negative (0) whatever the
    sentiment chosen, a reached contact counts with its sentiment, no answer says nothing."""
    if outcome == FollowUpOutcome.ISSUE_FOUND:
        return SENTIMENT_VALUES[Sentiment.NEGATIVE]
    if outcome == FollowUpOutcome.REACHED:
        return SENTIMENT_VALUES.get(sentiment)
    return None


def followup_outcome_record(
    *,
    organization: Organization,
    followup: FollowUp,
    actor: User | None,
    outcome: str,
    sentiment: str = "",
    note: str = "",
) -> FollowUp:
    """Record what the contact gave: outcome, sentiment (required when reached; negative by
    default when an issue was found), note (required for an issue). Completes the task,
    cancels a start that has not run yet (the contact happened), audits, and announces it
    after commit (the playbooks receiver opens the escalation)."""
    if followup.organization_id != organization.id:
        raise PermissionDenied("Follow-up belongs to another organization.")
    outcome = (outcome or "").strip()
    sentiment = (sentiment or "").strip()
    note = (note or "").strip()
    errors = _validate_outcome(outcome, sentiment, note)
    if errors:
        raise ValidationError(errors)
    if outcome == FollowUpOutcome.ISSUE_FOUND and not sentiment:
        sentiment = Sentiment.NEGATIVE

    from lifecycle.services.tasks import task_complete

    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(organization=organization, pk=followup.pk)
        if locked.status == FollowUpStatus.DONE:
            raise ValidationError(
                _("The outcome of this follow-up was already recorded."), code="already_recorded"
            )
        if locked.status == FollowUpStatus.CANCELLED:
            raise ValidationError(
                _("This follow-up was cancelled (the go-live date was cleared)."),
                code="followup_cancelled",
            )
        if locked.status == FollowUpStatus.SCHEDULED:
            scheduled_actions_cancel(
                organization=organization, kind=FOLLOWUP_START, subjects=[str(locked.account_id)]
            )
        before = {"status": locked.status}
        locked.status = FollowUpStatus.DONE
        locked.outcome = outcome
        locked.sentiment = sentiment
        locked.note = note
        locked.recorded_by = actor if actor is not None and actor.is_authenticated else None
        locked.recorded_at = timezone.now()
        locked.save(
            update_fields=[
                "status",
                "outcome",
                "sentiment",
                "note",
                "recorded_by",
                "recorded_at",
                "updated_at",
            ]
        )
        # A task someone already closed or cancelled by hand is left as it is.
        if locked.task is not None and locked.task.status == TaskStatus.OPEN:
            summary = str(FollowUpOutcome(outcome).label)
            if note:
                summary = f"{summary}: {note}"
            task_complete(organization=organization, task=locked.task, actor=actor, outcome=summary)
        health_sentiment_set(
            organization=organization,
            account_id=locked.account_id,
            subject=f"followup:{locked.pk}",
            day=organization_today(organization),
            value=followup_sentiment_value(outcome, sentiment),
        )
        audit_record(
            organization=organization,
            actor=actor,
            action="followup.outcome_recorded",
            target=locked,
            before=before,
            after={"status": locked.status, "outcome": outcome, "sentiment": sentiment},
        )
        transaction.on_commit(
            lambda: followup_outcome_recorded.send(
                sender=FollowUp,
                organization=organization,
                followup_id=locked.pk,
                account_id=locked.account_id,
                outcome=outcome,
                sentiment=sentiment,
            )
        )
    return locked
