"""Reads of the outreach app.

`outreach_settings_get_by_webhook_token_unscoped` is the app's only unscoped read: the public
webhook URL's token decides the organization, and the caller enters its scope right after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Contact
from outreach.models import (
    InboundMessage,
    MessageStatus,
    MessageTemplate,
    OutboundMessage,
    OutreachSettings,
)
from outreach.templating import DEFAULT_TEMPLATES, KEY_VARIABLES, LOCALES
from tenancy.models import Organization

WHATSAPP_WINDOW = timedelta(hours=24)


def outreach_settings_get(*, organization: Organization) -> OutreachSettings:
    """The organization's settings row, or an unsaved one with the defaults."""
    found = OutreachSettings.objects.filter(organization=organization).first()
    return found or OutreachSettings(organization=organization)


def outreach_settings_get_by_webhook_token_unscoped(*, token: str) -> OutreachSettings | None:
    """Find the settings whose webhook URL carries `token` (reason: public provider webhook)."""
    if not token or len(token) > 64:
        return None
    return (
        # Audited unscoped read: the webhook URL's token decides the organization; the
        # middleware's process_view enters that organization's scope right after.
        OutreachSettings.objects.with_scopes_disabled()
        .select_related("organization")
        .filter(webhook_token=token)
        .first()
    )


@dataclass(frozen=True)
class ResolvedTemplate:
    key: str
    locale: str
    subject: str
    body: str
    whatsapp_template_name: str
    whatsapp_template_language: str
    is_default: bool


def message_template_resolve(
    *, organization: Organization, key: str, locale: str
) -> ResolvedTemplate:
    """The wording for `key`: the contact's language first, then the organization's; the
    organization's own row before the default in code. Unknown key → ValidationError."""
    locales = [loc for loc in (locale, organization.locale) if loc in LOCALES]
    rows = {
        row.locale: row
        for row in MessageTemplate.objects.filter(
            organization=organization, key=key, locale__in=locales
        )
    }
    for candidate in locales:
        row = rows.get(candidate)
        if row is not None:
            return ResolvedTemplate(
                key=key,
                locale=candidate,
                subject=row.subject,
                body=row.body,
                whatsapp_template_name=row.whatsapp_template_name,
                whatsapp_template_language=row.whatsapp_template_language,
                is_default=False,
            )
        default = DEFAULT_TEMPLATES.get((key, candidate))
        if default is not None:
            return ResolvedTemplate(
                key=key,
                locale=candidate,
                subject=default.subject,
                body=default.body,
                whatsapp_template_name="",
                whatsapp_template_language="",
                is_default=True,
            )
    raise ValidationError(
        _("There is no message template “%(key)s”.") % {"key": key}, code="unknown_template"
    )


@dataclass(frozen=True)
class TemplateRow:
    key: str
    locale: str
    subject: str
    template: MessageTemplate | None

    @property
    def is_default(self) -> bool:
        return self.template is None


def message_template_rows(*, organization: Organization) -> list[TemplateRow]:
    """Every known key and language (defaults in code) plus the organization's own keys."""
    saved = {
        (row.key, row.locale): row
        for row in MessageTemplate.objects.filter(organization=organization).order_by(
            "key", "locale"
        )
    }
    keys = sorted({key for key, _locale in saved} | set(KEY_VARIABLES))
    rows = []
    for key in keys:
        for locale in LOCALES:
            template = saved.get((key, locale))
            default = DEFAULT_TEMPLATES.get((key, locale))
            if template is None and default is None:
                continue
            subject = template.subject if template else default.subject if default else ""
            rows.append(TemplateRow(key=key, locale=locale, subject=subject, template=template))
    return rows


def whatsapp_window_open(*, organization: Organization, contact: Contact, now=None) -> bool:
    """True when the contact wrote to us in the last 24 hours (WhatsApp's customer-service
    window: free text is allowed; otherwise only approved templates)."""
    now = now or timezone.now()
    match = Q(contact=contact)
    if contact.phone:
        match |= Q(from_address=contact.phone.lstrip("+"))
    return InboundMessage.objects.filter(
        match, organization=organization, received_at__gte=now - WHATSAPP_WINDOW
    ).exists()


@dataclass(frozen=True)
class MessageFilters:
    status: str = ""
    channel: str = ""
    account_id: int | None = None
    search: str = ""


def message_list(*, organization: Organization, filters: MessageFilters) -> QuerySet:
    queryset = (
        OutboundMessage.objects.filter(organization=organization)
        .select_related("contact", "account")
        .order_by("-id")
    )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.account_id is not None:
        queryset = queryset.filter(account_id=filters.account_id)
    if filters.search:
        term = filters.search.strip()[:100]
        queryset = queryset.filter(
            Q(contact__name__icontains=term)
            | Q(contact__email__icontains=term)
            | Q(to_address__icontains=term)
        )
    return queryset


def message_status_counts(*, organization: Organization) -> dict[str, int]:
    from django.db.models import Count

    rows = (
        OutboundMessage.objects.filter(organization=organization)
        .values("status")
        .annotate(total=Count("id"))
        .order_by()
    )
    counts = dict.fromkeys(MessageStatus.values, 0)
    for row in rows:
        counts[row["status"]] = row["total"]
    return counts
