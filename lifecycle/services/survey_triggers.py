"""Automatic survey sends: N days after go-live and the periodic relationship survey.

Surveys own the settings (`Survey.auto_trigger`, `delay_days`, `period_days`; one active survey
per organization and trigger kind) and the send (`surveys.services.survey_invitation_send`:
consent, outbox, one open invitation per contact and survey). Lifecycle, above surveys, decides
when and whom (DESIGN.md, Decisions > Surveys).

After go-live (`survey.after_go_live`, subject `<survey id>:<account id>`):
- Written with its cause, inside the cause's transaction: the `go_live_changed` receiver
  (`survey_after_go_live_schedule`) and the `survey_trigger_changed` receiver
  (`survey_triggers_resync`, when a survey's sending is switched on, off or changed).
- Due at 10:00 organization time on go-live + delay_days. A moment already past is not
  scheduled (switching a survey on, or importing a book of long-live customers, sends nothing
  by surprise); a pending row whose moment moved into the past is cancelled. Moving the go-live
  moves the row (unique organization + kind + subject); clearing it cancels a pending row.
- Switching on: one read of the accounts whose moment is still ahead (go-live on or after
  today - delay, an index range of `account_org_golive`), then `scheduled_actions_put`'s bulk
  upsert: a constant number of statements per 500 accounts, no query per account. Switching
  off, deactivating or moving to another trigger cancels the survey's pending rows (one UPDATE).
- The handler invites the account's messageable contacts (opted in to a channel) with the
  role champion or admin, else all of its messageable contacts, minus those under the 7-day
  cap. It re-checks the survey (still active, still after go-live) and the account (still
  live); it runs in the same transaction as the row's "done", and `survey_invitation_send`
  returns an open invitation instead of a second one, so a retry sends nothing twice.

Periodic (`survey_periodic_send`, one task per organization with an active periodic survey,
daily beat): contacts of live accounts (go-live on or before today, not churned) who accept
messages and
- were invited to the survey before, the last time more than `period_days` ago, or
- were never invited to it, whose account went live at least `period_days` ago, on their
  slot day: `contact id mod period_days == organization day number mod period_days`. The
  first round is spread evenly over one period (about 1/period of the contacts a day), so
  switching a periodic survey on does not invite everyone the same morning;
minus the 7-day cap. One SELECT chooses them (at most SWEEP_LIMIT a day; the rest stay due for
the next day), then one `survey_invitation_send` each.

Cap: a contact invited to any survey (automatic or by hand) in the last 7 days is not invited
automatically (checked in the selection and in the handler).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Mod
from django.utils import timezone

from accounts.models import Account, Consent, Contact
from surveys.models import AutoTrigger, Survey, SurveyInvitation
from tenancy.models import Organization, ScheduledAction
from tenancy.scheduled import scheduled_actions_cancel, scheduled_actions_put, scheduled_handler
from tenancy.timezones import local_moment, organization_today

AFTER_GO_LIVE = "survey.after_go_live"
SEND_AT = time(10, 0)
CAP = timedelta(days=7)
SWEEP_LIMIT = 2000
PREFERRED_ROLES = (Contact.ContactRole.CHAMPION, Contact.ContactRole.ADMIN)

Status = ScheduledAction.Status


def after_go_live_subject(survey_id: int, account_id: int) -> str:
    return f"{survey_id}:{account_id}"


def after_go_live_due(
    *, organization: Organization, go_live_date: date, delay_days: int
) -> datetime:
    """10:00 organization time on go-live + delay_days."""
    day = go_live_date + timedelta(days=delay_days)
    return local_moment(organization, day, SEND_AT)


def _after_go_live_survey(organization: Organization) -> Survey | None:
    return (
        Survey.objects.filter(
            organization=organization, active=True, auto_trigger=AutoTrigger.AFTER_GO_LIVE
        )
        .order_by("id")
        .first()
    )


def survey_after_go_live_schedule(
    *, organization: Organization, changes: list[tuple[int, date | None, date | None]]
) -> int:
    """Schedule, move or cancel the after-go-live sends of accounts whose go-live changed (the
    `go_live_changed` receiver, inside the accounts transaction). Returns rows written."""
    if not changes:
        return 0
    survey = _after_go_live_survey(organization)
    if survey is None:
        return 0
    now = timezone.now()
    due: dict[str, datetime] = {}
    cancelled: list[str] = []
    for account_id, _previous, go_live in changes:
        subject = after_go_live_subject(survey.id, account_id)
        if go_live is None:
            cancelled.append(subject)
            continue
        moment = after_go_live_due(
            organization=organization, go_live_date=go_live, delay_days=survey.delay_days
        )
        if moment > now:
            due[subject] = moment
        else:
            cancelled.append(subject)
    with transaction.atomic():
        written = scheduled_actions_put(organization=organization, kind=AFTER_GO_LIVE, due=due)
        written += scheduled_actions_cancel(
            organization=organization, kind=AFTER_GO_LIVE, subjects=cancelled
        )
    return written


@transaction.atomic
def survey_triggers_resync(*, organization: Organization, survey_id: int) -> int:
    """A survey's automatic sending changed (the `survey_trigger_changed` receiver, inside the
    surveys transaction): cancel its pending after-go-live rows, then, when it is an active
    after-go-live survey, (re)schedule the accounts whose moment is still ahead. A constant
    number of statements whatever the number of accounts. Returns rows (re)scheduled."""
    survey = Survey.objects.filter(organization=organization, pk=survey_id).first()
    if survey is None:
        return 0
    ScheduledAction.objects.filter(
        organization=organization,
        kind=AFTER_GO_LIVE,
        subject__startswith=f"{survey.id}:",
        status__in=[Status.PENDING, Status.ENQUEUED],
    ).update(status=Status.CANCELLED, lease_until=None, updated_at=timezone.now())
    if not survey.active or survey.auto_trigger != AutoTrigger.AFTER_GO_LIVE:
        return 0
    now = timezone.now()
    earliest = organization_today(organization) - timedelta(days=survey.delay_days)
    due: dict[str, datetime] = {}
    rows = Account.objects.filter(
        organization=organization, go_live_date__gte=earliest, churned_at__isnull=True
    ).values_list("id", "go_live_date")
    for account_id, go_live in rows.iterator(chunk_size=2000):
        if go_live is None:  # excluded by the filter; for the type checker
            continue
        moment = after_go_live_due(
            organization=organization, go_live_date=go_live, delay_days=survey.delay_days
        )
        if moment > now:
            due[after_go_live_subject(survey.id, account_id)] = moment
    return scheduled_actions_put(organization=organization, kind=AFTER_GO_LIVE, due=due)


def _recently_invited(organization: Organization, since: datetime) -> Exists:
    """The 7-day cap: the contact has an invitation (any survey) created since `since`."""
    return Exists(
        SurveyInvitation.objects.filter(
            organization=organization, contact=OuterRef("pk"), created_at__gte=since
        )
    )


def _messageable() -> Q:
    return Q(email_consent=Consent.OPTED_IN) | Q(whatsapp_consent=Consent.OPTED_IN)


def survey_after_go_live_contacts(
    *, organization: Organization, account: Account, now: datetime
) -> list[Contact]:
    """Whom the after-go-live survey invites: the account's messageable champions and admins,
    else all its messageable contacts; minus the 7-day cap. One query."""
    contacts = list(
        Contact.objects.filter(organization=organization, account=account)
        .filter(_messageable())
        .annotate(capped=_recently_invited(organization, now - CAP))
        .order_by("-is_primary", "name", "id")
    )
    preferred = [contact for contact in contacts if contact.role in PREFERRED_ROLES]
    chosen = preferred or contacts
    return [contact for contact in chosen if not contact.capped]


def survey_after_go_live_send(
    *, organization: Organization, survey_id: int, account_id: int, now: datetime | None = None
) -> int:
    """The handler's work (see the module docstring). Returns invitations created."""
    from surveys.services import survey_invitation_send

    now = now or timezone.now()
    survey = Survey.objects.filter(
        organization=organization,
        pk=survey_id,
        active=True,
        auto_trigger=AutoTrigger.AFTER_GO_LIVE,
    ).first()
    if survey is None:
        return 0
    account = Account.objects.filter(
        organization=organization,
        pk=account_id,
        go_live_date__isnull=False,
        churned_at__isnull=True,
    ).first()
    if account is None:
        return 0
    created = 0
    with transaction.atomic():
        for contact in survey_after_go_live_contacts(
            organization=organization, account=account, now=now
        ):
            sent = survey_invitation_send(organization=organization, survey=survey, contact=contact)
            created += int(sent.created)
    return created


