"""Answers: `survey_response_record` (every way in) and the public page's `survey_response_answer`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact
from surveys.models import (
    COMMENT_MAX_LENGTH,
    EDIT_WINDOW,
    SCALES,
    ResponseSource,
    Survey,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)
from surveys.scoring import score_in_scale
from surveys.services._common import _check
from surveys.signals import survey_answered
from tenancy.models import ApiKey, Organization, User
from tenancy.services import audit_record
from tenancy.tokens import token_hash

FUTURE_TOLERANCE = timedelta(minutes=5)


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
