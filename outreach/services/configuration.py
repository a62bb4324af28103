"""Writes of the organization's outreach configuration: channel settings and templates.

Secrets (access token, app secret, verify token) are write-only: an empty value keeps the
stored one, and the audit trail records only that a secret changed, never its value.
"""

from __future__ import annotations

from datetime import time

from django.db import transaction

from outreach.models import MessageTemplate, OutreachSettings, webhook_token_new
from outreach.selectors import outreach_settings_get
from tenancy.models import Organization, User
from tenancy.services import _ensure_same_organization, audit_record

SECRET_FIELDS = ("whatsapp_access_token", "whatsapp_app_secret", "whatsapp_verify_token")
PLAIN_FIELDS = (
    "whatsapp_enabled",
    "whatsapp_base_url",
    "whatsapp_phone_number_id",
    "quiet_hours_start",
    "quiet_hours_end",
    "selling_words_pt_br",
    "selling_words_en",
)


def _snapshot(row: OutreachSettings) -> dict:
    data = {}
    for name in PLAIN_FIELDS:
        value = getattr(row, name)
        data[name] = value.isoformat(timespec="minutes") if isinstance(value, time) else value
    for name in SECRET_FIELDS:
        data[name] = "set" if getattr(row, name) else ""
    return data


def outreach_settings_update(
    *, organization: Organization, actor: User | None, **fields
) -> OutreachSettings:
    """Save the channel settings; `fields` are PLAIN_FIELDS and SECRET_FIELDS (an empty
    secret keeps the stored value; pass `clear_<field>=True` to erase one)."""
    unknown = (
        set(fields)
        - set(PLAIN_FIELDS)
        - set(SECRET_FIELDS)
        - {f"clear_{name}" for name in SECRET_FIELDS}
    )
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    with transaction.atomic():
        row = outreach_settings_get(organization=organization)
        if row.pk is not None:
            row = OutreachSettings.objects.select_for_update().get(pk=row.pk)
        before = _snapshot(row) if row.pk is not None else {}
        for name in PLAIN_FIELDS:
            if name in fields:
                setattr(row, name, fields[name])
        changed_secrets = []
        for name in SECRET_FIELDS:
            if fields.get(f"clear_{name}"):
                if getattr(row, name):
                    changed_secrets.append(name)
                setattr(row, name, "")
            elif fields.get(name):
                if fields[name] != getattr(row, name):
                    changed_secrets.append(name)
                setattr(row, name, fields[name])
        row.full_clean(exclude=["organization"])
        row.save()
        after = _snapshot(row)
        for name in changed_secrets:
            after[name] = "changed"
        audit_record(
            organization=organization,
            actor=actor,
            action="outreach.settings_updated",
            target=row,
            before=before,
            after=after,
        )
    return row


def outreach_webhook_token_rotate(
    *, organization: Organization, actor: User | None
) -> OutreachSettings:
    """A new webhook URL (the old one stops answering at once)."""
    with transaction.atomic():
        row = outreach_settings_get(organization=organization)
        row.webhook_token = webhook_token_new()
        row.save()
        audit_record(
            organization=organization,
            actor=actor,
            action="outreach.webhook_url_rotated",
            target=row,
        )
    return row


def message_template_save(
    *,
    organization: Organization,
    actor: User | None,
    key: str,
    locale: str,
    subject: str,
    body: str,
    whatsapp_template_name: str = "",
    whatsapp_template_language: str = "",
) -> MessageTemplate:
    """Create or replace the organization's wording for (key, locale). Validation (variables,
    the no-selling guard for `followup.*`) raises ValidationError and writes nothing."""
    with transaction.atomic():
        template = (
            MessageTemplate.objects.select_for_update()
            .filter(organization=organization, key=key, locale=locale)
            .first()
        ) or MessageTemplate(organization=organization, key=key, locale=locale)
        before = {"subject": template.subject, "body": template.body} if template.pk else {}
        template.subject = subject
        template.body = body
        template.whatsapp_template_name = whatsapp_template_name
        template.whatsapp_template_language = whatsapp_template_language
        template.updated_by = actor if actor is not None and actor.is_authenticated else None
        template.full_clean(validate_unique=False)
        template.save()
        audit_record(
            organization=organization,
            actor=actor,
            action="outreach.template_saved",
            target=template,
            before=before,
            after={"subject": template.subject, "body": template.body},
        )
    return template


def message_template_reset(
    *, organization: Organization, actor: User | None, template: MessageTemplate
) -> None:
    """Delete the organization's wording: the default in code applies again."""
    _ensure_same_organization(organization, template)
    with transaction.atomic():
        audit_record(
            organization=organization,
            actor=actor,
            action="outreach.template_reset",
            target=template,
            before={"subject": template.subject, "body": template.body},
        )
        template.delete()
