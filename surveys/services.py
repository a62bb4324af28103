"""Writes of the surveys app (one transaction each, audited, organization explicit).

- `survey_create` / `survey_update`: managers define surveys; the kind is fixed once the
  survey has answers (their scale would change meaning). Automatic sending (`auto_trigger`:
  after go-live with `delay_days` 1-365, periodic with `period_days` 30-730) allows one active
  survey per organization and trigger kind; a change of those settings sends
  `survey_trigger_changed` inside the transaction (lifecycle schedules the sends).
- `survey_invitation_create` mints a 256-bit token and stores only its SHA-256; the clear token
  is returned once, for the link. `survey_invitation_send` creates the invitation and queues
  the message through `outreach.services.message_queue` (channel by consent, WhatsApp first,
  opt-out honoured, dedupe key `survey-invitation:<id>`), so a message is never sent twice; a
  contact that already holds an open invitation to the survey (unexpired, unanswered) is not
  invited again (the contact row is locked while checking, so a double click sends once).
- `survey_response_record` is every answer's way in (link, API, by hand): it validates the
  score by the survey's kind and sends `survey_answered` after commit.
- `survey_response_answer` is the public page's: the token's invitation (in the active scope,
  entered by the middleware from the token) gets its response, editable for 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact
from outreach.models import MessageStatus
from outreach.services import message_queue
from surveys.messages import TEMPLATE_KEY
from surveys.models import (
    COMMENT_MAX_LENGTH,
    DELAY_DAYS_DEFAULT,
    DELAY_DAYS_RANGE,
    EDIT_WINDOW,
    INVITATION_VALIDITY,
    PERIOD_DAYS_DEFAULT,
    PERIOD_DAYS_RANGE,
    SCALES,
    AutoTrigger,
    ResponseSource,
    Survey,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)
from surveys.scoring import score_in_scale
from surveys.selectors import contacts_messageable
from surveys.signals import survey_answered, survey_trigger_changed
from tenancy.models import ApiKey, Organization, User
from tenancy.services import audit_record
from tenancy.tokens import token_hash, token_new

FUTURE_TOLERANCE = timedelta(minutes=5)
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


def _check(organization: Organization, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != organization.id:
            raise PermissionDenied("Object belongs to another organization.")


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


def _score_error(kind: str) -> ValidationError:
    low, high = SCALES[SurveyKind(kind)]
    return ValidationError(
        _("Give a whole number from %(low)s to %(high)s (%(kind)s).")
        % {"low": low, "high": high, "kind": SurveyKind(kind).label},
        code="invalid_score",
    )


def _response_values(
    *, kind: str, score: Any, comment: str | None, answered_at: datetime | None, source: str
) -> dict:
    errors: dict[str, list[ValidationError]] = {}
    if not score_in_scale(kind, score):
        errors["score"] = [_score_error(kind)]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = [
            ValidationError(
                _("At most %(limit)s characters.") % {"limit": f"{COMMENT_MAX_LENGTH:,}"},
                code="max_length",
            )
        ]
    now = timezone.now()
    if answered_at is not None and (
        timezone.is_naive(answered_at) or answered_at > now + FUTURE_TOLERANCE
    ):
        errors["answered_at"] = [
            ValidationError(_("The answer cannot be in the future."), code="in_future")
        ]
    if source not in ResponseSource.values:
        errors["source"] = [ValidationError(_("Unknown source."), code="invalid_choice")]
    if errors:
        raise ValidationError(errors)
    return {"score": score, "comment": comment, "answered_at": answered_at or now}


def _announce(*, organization: Organization, response: SurveyResponse, created: bool) -> None:
    values = {
        "organization": organization,
        "response_id": response.id,
        "account_id": response.account_id,
        "kind": response.kind,
        "score": response.score,
        "created": created,
    }
    transaction.on_commit(lambda: survey_answered.send(sender=SurveyResponse, **values))


def _snapshot(response: SurveyResponse) -> dict:
    return {"score": response.score, "comment": response.comment, "kind": response.kind}


@transaction.atomic
def survey_response_record(
    *,
    organization: Organization,
    survey: Survey,
    account: Account,
    contact: Contact | None = None,
    score: int,
    comment: str = "",
    answered_at: datetime | None = None,
    source: str,
    invitation: SurveyInvitation | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> SurveyResponse:
    """Record an answer (see the module docstring). With an `invitation` that already has its
    response, that response is edited instead — allowed for 24 hours after its first answer
    (`edit_window_closed` after). Sends `survey_answered` after commit (created True/False)."""
    _check(organization, survey, account, contact, invitation)
    if contact is not None and contact.account_id != account.id:
        raise ValidationError(
            {
                "contact": ValidationError(
                    _("The contact does not belong to this account."),
                    code="contact_not_in_account",
                )
            }
        )
    if invitation is not None and (
        invitation.survey_id != survey.id
        or invitation.account_id != account.id
        or (contact is not None and invitation.contact_id != contact.id)
    ):
        raise ValidationError(
            _("The invitation is for another survey, account or contact."),
            code="invitation_mismatch",
        )
    values = _response_values(
        kind=survey.kind, score=score, comment=comment, answered_at=answered_at, source=source
    )
    if invitation is not None:
        existing = (
            SurveyResponse.objects.select_for_update()
            .filter(organization=organization, invitation=invitation)
            .first()
        )
        if existing is not None:
            return _response_edit(
                organization=organization, response=existing, values=values, actor=actor
            )
    if not survey.active:
        raise ValidationError(
            _("This survey is inactive and accepts no new answers."), code="survey_inactive"
        )
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                organization=organization,
                survey=survey,
                invitation=invitation,
                account=account,
                contact=contact if contact is not None else getattr(invitation, "contact", None),
                kind=survey.kind,
                source=source,
                **values,
            )
    except IntegrityError:
        # A concurrent first answer to the same invitation won the race: this one is the edit.
        existing = SurveyResponse.objects.select_for_update().get(
            organization=organization, invitation=invitation
        )
        return _response_edit(
            organization=organization, response=existing, values=values, actor=actor
        )
    audit_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        action="survey_response.recorded",
        target=response,
        after={**_snapshot(response), "source": source, "survey": survey.id},
    )
    _announce(organization=organization, response=response, created=True)
    return response


def _response_edit(
    *, organization: Organization, response: SurveyResponse, values: dict, actor: User | None
) -> SurveyResponse:
    if timezone.now() >= response.answered_at + EDIT_WINDOW:
        raise ValidationError(
            _("This answer can no longer be changed (24 hours have passed)."),
            code="edit_window_closed",
        )
    before = _snapshot(response)
    response.score = values["score"]
    response.comment = values["comment"]
    response.save(update_fields=["score", "comment", "updated_at"])
    audit_record(
        organization=organization,
        actor=actor,
        action="survey_response.edited",
        target=response,
        before=before,
        after=_snapshot(response),
    )
    _announce(organization=organization, response=response, created=False)
    return response


class InvalidSurveyLinkError(Exception):
    """The token is unknown, its invitation expired, or its survey is inactive (one answer for
    all three, so the page never tells whether a token existed)."""


def survey_invitation_get_for_answer(*, token: str) -> SurveyInvitation:
    """The token's invitation in the active scope, if it can still be answered (or its answer
    edited). Raises InvalidSurveyLinkError otherwise."""
    if not token or len(token) > 100:
        raise InvalidSurveyLinkError
    invitation = (
        SurveyInvitation.objects.select_related("survey", "account", "contact", "organization")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None or invitation.is_expired or not invitation.survey.active:
        raise InvalidSurveyLinkError
    return invitation


def survey_response_answer(*, token: str, score: Any, comment: str = "") -> SurveyResponse:
    """The public page's answer. Runs in the scope the middleware entered from the token.
    Raises InvalidSurveyLinkError, or ValidationError (`invalid_score`, `max_length`,
    `edit_window_closed`)."""
    invitation = survey_invitation_get_for_answer(token=token)
    return survey_response_record(
        organization=invitation.organization,
        survey=invitation.survey,
        account=invitation.account,
        contact=invitation.contact,
        score=score,
        comment=comment,
        source=ResponseSource.LINK,
        invitation=invitation,
    )


def survey_link(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('survey_answer', args=[token])}"


@transaction.atomic
def survey_invitation_create(
    *,
    organization: Organization,
    survey: Survey,
    contact: Contact,
    actor: User | None = None,
) -> tuple[SurveyInvitation, str]:
    """A new invitation of `contact` to `survey`, valid 30 days. Returns (invitation, clear
    token); only the token's SHA-256 is stored."""
    _check(organization, survey, contact)
    if not survey.active:
        raise ValidationError(
            _("This survey is inactive: activate it before sending it."), code="survey_inactive"
        )
    raw, hashed = token_new(32)
    invitation = SurveyInvitation.objects.create(
        organization=organization,
        survey=survey,
        account_id=contact.account_id,
        contact=contact,
        token_hash=hashed,
        expires_at=timezone.now() + INVITATION_VALIDITY,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    return invitation, raw


@dataclass(frozen=True)
class InvitationSent:
    invitation: SurveyInvitation
    created: bool  # False: the contact already held an open invitation to this survey
    status: str  # the outbound message's status (queued, skipped, …), "" without a message


def _open_invitation(organization, survey, contact) -> SurveyInvitation | None:
    return (
        SurveyInvitation.objects.filter(
            organization=organization,
            survey=survey,
            contact=contact,
            expires_at__gt=timezone.now(),
        )
        .filter(~Q(responses__isnull=False))
        .select_related("outbound_message")
        .order_by("-id")
        .first()
    )


@transaction.atomic
def survey_invitation_send(
    *,
    organization: Organization,
    survey: Survey,
    contact: Contact,
    actor: User | None = None,
) -> InvitationSent:
    """Invite `contact` and queue the message (see the module docstring)."""
    _check(organization, survey, contact)
    # Serialise sends to one contact: two clicks cannot both find "no open invitation".
    contact = (
        Contact.objects.select_for_update(of=("self",))
        .select_related("account", "account__owner__user")
        .get(organization=organization, pk=contact.pk)
    )
    existing = _open_invitation(organization, survey, contact)
    if existing is not None:
        message = existing.outbound_message
        return InvitationSent(
            invitation=existing, created=False, status=message.status if message else ""
        )
    invitation, raw = survey_invitation_create(
        organization=organization, survey=survey, contact=contact, actor=actor
    )
    account = contact.account
    owner = account.owner.user.display_name if account.owner is not None else organization.name
    message = message_queue(
        organization=organization,
        contact=contact,
        template_key=TEMPLATE_KEY,
        context={
            "contact_name": contact.name,
            "account_name": account.name,
            "csm_name": owner,
            "organization_name": organization.name,
            "survey_link": survey_link(raw),
        },
        dedupe_key=f"survey-invitation:{invitation.id}",
        source="survey",
        account=account,
    )
    invitation.outbound_message = message
    invitation.channel = message.channel or ""
    invitation.sent_at = None if message.status == MessageStatus.SKIPPED else timezone.now()
    invitation.save(update_fields=["outbound_message", "channel", "sent_at"])
    audit_record(
        organization=organization,
        actor=actor,
        action="survey_invitation.sent",
        target=invitation,
        after={
            "survey": survey.id,
            "contact": contact.id,
            "channel": invitation.channel,
            "status": message.status,
        },
    )
    return InvitationSent(invitation=invitation, created=True, status=message.status)


@transaction.atomic
def survey_invitations_send_to_account(
    *,
    organization: Organization,
    survey: Survey,
    account: Account,
    actor: User | None = None,
) -> list[InvitationSent]:
    """Invite every contact of `account` that opted in to a channel (one transaction)."""
    _check(organization, survey, account)
    return [
        survey_invitation_send(
            organization=organization, survey=survey, contact=contact, actor=actor
        )
        for contact in contacts_messageable(organization=organization, account=account)
    ]
