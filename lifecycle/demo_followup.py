"""Demo follow-ups: per account owner, a few recent go-lives with their follow-up in every
state — scheduled (go-live in a few days), due, overdue, and done with each outcome (an issue
found opens its escalation through the playbook) — so My day and the report have content.

Go-live dates of the chosen onboarding accounts are moved to fixed offsets from today with a
plain UPDATE (no signal: the rows below are written directly). Idempotent: skipped when the
organization has follow-ups already or more than 5,000 accounts (benchmarks).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Contact, Stage
from lifecycle.models import FollowUp, Task
from lifecycle.models.followup import FollowUpOutcome, FollowUpStatus, Sentiment
from lifecycle.models.tasks import TaskKind, TaskSource, TaskStatus
from lifecycle.selectors import lifecycle_settings_get
from lifecycle.services.followup import FOLLOWUP_START, followup_start_at
from tenancy.models import Organization
from tenancy.scheduled import scheduled_actions_put
from tenancy.timezones import organization_today

MAX_ACCOUNTS = 5000
# (days from today to the go-live, state, outcome, sentiment, days from go-live to contact)
PLAN = (
    (4, FollowUpStatus.SCHEDULED, "", "", None),
    (-1, FollowUpStatus.OPEN, "", "", None),
    (-3, FollowUpStatus.OPEN, "", "", None),
    (-6, FollowUpStatus.DONE, FollowUpOutcome.REACHED, Sentiment.POSITIVE, 2),
    (-9, FollowUpStatus.OPEN, "", "", None),
    (-13, FollowUpStatus.DONE, FollowUpOutcome.ISSUE_FOUND, Sentiment.NEGATIVE, 5),
    (-20, FollowUpStatus.DONE, FollowUpOutcome.NO_ANSWER, "", 8),
    (-27, FollowUpStatus.DONE, FollowUpOutcome.REACHED, Sentiment.NEUTRAL, 4),
)
NOTES = {
    FollowUpOutcome.REACHED: gettext_lazy(
        "Team is using the reports daily; asked for a short admin training."
    ),
    FollowUpOutcome.ISSUE_FOUND: gettext_lazy("Invoices show the wrong plan; finance is unhappy."),
    FollowUpOutcome.NO_ANSWER: gettext_lazy("Two calls and a WhatsApp message, no answer."),
}


def demo_followups_seed(*, organization: Organization) -> int:
    """Returns the number of follow-ups created."""
    from lifecycle.services.playbooks import playbook_fire
    from lifecycle.services.tasks import task_create
    from outreach.models import OutboundMessage
    from outreach.services import message_queue

    if FollowUp.objects.filter(organization=organization).exists():
        return 0
    accounts = Account.objects.filter(organization=organization)
    if accounts.count() > MAX_ACCOUNTS:
        return 0
    tz = ZoneInfo(organization.time_zone)
    today = organization_today(organization)
    days = lifecycle_settings_get(organization=organization).followup_days
    owners = sorted(set(accounts.exclude(owner=None).values_list("owner_id", flat=True)))
    created = 0
    for owner_id in owners:
        chosen = list(
            accounts.filter(owner_id=owner_id, stage=Stage.ONBOARDING)
            .exclude(go_live_date=None)
            .select_related("owner__user")
            .order_by("-go_live_date", "id")[: len(PLAN)]
        )
        for account, (offset, status, outcome, sentiment, contact_after) in zip(
            chosen, PLAN, strict=False
        ):
            go_live = today + timedelta(days=offset)
            Account.objects.filter(organization=organization, pk=account.pk).update(
                go_live_date=go_live
            )
            followup = FollowUp.objects.create(
                organization=organization,
                account=account,
                go_live_date=go_live,
                due_date=go_live + timedelta(days=days),
                status=FollowUpStatus.SCHEDULED,
            )
            created += 1
            if status == FollowUpStatus.SCHEDULED:
                scheduled_actions_put(
                    organization=organization,
                    kind=FOLLOWUP_START,
                    due={
                        str(account.pk): followup_start_at(
                            organization=organization,
                            go_live_date=go_live,
                            now=datetime.combine(today, time.min, tzinfo=tz),
                        )
                    },
                )
                continue
            started = datetime.combine(go_live, time(9), tzinfo=tz)
            with translation.override(organization.locale):
                title = _("Follow-up call after go-live: %(account)s") % {"account": account.name}
            task = task_create(
                organization=organization,
                account=account,
                title=title[:200],
                kind=TaskKind.FOLLOW_UP,
                due_at=datetime.combine(followup.due_date, time(18, 0), tzinfo=tz),
                source=TaskSource.FOLLOW_UP,
                assignee=account.owner,
                source_key=f"followup:{followup.pk}",
            )
            # outreach's demo may have written this account's welcome already: link it.
            message = OutboundMessage.objects.filter(
                organization=organization, account=account, template_key="followup.welcome"
            ).first()
            contact = Contact.objects.filter(
                organization=organization, account=account, is_primary=True
            ).first()
            if message is None and contact is not None:
                try:
                    message = message_queue(
                        organization=organization,
                        contact=contact,
                        account=account,
                        template_key="followup.welcome",
                        context={
                            "contact_name": contact.name,
                            "account_name": account.name,
                            "csm_name": account.owner.user.display_name,
                            "organization_name": organization.name,
                            "benefits": "",
                            "followup_days": days,
                        },
                        dedupe_key=f"followup:{followup.pk}:welcome",
                        source="follow_up",
                    )
                except ValidationError:
                    message = None
            followup.status = FollowUpStatus.OPEN
            followup.task = task
            followup.message = message
            followup.started_at = started
            if status == FollowUpStatus.DONE:
                recorded = datetime.combine(
                    go_live + timedelta(days=contact_after), time(15, 30), tzinfo=tz
                )
                with translation.override(organization.locale):
                    note = str(NOTES[outcome])
                    summary = f"{FollowUpOutcome(outcome).label}: {note}"
                followup.status = FollowUpStatus.DONE
                followup.outcome = outcome
                followup.sentiment = sentiment
                followup.note = note
                followup.recorded_by = account.owner.user
                followup.recorded_at = recorded
                Task.objects.filter(organization=organization, pk=task.pk).update(
                    status=TaskStatus.DONE,
                    completed_at=recorded,
                    completed_by=account.owner,
                    outcome=summary,
                )
                if outcome == FollowUpOutcome.ISSUE_FOUND:
                    playbook_fire(
                        organization=organization,
                        trigger="followup_outcome",
                        trigger_value=outcome,
                        account_ids=[account.pk],
                        cause_key=f"followup:{followup.pk}",
                    )
            followup.save()
    return created
