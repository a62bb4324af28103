"""Invitations: minted tokens, the link, and sends through the outreach outbox."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact
from outreach.models import MessageStatus
from outreach.services import message_queue
from surveys.messages import TEMPLATE_KEY
from surveys.models import (
    INVITATION_VALIDITY,
    Survey,
    SurveyInvitation,
)
from surveys.selectors import contacts_messageable
from surveys.services._common import _check
from tenancy.models import Organization, User
from tenancy.services import audit_record
from tenancy.tokens import token_new


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
