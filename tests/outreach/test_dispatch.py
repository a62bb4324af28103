"""The dispatcher and the WhatsApp backend against a local fake Cloud API."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import Consent
from outreach.models import Backend, Channel, MessageStatus, OutboundMessage
from outreach.services import (
    message_queue,
    outbound_message_claim,
    outbound_messages_dispatch,
    outbound_messages_expire_leases,
)
from outreach.services.dispatch import LEASE
from tests.accounts.factories import ContactFactory
from tests.outreach.factories import (
    InboundMessageFactory,
    MessageTemplateFactory,
    OutreachSettingsFactory,
)
from tests.outreach.test_queue import CONTEXT


@pytest.fixture
def whatsapp(org, fake_whatsapp, live_delivery):
    OutreachSettingsFactory(organization=org, whatsapp_base_url=fake_whatsapp.base_url)
    return fake_whatsapp


def _contact(org, **kwargs):
    defaults = {
        "account__organization": org,
        "whatsapp_consent": Consent.OPTED_IN,
        "phone": "+5511987654321",
        "locale": "pt-br",
        "name": "Ana",
    }
    return ContactFactory(**{**defaults, **kwargs})


def _queue(org, contact, key="followup:1"):
    return message_queue(
        organization=org,
        contact=contact,
        template_key="followup.welcome",
        context=CONTEXT,
        dedupe_key=key,
        source="followup",
    )


def _message(org, in_scope, message_id):
    with in_scope(org):
        return OutboundMessage.objects.get(pk=message_id)


def test_inside_the_window_free_text_is_posted_with_the_expected_shape(org, whatsapp, in_scope):
    contact = _contact(org)
    InboundMessageFactory(contact=contact, received_at=timezone.now() - timedelta(hours=3))
    with in_scope(org):
        message = _queue(org, contact)
        outcome = outbound_messages_dispatch(organization=org)

    assert outcome.sent == 1
    [request] = whatsapp.requests
    assert request.path == "/v21.0/1029384756/messages"
    assert request.headers["Authorization"] == "Bearer test-access-token"
    assert request.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "5511987654321",
        "biz_opaque_callback_data": f"jornada:{org.id}:{message.id}",
        "type": "text",
        "text": {"preview_url": False, "body": message.body},
    }
    sent = _message(org, in_scope, message.id)
    assert sent.status == MessageStatus.SENT
    assert sent.backend == Backend.WHATSAPP
    assert sent.provider_message_id == "wamid.TEST1"
    assert sent.attempts == 1
    assert sent.lease_until is None


def test_outside_the_window_the_approved_template_is_sent(org, whatsapp, in_scope):
    MessageTemplateFactory(
        organization=org,
        locale="pt-br",
        subject="",
        body="Olá {contact_name}, aqui é {csm_name}.",
        whatsapp_template_name="boas_vindas",
        whatsapp_template_language="pt_BR",
    )
    contact = _contact(org)
    with in_scope(org):
        message = _queue(org, contact)
        outbound_messages_dispatch(organization=org)

    [request] = whatsapp.requests
    assert request.body["type"] == "template"
    assert request.body["template"] == {
        "name": "boas_vindas",
        "language": {"code": "pt_BR"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "Bruno"}],
            }
        ],
    }
    assert _message(org, in_scope, message.id).status == MessageStatus.SENT


def test_outside_the_window_without_template_the_send_is_refused_saying_why(
    org, whatsapp, in_scope
):
    contact = _contact(org)
    with in_scope(org):
        message = _queue(org, contact)
        outbound_messages_dispatch(organization=org)

    assert whatsapp.requests == []
    failed = _message(org, in_scope, message.id)
    assert failed.status == MessageStatus.FAILED
    assert failed.error_code == "outside_window"
    assert "has not written in the last 24 hours" in failed.error_message


def test_provider_400_is_final_with_the_provider_code_and_text(org, whatsapp, in_scope):
    contact = _contact(org)
    InboundMessageFactory(contact=contact)
    whatsapp.answer(
        400,
        {
            "error": {
                "message": "(#131030) Recipient phone number not in allowed list",
                "type": "OAuthException",
                "code": 131030,
                "error_data": {"details": "Recipient not in allowed list"},
            }
        },
    )
    with in_scope(org):
        message = _queue(org, contact)
        outbound_messages_dispatch(organization=org)
        outbound_messages_dispatch(organization=org)

    assert len(whatsapp.requests) == 1
    failed = _message(org, in_scope, message.id)
    assert failed.status == MessageStatus.FAILED
    assert failed.error_code == "131030"
    assert failed.error_message == (
        "(#131030) Recipient phone number not in allowed list (Recipient not in allowed list)"
    )


def test_500_then_success_retries_with_backoff(org, whatsapp, in_scope, monkeypatch):
    contact = _contact(org)
    InboundMessageFactory(contact=contact)
    whatsapp.answer(500, {"error": {"message": "Service temporarily unavailable", "code": 2}})
    start = timezone.now()
    with in_scope(org):
        message = _queue(org, contact)
        outbound_messages_dispatch(organization=org)
        waiting = OutboundMessage.objects.get(pk=message.pk)
        # Nothing is due before the backoff ends.
        outbound_messages_dispatch(organization=org)
        assert len(whatsapp.requests) == 1
        monkeypatch.setattr(
            "django.utils.timezone.now", lambda: start + timedelta(seconds=61, minutes=1)
        )
        outbound_messages_dispatch(organization=org)
        sent = OutboundMessage.objects.get(pk=message.pk)

    assert waiting.status == MessageStatus.QUEUED
    assert waiting.attempts == 1
    assert waiting.error_code == "2"
    assert waiting.error_message == "Service temporarily unavailable"
    assert timedelta(seconds=59) < waiting.next_attempt_at - start < timedelta(seconds=62)
    assert len(whatsapp.requests) == 2
    assert sent.status == MessageStatus.SENT
    assert sent.attempts == 2
    assert sent.provider_message_id == "wamid.TEST2"


def test_429_waits_for_retry_after(org, whatsapp, in_scope):
    contact = _contact(org)
    InboundMessageFactory(contact=contact)
    whatsapp.answer(
        429,
        {"error": {"message": "Rate limit hit", "code": 130429}},
        headers={"Retry-After": "300"},
    )
    start = timezone.now()
    with in_scope(org):
        message = _queue(org, contact)
        outbound_messages_dispatch(organization=org)
        waiting = OutboundMessage.objects.get(pk=message.pk)

    assert waiting.status == MessageStatus.QUEUED
    assert waiting.error_code == "130429"
    assert timedelta(seconds=299) < waiting.next_attempt_at - start < timedelta(seconds=302)


def test_transient_errors_give_up_after_max_attempts(org, whatsapp, in_scope, monkeypatch):
    contact = _contact(org)
    InboundMessageFactory(contact=contact)
    for _ in range(OutboundMessage.MAX_ATTEMPTS):
        whatsapp.answer(503, {"error": {"message": "Unavailable", "code": 1}})
    now = timezone.now()
    with in_scope(org):
        message = _queue(org, contact)
        for hour in range(OutboundMessage.MAX_ATTEMPTS + 2):
            moment = now + timedelta(hours=hour)
            monkeypatch.setattr("django.utils.timezone.now", lambda moment=moment: moment)
            outbound_messages_dispatch(organization=org)
        final = OutboundMessage.objects.get(pk=message.pk)

    assert len(whatsapp.requests) == OutboundMessage.MAX_ATTEMPTS
    assert final.status == MessageStatus.FAILED
    assert final.attempts == OutboundMessage.MAX_ATTEMPTS
    assert (
        final.error_message == f"Gave up after {OutboundMessage.MAX_ATTEMPTS} attempts: Unavailable"
    )


def test_timeout_is_outcome_unknown_and_never_resent(org, whatsapp, in_scope, monkeypatch):
    monkeypatch.setattr("outreach.channels.whatsapp.READ_TIMEOUT", 0.3)
    contact = _contact(org)
    InboundMessageFactory(contact=contact)
    whatsapp.answer(200, {"messages": [{"id": "wamid.LATE"}]}, delay=1.0)
    with in_scope(org):
        message = _queue(org, contact)
        outbound_messages_dispatch(organization=org)
        outbound_messages_dispatch(organization=org)
        failed = OutboundMessage.objects.get(pk=message.pk)

    assert len(whatsapp.requests) == 1
    assert failed.status == MessageStatus.FAILED
    assert failed.error_code == "outcome_unknown"


def test_connection_refused_is_retried(org, live_delivery, in_scope):
    OutreachSettingsFactory(organization=org, whatsapp_base_url="http://127.0.0.1:9/v21.0")
    contact = _contact(org)
    InboundMessageFactory(contact=contact)
    with in_scope(org):
        message = _queue(org, contact)
        outbound_messages_dispatch(organization=org)
        waiting = OutboundMessage.objects.get(pk=message.pk)

    assert waiting.status == MessageStatus.QUEUED
    assert waiting.error_code == "connection_refused"
    assert waiting.attempts == 1


def test_opted_out_contact_never_reaches_the_provider(org, whatsapp, in_scope):
    contact = _contact(org, whatsapp_consent=Consent.OPTED_OUT, email_consent=Consent.OPTED_OUT)
    with in_scope(org):
        message = _queue(org, contact)
        outcome = outbound_messages_dispatch(organization=org)
        stored = OutboundMessage.objects.get(pk=message.pk)

    assert whatsapp.requests == []
    assert outcome.sent == 0
    assert stored.status == MessageStatus.SKIPPED
    assert stored.skip_reason == "opted_out"


def test_queue_twice_and_dispatch_twice_send_once(org, whatsapp, in_scope):
    contact = _contact(org)
    InboundMessageFactory(contact=contact)
    with in_scope(org):
        _queue(org, contact, key="followup:7")
        _queue(org, contact, key="followup:7")
        outbound_messages_dispatch(organization=org)
        outbound_messages_dispatch(organization=org)
        count = OutboundMessage.objects.filter(organization=org).count()

    assert count == 1
    assert len(whatsapp.requests) == 1


def test_a_claimed_row_is_not_claimed_again(org, in_scope):
    contact = _contact(org, email_consent=Consent.OPTED_IN, whatsapp_consent=Consent.UNKNOWN)
    with in_scope(org):
        _queue(org, contact)
        first = outbound_message_claim(organization=org)
        second = outbound_message_claim(organization=org)

    assert first.status == MessageStatus.SENDING
    assert first.attempts == 1
    assert second is None


def test_killed_worker_row_is_failed_outcome_unknown_and_not_resent(org, whatsapp, in_scope):
    # Given a worker claimed the message and died before recording the provider's answer
    contact = _contact(org)
    InboundMessageFactory(contact=contact)
    with in_scope(org):
        message = _queue(org, contact)
        claimed = outbound_message_claim(organization=org)
        assert claimed.pk == message.pk
        # When its lease has expired and the dispatcher runs (twice)
        later = timezone.now() + LEASE + timedelta(seconds=1)
        expired = outbound_messages_expire_leases(organization=org, now=later)
        OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=later)
        outbound_messages_dispatch(organization=org)
        outbound_messages_dispatch(organization=org)
        final = OutboundMessage.objects.get(pk=message.pk)

    # Then it is not sent again: it is failed "outcome unknown", visible as such
    assert expired == 1
    assert whatsapp.requests == []
    assert final.status == MessageStatus.FAILED
    assert final.error_code == "outcome_unknown"
    assert final.attempts == 1


def test_quiet_hours_hold_due_messages_until_the_window_ends(org, in_scope, monkeypatch):
    OutreachSettingsFactory(
        organization=org,
        whatsapp_enabled=False,
        quiet_hours_start=time(21, 0),
        quiet_hours_end=time(8, 0),
    )
    contact = _contact(org, email_consent=Consent.OPTED_IN)
    queued_at = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)  # 15:00 in São Paulo
    monkeypatch.setattr("django.utils.timezone.now", lambda: queued_at)
    with in_scope(org):
        message = _queue(org, contact)
        # The first attempt happens at 22:00 local (01:00 UTC): quiet.
        quiet = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
        monkeypatch.setattr("django.utils.timezone.now", lambda: quiet)
        outbound_messages_dispatch(organization=org)
        held = OutboundMessage.objects.get(pk=message.pk)
        morning = datetime(2026, 3, 11, 11, 0, tzinfo=UTC)
        monkeypatch.setattr("django.utils.timezone.now", lambda: morning)
        outbound_messages_dispatch(organization=org)
        sent = OutboundMessage.objects.get(pk=message.pk)

    assert held.status == MessageStatus.QUEUED
    assert held.next_attempt_at == morning
    assert held.attempts == 0
    assert sent.status == MessageStatus.SENT
    assert sent.channel == Channel.EMAIL
    assert sent.backend == Backend.CONSOLE


def test_email_goes_through_django_email_when_live(org, live_delivery, in_scope, mailoutbox):
    contact = _contact(
        org,
        whatsapp_consent=Consent.UNKNOWN,
        email_consent=Consent.OPTED_IN,
        email="ana@customer.example",
        locale="en",
    )
    with in_scope(org):
        message = _queue(org, contact)
        outbound_messages_dispatch(organization=org)
        sent = OutboundMessage.objects.get(pk=message.pk)

    assert sent.status == MessageStatus.SENT
    assert sent.backend == Backend.EMAIL
    [email] = mailoutbox
    assert email.to == ["ana@customer.example"]
    assert email.subject == "Welcome to Jornada, Ana!"
    assert email.body == sent.body
