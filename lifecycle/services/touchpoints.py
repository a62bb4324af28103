"""Writes of touchpoints (DESIGN.md, Decisions: touchpoints).

`touchpoint_log` validates (contact of the account, summary required and capped, occurred_at
not in the future beyond FUTURE_TOLERANCE) and writes one row; with a `source_key` it is
idempotent: a second call with the same key returns the stored row and writes nothing (the
unique constraint settles a race). Notes are not audited (they are not configuration), but
the row keeps who logged it; edits and deletions are allowed to that person and to managers.
A touchpoint's sentiment is a health input (`healthscore.inputs`): written, corrected and
removed with the touchpoint, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact
from healthscore.inputs import SENTIMENT_VALUES, health_sentiment_set
from lifecycle.models.touchpoints import (
    FUTURE_TOLERANCE,
    SUMMARY_MAX_LENGTH,
    Sentiment,
    Touchpoint,
    TouchpointChannel,
    TouchpointDirection,
    TouchpointSource,
)
from tenancy.models import Membership, Organization, Role, User, role_at_least
from tenancy.timezones import local_date

EDITABLE_FIELDS = ("contact", "channel", "direction", "summary", "sentiment", "occurred_at")


def _check(organization: Organization, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != organization.id:
            raise PermissionDenied("Object belongs to another organization.")


def touchpoint_validate(
    *,
    account: Account,
    contact: Contact | None,
    channel: str,
    direction: str,
    summary: str,
    sentiment: str,
    occurred_at: datetime,
) -> dict[str, list[ValidationError]]:
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    if contact is not None and contact.account_id != account.pk:
        add("contact", _("This contact belongs to another account."), "contact_other_account")
    if channel not in TouchpointChannel.values:
        add("channel", _("Choose a valid channel."), "invalid_choice")
    if direction not in TouchpointDirection.values:
        add("direction", _("Choose a valid direction."), "invalid_choice")
    if sentiment and sentiment not in Sentiment.values:
        add("sentiment", _("Choose a valid sentiment."), "invalid_choice")
    if not summary.strip():
        add("summary", _("Write what happened."), "required")
    elif len(summary) > SUMMARY_MAX_LENGTH:
        add(
            "summary",
            _("Keep the summary under %(limit)s characters.") % {"limit": SUMMARY_MAX_LENGTH},
            "max_length",
        )
    if occurred_at is None or timezone.is_naive(occurred_at):
        add("occurred_at", _("Give the date and time it happened."), "invalid")
    elif occurred_at > timezone.now() + FUTURE_TOLERANCE:
        add("occurred_at", _("A touchpoint cannot be in the future."), "in_future")
    return errors


@transaction.atomic
def touchpoint_log(
    *,
    organization: Organization,
    account: Account,
    channel: str,
    summary: str,
    direction: str = TouchpointDirection.OUTBOUND,
    contact: Contact | None = None,
    sentiment: str = "",
    occurred_at: datetime | None = None,
    actor: User | None = None,
    source: str = TouchpointSource.MANUAL,
    source_key: str = "",
) -> Touchpoint:
    _check(organization, account, contact)
    occurred_at = occurred_at or timezone.now()
    summary = summary.strip()
    errors = touchpoint_validate(
        account=account,
        contact=contact,
        channel=channel,
        direction=direction,
        summary=summary,
        sentiment=sentiment,
        occurred_at=occurred_at,
    )
    if errors:
        raise ValidationError(errors)
    if source_key:
        existing = Touchpoint.objects.filter(
            organization=organization, source_key=source_key
        ).first()
        if existing is not None:
            return existing
    row = Touchpoint(
        organization=organization,
        account=account,
        contact=contact,
        channel=channel,
        direction=direction,
        summary=summary,
        sentiment=sentiment,
        occurred_at=occurred_at,
        logged_by=actor if actor is not None and actor.is_authenticated else None,
        source=source,
        source_key=source_key,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        if not source_key:
            raise
        # A concurrent delivery of the same cause won the unique constraint.
        return Touchpoint.objects.get(organization=organization, source_key=source_key)
    _sentiment_input(organization, row)
    return row


def _sentiment_input(organization: Organization, touchpoint: Touchpoint, *, deleted=False) -> None:
    value = None if deleted else SENTIMENT_VALUES.get(touchpoint.sentiment)
    health_sentiment_set(
        organization=organization,
        account_id=touchpoint.account_id,
        subject=f"touchpoint:{touchpoint.pk}",
        day=local_date(organization, touchpoint.occurred_at),
        value=value,
    )


def touchpoint_can_change(*, touchpoint: Touchpoint, user: User | None, role: str | None) -> bool:
    """The person who logged it may edit or delete it; managers and above any touchpoint."""
    if role is not None and role_at_least(role, Role.MANAGER):
        return True
    return (
        user is not None
        and user.is_authenticated
        and role is not None
        and role_at_least(role, Role.CSM)
        and touchpoint.logged_by_id == user.pk
    )


def _require_can_change(touchpoint: Touchpoint, membership: Membership | None) -> None:
    user = membership.user if membership is not None else None
    role = membership.role if membership is not None else None
    if not touchpoint_can_change(touchpoint=touchpoint, user=user, role=role):
        raise PermissionDenied(_("Only the person who logged it or a manager can change it."))


@transaction.atomic
def touchpoint_update(
    *,
    organization: Organization,
    touchpoint: Touchpoint,
    membership: Membership | None,
    **changes: Any,
) -> Touchpoint:
    _check(organization, touchpoint, changes.get("contact"))
    _require_can_change(touchpoint, membership)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    values = {name: changes.get(name, getattr(touchpoint, name)) for name in EDITABLE_FIELDS}
    values["summary"] = (values["summary"] or "").strip()
    values["sentiment"] = values["sentiment"] or ""
    errors = touchpoint_validate(account=touchpoint.account, **values)
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(touchpoint, name, value)
    touchpoint.save(update_fields=[*EDITABLE_FIELDS, "updated_at"])
    _sentiment_input(organization, touchpoint)
    return touchpoint


@transaction.atomic
def touchpoint_delete(
    *, organization: Organization, touchpoint: Touchpoint, membership: Membership | None
) -> None:
    _check(organization, touchpoint)
    _require_can_change(touchpoint, membership)
    _sentiment_input(organization, touchpoint, deleted=True)
    touchpoint.delete()


@transaction.atomic
def touchpoint_log_inbound_message(
    *,
    organization: Organization,
    inbound_id: int,
    account_id: int,
    contact_id: int | None,
    channel: str,
    body: str,
    received_at: datetime,
) -> Touchpoint | None:
    """An inbound message (outreach.signals.message_received) as a touchpoint, once per
    message (`source_key = inbound:<id>`). An account or contact that no longer exists in
    the organization logs nothing (the contact alone is dropped)."""
    account = Account.objects.filter(organization=organization, pk=account_id).first()
    if account is None:
        return None
    contact = (
        Contact.objects.filter(organization=organization, pk=contact_id, account=account).first()
        if contact_id
        else None
    )
    summary = (body or "").strip()[:SUMMARY_MAX_LENGTH] or _("(message without text)")
    channel = channel if channel in TouchpointChannel.values else TouchpointChannel.WHATSAPP
    now = timezone.now()
    return touchpoint_log(
        organization=organization,
        account=account,
        contact=contact,
        channel=channel,
        direction=TouchpointDirection.INBOUND,
        summary=summary,
        occurred_at=min(received_at, now) if received_at else now,
        source=TouchpointSource.WHATSAPP_REPLY
        if channel == TouchpointChannel.WHATSAPP
        else TouchpointSource.EMAIL_REPLY,
        source_key=f"inbound:{inbound_id}",
    )