@scheduled_handler(AFTER_GO_LIVE)
def survey_after_go_live_handler(*, organization: Organization, action: ScheduledAction) -> None:
    survey_id, _sep, account_id = action.subject.partition(":")
    survey_after_go_live_send(
        organization=organization, survey_id=int(survey_id), account_id=int(account_id)
    )


# ---- periodic relationship survey ---------------------------------------------------------


def periodic_survey_get(*, organization: Organization) -> Survey | None:
    return (
        Survey.objects.filter(
            organization=organization, active=True, auto_trigger=AutoTrigger.PERIODIC
        )
        .order_by("id")
        .first()
    )


def survey_periodic_due_contacts(
    *, organization: Organization, survey: Survey, now: datetime, limit: int = SWEEP_LIMIT
) -> QuerySet[Contact]:
    """The contacts the periodic survey invites today (rule in the module docstring): one
    query whatever the number of accounts and contacts."""
    today = timezone.localtime(now, ZoneInfo(organization.time_zone)).date()
    period = survey.period_days
    last = Subquery(
        SurveyInvitation.objects.filter(
            organization=organization, survey=survey, contact=OuterRef("pk")
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return (
        Contact.objects.filter(
            organization=organization,
            account__go_live_date__lte=today,
            account__churned_at__isnull=True,
        )
        .filter(_messageable())
        .annotate(
            last_invited_at=last,
            slot=Mod(F("id"), period),
            capped=_recently_invited(organization, now - CAP),
        )
        .filter(
            Q(last_invited_at__lt=now - timedelta(days=period))
            | Q(
                last_invited_at__isnull=True,
                account__go_live_date__lte=today - timedelta(days=period),
                slot=today.toordinal() % period,
            )
        )
        .filter(capped=False)
        .order_by("id")[:limit]
    )


def survey_periodic_send(*, organization: Organization, now: datetime | None = None) -> int:
    """Invite today's due contacts to the organization's active periodic survey (the daily
    task). Idempotent within the day: an invited contact is no longer due. Returns invitations
    created."""
    from surveys.services import survey_invitation_send

    now = now or timezone.now()
    survey = periodic_survey_get(organization=organization)
    if survey is None:
        return 0
    contacts = list(survey_periodic_due_contacts(organization=organization, survey=survey, now=now))
    created = 0
    for contact in contacts:  # one send (its own transaction) per chosen contact
        sent = survey_invitation_send(organization=organization, survey=survey, contact=contact)
        created += int(sent.created)
    return created
