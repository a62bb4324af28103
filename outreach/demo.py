"""Demo outreach data: the welcome follow-up of recently live accounts, in every state.

Idempotent: skipped when the organization already has demo messages (source `demo`).
Messages went through the console backend (nothing was sent anywhere): the log shows read,
delivered, sent, failed and skipped rows, with the reasons a CSM would see.
"""

from __future__ import annotations

import random
from datetime import time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Consent, Contact
from outreach.models import (
    Backend,
    Channel,
    MessageStatus,
    OutboundMessage,
    OutreachSettings,
    SkipReason,
)
from outreach.services.queue import _render_body
from outreach.templating import DEFAULT_TEMPLATES, template_render
from tenancy.models import Organization

MESSAGES = 24
BENEFITS = {
    "pt-br": "- Implantação assistida\n- Suporte prioritário em horário comercial\n- Treinamento",
    "en": "- Guided implementation\n- Priority support in business hours\n- Team training",
}


def demo_outreach_seed(*, organization: Organization) -> int:
    if OutboundMessage.objects.filter(organization=organization, source="demo").exists():
        return 0
    rng = random.Random(f"{organization.slug}-outreach")  # noqa: S311 (demo data)
    now = timezone.now()
    contacts = list(
        Contact.objects.filter(
            organization=organization,
            is_primary=True,
            account__go_live_date__isnull=False,
        )
        .select_related("account__owner__user")
        .order_by("-account__go_live_date", "id")[:MESSAGES]
    )
    rows = []
    for index, contact in enumerate(contacts):
        account: Account = contact.account
        locale = contact.locale if contact.locale in ("pt-br", "en") else organization.locale
        template = DEFAULT_TEMPLATES[("followup.welcome", locale)]
        owner = account.owner.user.display_name if account.owner else organization.name
        context = {
            "contact_name": contact.name.split()[0],
            "account_name": account.name,
            "csm_name": owner,
            "organization_name": organization.name,
            "benefits": BENEFITS[locale],
            "followup_days": "7",
        }
        created = now - timedelta(days=index % 12, hours=rng.randint(1, 9))
        row = OutboundMessage(
            organization=organization,
            account=account,
            contact=contact,
            template_key="followup.welcome",
            locale=locale,
            body=_render_body(template.body, context),
            dedupe_key=f"demo:followup:{account.id}",
            source="demo",
            created_at=created,
            next_attempt_at=created,
        )
        if contact.whatsapp_consent == Consent.OPTED_IN and contact.phone:
            row.channel, row.to_address = Channel.WHATSAPP, contact.phone
        elif contact.email_consent == Consent.OPTED_IN and contact.email:
            row.channel, row.to_address = Channel.EMAIL, contact.email
            row.subject = template_render(text=template.subject, context=context)
        elif Consent.OPTED_OUT in (contact.whatsapp_consent, contact.email_consent):
            row.status, row.skip_reason = MessageStatus.SKIPPED, SkipReason.OPTED_OUT
            row.error_message = str(SkipReason.OPTED_OUT.label)
        else:
            row.status, row.skip_reason = MessageStatus.SKIPPED, SkipReason.NO_CONSENT
            row.error_message = str(SkipReason.NO_CONSENT.label)
        if row.channel:
            row.backend = Backend.CONSOLE
            row.attempts = 1
            row.provider_message_id = f"console-demo-{account.id}"
            row.sent_at = created + timedelta(seconds=2)
            row.status = rng.choice(
                [
                    MessageStatus.READ,
                    MessageStatus.READ,
                    MessageStatus.DELIVERED,
                    MessageStatus.SENT,
                ]
            )
            if row.status in (MessageStatus.DELIVERED, MessageStatus.READ):
                row.delivered_at = created + timedelta(seconds=5)
            if row.status == MessageStatus.READ:
                row.read_at = created + timedelta(minutes=rng.randint(3, 240))
            if index == 3:
                row.status, row.sent_at, row.delivered_at, row.read_at = (
                    MessageStatus.FAILED,
                    None,
                    None,
                    None,
                )
                row.failed_at = created + timedelta(seconds=2)
                row.error_code = "131026"
                row.error_message = "Message undeliverable"
        rows.append(row)
    with transaction.atomic():
        OutboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
        if not OutreachSettings.objects.filter(organization=organization).exists():
            # Placeholder credentials so WhatsApp is "configured" and the console backend
            # shows WhatsApp messages; with OUTREACH_DELIVERY=live Meta refuses them (visible
            # as failed), nothing reaches anyone.
            OutreachSettings.objects.create(
                organization=organization,
                whatsapp_enabled=True,
                whatsapp_phone_number_id="demo-phone-number-id",
                whatsapp_access_token="demo-placeholder-token",  # noqa: S106
                whatsapp_verify_token="demo-verify-token",  # noqa: S106
                quiet_hours_start=time(21, 0),
                quiet_hours_end=time(8, 0),
            )
    return len(rows)
