"""Queueing a message: consent, channel choice, rendering, quiet hours (DESIGN.md, Outreach).

`message_queue` is what other apps call. It is idempotent on (organization, dedupe_key):
the unique constraint decides, so two concurrent callers still get one row. Everything that
can fail on bad input (unknown template, missing context values, a contact of another
organization) fails before anything is written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Consent, Contact
from accounts.validators import phone_normalize
from outreach import signals
from outreach.models import Channel, MessageStatus, OutboundMessage, OutreachSettings, SkipReason
from outreach.selectors import message_template_resolve, outreach_settings_get
from outreach.templating import LOCALES, VARIABLE, template_render, template_variables
from tenancy.jobs import enqueue_on_commit
from tenancy.models import Organization
from tenancy.services import _ensure_same_organization


def _phone_is_e164(phone: str) -> bool:
    if not phone or not phone.startswith("+"):
        return False
    try:
        return phone_normalize(phone) == phone
    except ValidationError:
        return False


def channel_choose(
    *, contact: Contact, outreach_settings: OutreachSettings
) -> tuple[str, str, str, str]:
    """(channel, to_address, skip_reason, explanation): WhatsApp when the contact opted in,
    the phone is valid E.164 and the organization configured WhatsApp; else email when the
    contact opted in and has an address; else skipped."""
    notes = []
    if contact.whatsapp_consent == Consent.OPTED_IN:
        if not _phone_is_e164(contact.phone):
            notes.append(
                _("WhatsApp: the phone “%(phone)s” is not valid E.164")
                % {"phone": contact.phone or "-"}
            )
        elif not outreach_settings.whatsapp_configured:
            notes.append(_("WhatsApp: not configured for this organization"))
        else:
            return Channel.WHATSAPP, contact.phone, "", ""
    if contact.email_consent == Consent.OPTED_IN:
        if contact.email:
            return Channel.EMAIL, contact.email, "", ""
        notes.append(_("email: the contact has no email address"))
    opted_out = Consent.OPTED_OUT in (contact.whatsapp_consent, contact.email_consent)
    if notes:
        reason = SkipReason.NO_CHANNEL
    elif opted_out:
        reason = SkipReason.OPTED_OUT
    else:
        reason = SkipReason.NO_CONSENT
    explanation = "; ".join(notes) or str(SkipReason(reason).label)
    return "", "", reason, explanation


def quiet_hours_end(*, organization: Organization, outreach_settings: OutreachSettings, now):
    """The end of the quiet window `now` falls in (organization's time zone), or None."""
    if not outreach_settings.has_quiet_hours:
        return None
    zone = ZoneInfo(organization.time_zone)
    local = now.astimezone(zone)
    start, end = outreach_settings.quiet_hours_start, outreach_settings.quiet_hours_end
    if start is None or end is None:
        return None
    moment = local.time()
    if start < end:
        if not (start <= moment < end):
            return None
        end_day = local.date()
    else:  # the window crosses midnight, e.g. 21:00-08:00
        if end <= moment < start:
            return None
        end_day = local.date() if moment < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)


def _render_body(text: str, context: dict[str, str]) -> str:
    """Render, dropping a paragraph whose variables all rendered empty (e.g. the benefits
    paragraph of a contract without listed benefits)."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        names = template_variables(paragraph)
        if names and all(not context.get(name, "x").strip() for name in names):
            continue
        paragraphs.append(template_render(text=paragraph, context=context))
    return "\n\n".join(paragraphs).strip()


def message_queue(
    *,
    organization: Organization,
    contact: Contact,
    template_key: str,
    context: dict,
    dedupe_key: str,
    source: str,
    account: Account | None = None,
) -> OutboundMessage:
    """Queue `template_key` for `contact` (see the module docstring). A second call with the
    same dedupe_key returns the first row. A contact that cannot be messaged gets a `skipped`
    row with the reason; an opted-out contact is never messaged."""
    _ensure_same_organization(organization, contact, account)
    if account is not None and contact.account_id != account.id:
        raise ValidationError(
            _("The contact does not belong to this account."), code="contact_not_in_account"
        )
    dedupe_key = (dedupe_key or "").strip()
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValidationError(
            _("A dedupe key of 1 to 200 characters is required."), code="invalid_dedupe_key"
        )
    existing = OutboundMessage.objects.filter(
        organization=organization, dedupe_key=dedupe_key
    ).first()
    if existing is not None:
        return existing

    outreach_settings = outreach_settings_get(organization=organization)
    locale = contact.locale if contact.locale in LOCALES else organization.locale
    template = message_template_resolve(organization=organization, key=template_key, locale=locale)
    values = {str(name): "" if value is None else str(value) for name, value in context.items()}
    missing = [
        name
        for name in dict.fromkeys(
            template_variables(template.subject) + template_variables(template.body)
        )
        if name not in values
    ]
    if missing:
        raise ValidationError(
            _("Missing values for the template “%(key)s”: %(names)s.")
            % {"key": template_key, "names": ", ".join(missing)},
            code="missing_context",
        )
    subject = template_render(text=template.subject, context=values)
    body = _render_body(template.body, values)
    params = [values[name] for name in (m.group(1) for m in VARIABLE.finditer(template.body))]

    channel, to_address, skip_reason, explanation = channel_choose(
        contact=contact, outreach_settings=outreach_settings
    )
    now = timezone.now()
    not_before = (
        quiet_hours_end(organization=organization, outreach_settings=outreach_settings, now=now)
        if channel
        else None
    )
    fields = {
        "organization": organization,
        "account_id": account.id if account is not None else contact.account_id,
        "contact": contact,
        "channel": channel,
        "status": MessageStatus.QUEUED if channel else MessageStatus.SKIPPED,
        "template_key": template_key,
        "locale": template.locale,
        "to_address": to_address,
        "subject": subject[:200] if channel != Channel.WHATSAPP else "",
        "body": body,
        "template_params": params,
        "whatsapp_template_name": template.whatsapp_template_name,
        "whatsapp_template_language": template.whatsapp_template_language,
        "dedupe_key": dedupe_key,
        "source": (source or "")[:40],
        "skip_reason": skip_reason,
        "error_message": explanation[:500],
        "not_before": not_before,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }
    with transaction.atomic():
        try:
            with transaction.atomic():
                message = OutboundMessage.objects.create(**fields)
        except IntegrityError:
            # A concurrent caller queued the same cause first: theirs is the message.
            return OutboundMessage.objects.get(organization=organization, dedupe_key=dedupe_key)
        if message.status == MessageStatus.SKIPPED:
            message_status_announce(organization=organization, message=message)
        elif not_before is None:
            from outreach.tasks import outbound_messages_dispatch_task

            enqueue_on_commit(outbound_messages_dispatch_task, organization_id=organization.id)
    return message


def message_status_announce(*, organization: Organization, message: OutboundMessage) -> None:
    """Send `message_status_changed` once the current transaction commits."""
    message_id, status = message.id, message.status
    transaction.on_commit(
        lambda: signals.message_status_changed.send(
            sender=OutboundMessage, organization=organization, message_id=message_id, status=status
        )
    )
