from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Consent
from outreach.models import Channel, MessageStatus, OutboundMessage, SkipReason
from outreach.services import message_queue
from tests.accounts.factories import ContactFactory
from tests.outreach.factories import MessageTemplateFactory, OutreachSettingsFactory

CONTEXT = {
    "contact_name": "Ana",
    "account_name": "Acme Ltda",
    "csm_name": "Bruno",
    "organization_name": "Jornada",
    "benefits": "- 20 seats\n- Priority support",
    "followup_days": 7,
}


def _queue(org, contact, key="followup:1", **kwargs):
    return message_queue(
        organization=org,
        contact=contact,
        template_key=kwargs.pop("template_key", "followup.welcome"),
        context=kwargs.pop("context", CONTEXT),
        dedupe_key=key,
        source="followup",
        **kwargs,
    )


@pytest.fixture
def whatsapp_org(org):
    OutreachSettingsFactory(organization=org)
    return org


def test_whatsapp_is_chosen_when_opted_in_with_valid_phone_and_configured(whatsapp_org, in_scope):
    contact = ContactFactory(
        account__organization=whatsapp_org,
        whatsapp_consent=Consent.OPTED_IN,
        email_consent=Consent.OPTED_IN,
        phone="+5511987654321",
        locale="pt-br",
    )
    with in_scope(whatsapp_org):
        message = _queue(whatsapp_org, contact)

    assert message.status == MessageStatus.QUEUED
    assert message.channel == Channel.WHATSAPP
    assert message.to_address == "+5511987654321"
    assert message.locale == "pt-br"
    assert message.body.startswith("Olá, Ana! Aqui é Bruno, da Jornada.")
    assert "- 20 seats\n- Priority support" in message.body
    assert message.account_id == contact.account_id
    assert message.template_params == [
        "Ana",
        "Bruno",
        "Jornada",
        "Acme Ltda",
        "- 20 seats\n- Priority support",
    ]


def test_email_when_whatsapp_is_not_configured(org, in_scope):
    contact = ContactFactory(
        account__organization=org,
        whatsapp_consent=Consent.OPTED_IN,
        email_consent=Consent.OPTED_IN,
        email="ana@customer.example",
        locale="en",
    )
    with in_scope(org):
        message = _queue(org, contact)

    assert message.channel == Channel.EMAIL
    assert message.to_address == "ana@customer.example"
    assert message.subject == "Welcome to Jornada, Ana!"
    assert message.body.startswith("Hi Ana, this is Bruno from Jornada.")


def test_opted_out_contact_is_skipped_and_recorded(whatsapp_org, in_scope):
    contact = ContactFactory(
        account__organization=whatsapp_org,
        whatsapp_consent=Consent.OPTED_OUT,
        email_consent=Consent.OPTED_OUT,
    )
    with in_scope(whatsapp_org):
        message = _queue(whatsapp_org, contact)

    assert message.status == MessageStatus.SKIPPED
    assert message.skip_reason == SkipReason.OPTED_OUT
    assert message.error_message == "opted out"
    assert message.channel == ""


def test_missing_consent_is_skipped_with_reason(whatsapp_org, in_scope):
    contact = ContactFactory(account__organization=whatsapp_org)
    with in_scope(whatsapp_org):
        message = _queue(whatsapp_org, contact)

    assert message.status == MessageStatus.SKIPPED
    assert message.skip_reason == SkipReason.NO_CONSENT
    assert message.error_message == "no consent on any channel"


def test_invalid_phone_falls_back_to_email(whatsapp_org, in_scope):
    contact = ContactFactory(
        account__organization=whatsapp_org,
        whatsapp_consent=Consent.OPTED_IN,
        email_consent=Consent.OPTED_IN,
        phone="11 9876",
    )
    with in_scope(whatsapp_org):
        message = _queue(whatsapp_org, contact)

    assert message.channel == Channel.EMAIL


def test_invalid_phone_without_email_consent_is_skipped_naming_the_phone(whatsapp_org, in_scope):
    contact = ContactFactory(
        account__organization=whatsapp_org, whatsapp_consent=Consent.OPTED_IN, phone="12345"
    )
    with in_scope(whatsapp_org):
        message = _queue(whatsapp_org, contact)

    assert message.status == MessageStatus.SKIPPED
    assert message.skip_reason == SkipReason.NO_CHANNEL
    assert message.error_message == "WhatsApp: the phone “12345” is not valid E.164"


def test_queue_twice_returns_the_same_row(org, in_scope):
    contact = ContactFactory(account__organization=org, email_consent=Consent.OPTED_IN)
    with in_scope(org):
        first = _queue(org, contact, key="followup:42")
        second = _queue(org, contact, key="followup:42")
        assert OutboundMessage.objects.filter(organization=org).count() == 1
    assert first.pk == second.pk


def test_missing_context_value_is_a_clear_error_and_nothing_is_written(org, in_scope):
    contact = ContactFactory(account__organization=org, email_consent=Consent.OPTED_IN)
    context = {k: v for k, v in CONTEXT.items() if k not in ("csm_name", "benefits")}
    with in_scope(org):
        with pytest.raises(ValidationError) as error:
            _queue(org, contact, context=context)
        assert OutboundMessage.objects.filter(organization=org).count() == 0
    assert error.value.code == "missing_context"
    assert error.value.messages == [
        "Missing values for the template “followup.welcome”: csm_name, benefits."
    ]


def test_unknown_template_key_is_refused(org, in_scope):
    contact = ContactFactory(account__organization=org, email_consent=Consent.OPTED_IN)
    with in_scope(org), pytest.raises(ValidationError) as error:
        _queue(org, contact, template_key="nope.nothing")
    assert error.value.code == "unknown_template"


def test_contact_of_another_organization_is_refused(org, other_org, in_scope):
    contact = ContactFactory(account__organization=other_org, email_consent=Consent.OPTED_IN)
    with in_scope(org), pytest.raises(PermissionDenied):
        _queue(org, contact)


def test_empty_benefits_drop_the_benefits_paragraph(org, in_scope):
    contact = ContactFactory(account__organization=org, email_consent=Consent.OPTED_IN, locale="en")
    with in_scope(org):
        message = _queue(org, contact, context={**CONTEXT, "benefits": ""})
    assert "contract includes" not in message.body
    assert message.body.endswith("I am here for you.")


def test_organization_template_overrides_default_in_contact_locale(org, in_scope):
    MessageTemplateFactory(organization=org, locale="en", body="Hey {contact_name}!")
    contact = ContactFactory(account__organization=org, email_consent=Consent.OPTED_IN, locale="en")
    with in_scope(org):
        message = _queue(org, contact)
    assert message.body == "Hey Ana!"


def test_quiet_hours_delay_the_send_to_the_end_of_the_window(org, in_scope, monkeypatch):
    OutreachSettingsFactory(
        organization=org, quiet_hours_start=time(21, 0), quiet_hours_end=time(8, 0)
    )
    contact = ContactFactory(account__organization=org, email_consent=Consent.OPTED_IN)
    # 23:30 in São Paulo (UTC-3) is 02:30 UTC the next day.
    now = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    with in_scope(org):
        message = _queue(org, contact)
    expected = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)  # 08:00 local
    assert message.not_before == expected
    assert message.next_attempt_at == expected
    assert message.status == MessageStatus.QUEUED
    assert expected - now == timedelta(hours=8, minutes=30)
