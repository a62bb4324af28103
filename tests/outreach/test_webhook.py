"""The public WhatsApp webhook: handshake, signature, payload shape, statuses, inbound."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from outreach import signals
from outreach.models import InboundMessage, MessageStatus, OutboundMessage
from tests.accounts.factories import ContactFactory
from tests.outreach.factories import OutboundMessageFactory, OutreachSettingsFactory

SECRET = "test-app-secret"


@pytest.fixture
def settings_a(org):
    return OutreachSettingsFactory(organization=org)


def _url(row):
    return f"/webhooks/whatsapp/{row.webhook_token}/"


def _post(client, row, payload, *, secret=SECRET, raw=None, signature=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature else {}
    return client.post(_url(row), data=body, content_type="application/json", **headers)


def _statuses(*items):
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "WABA", "changes": [{"field": "messages", "value": {"statuses": list(items)}}]}
        ],
    }


def _status(wamid, status, ts=1767000000, **extra):
    return {
        "id": wamid,
        "status": status,
        "timestamp": str(ts),
        "recipient_id": "5511987654321",
        **extra,
    }


def _inbound(wamid="wamid.IN1", phone="5511987654321", body="Oi, tudo certo por aqui!"):
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "contacts": [{"profile": {"name": "Ana"}, "wa_id": phone}],
                            "messages": [
                                {
                                    "from": phone,
                                    "id": wamid,
                                    "timestamp": "1767000000",
                                    "type": "text",
                                    "text": {"body": body},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def test_handshake_answers_the_challenge(client, settings_a):
    response = client.get(
        _url(settings_a),
        {
            "hub.mode": "subscribe",
            "hub.verify_token": "test-verify-token",
            "hub.challenge": "1158201444",
        },
    )
    assert response.status_code == 200
    assert response.content == b"1158201444"


def test_handshake_with_a_wrong_verify_token_is_403(client, settings_a):
    response = client.get(
        _url(settings_a),
        {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "verification_failed"


def test_unknown_token_is_404(client, db):
    response = client.post(
        "/webhooks/whatsapp/not-a-token/", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "md5=abc", "sha256=zz"],
    ids=["missing", "wrong", "scheme", "garbage"],
)
def test_bad_signature_is_403_and_nothing_is_stored(client, settings_a, org, in_scope, signature):
    ContactFactory(account__organization=org, phone="+5511987654321")
    response = _post(client, settings_a, _inbound(), signature=signature or "")

    assert response.status_code == 403
    assert response.json()["code"] == "invalid_signature"
    with in_scope(org):
        assert InboundMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b"[]", "invalid_payload"),
        (b'{"object": "page"}', "invalid_payload"),
        (b'{"object": "whatsapp_business_account", "entry": {}}', "invalid_payload"),
        (
            b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"value": 3}]}]}',
            "invalid_payload",
        ),
    ],
)
def test_malformed_body_is_400_with_a_clear_error(client, settings_a, raw, code):
    response = _post(client, settings_a, None, raw=raw)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_a_bad_item_writes_nothing_from_the_same_body(client, settings_a, org, in_scope):
    message = OutboundMessageFactory(
        organization=org, status=MessageStatus.SENT, provider_message_id="wamid.A"
    )
    payload = _statuses(_status("wamid.A", "delivered"), {"id": "wamid.B", "status": "read"})

    response = _post(client, settings_a, payload)

    assert response.status_code == 400
    assert (
        response.json()["detail"]
        == "entry[0].changes[0].value.statuses[1].timestamp must be a non-empty string"
    )
    with in_scope(org):
        assert OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.SENT


def test_statuses_move_forward_only(client, settings_a, org, in_scope):
    message = OutboundMessageFactory(
        organization=org, status=MessageStatus.SENT, provider_message_id="wamid.A"
    )
    _post(client, settings_a, _statuses(_status("wamid.A", "delivered", ts=1767000010)))
    _post(client, settings_a, _statuses(_status("wamid.A", "read", ts=1767000020)))
    late = _post(client, settings_a, _statuses(_status("wamid.A", "delivered", ts=1767000030)))

    assert late.json() == {"statuses": 0, "messages": 0}
    with in_scope(org):
        final = OutboundMessage.objects.get(pk=message.pk)
    assert final.status == MessageStatus.READ
    assert final.delivered_at == datetime.fromtimestamp(1767000010, tz=UTC)
    assert final.read_at == datetime.fromtimestamp(1767000020, tz=UTC)


def test_failed_status_records_the_provider_error(client, settings_a, org, in_scope):
    message = OutboundMessageFactory(
        organization=org, status=MessageStatus.SENT, provider_message_id="wamid.A"
    )
    payload = _statuses(
        _status("wamid.A", "failed", errors=[{"code": 131026, "title": "Message undeliverable"}])
    )
    _post(client, settings_a, payload)

    with in_scope(org):
        final = OutboundMessage.objects.get(pk=message.pk)
    assert final.status == MessageStatus.FAILED
    assert final.error_code == "131026"
    assert final.error_message == "Message undeliverable"


def test_outcome_unknown_is_reconciled_through_the_callback_data(client, settings_a, org, in_scope):
    message = OutboundMessageFactory(
        organization=org,
        status=MessageStatus.FAILED,
        error_code="outcome_unknown",
        provider_message_id="",
    )
    payload = _statuses(
        _status("wamid.Z", "delivered", biz_opaque_callback_data=f"jornada:{org.id}:{message.id}")
    )
    _post(client, settings_a, payload)

    with in_scope(org):
        final = OutboundMessage.objects.get(pk=message.pk)
    assert final.status == MessageStatus.DELIVERED
    assert final.provider_message_id == "wamid.Z"
    assert final.error_code == ""


def test_inbound_is_stored_once_and_announced_after_commit(
    client, settings_a, org, in_scope, django_capture_on_commit_callbacks
):
    contact = ContactFactory(account__organization=org, phone="+5511987654321")
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    signals.message_received.connect(receiver)
    try:
        # In production the callbacks run when the view's transaction commits, inside the
        # scope the middleware entered; the test's outer transaction defers them, so re-enter it.
        with in_scope(org), django_capture_on_commit_callbacks(execute=True):
            first = _post(client, settings_a, _inbound())
        with in_scope(org), django_capture_on_commit_callbacks(execute=True):
            again = _post(client, settings_a, _inbound())
    finally:
        signals.message_received.disconnect(receiver)

    assert first.json() == {"statuses": 0, "messages": 1}
    assert again.json() == {"statuses": 0, "messages": 0}
    with in_scope(org):
        [inbound] = InboundMessage.objects.all()
    assert inbound.contact_id == contact.id
    assert inbound.account_id == contact.account_id
    assert inbound.body == "Oi, tudo certo por aqui!"
    assert len(received) == 1
    assert received[0]["inbound_id"] == inbound.id
    assert received[0]["contact_id"] == contact.id
    assert received[0]["account_id"] == contact.account_id
    assert received[0]["organization"] == org
    assert received[0]["body"] == "Oi, tudo certo por aqui!"


def test_other_organization_cannot_touch_our_messages(client, settings_a, org, other_org, in_scope):
    # Given A's message, and B's own webhook URL and secret
    settings_b = OutreachSettingsFactory(organization=other_org, whatsapp_app_secret="secret-b")
    message = OutboundMessageFactory(
        organization=org, status=MessageStatus.SENT, provider_message_id="wamid.A"
    )
    contact_a = ContactFactory(account__organization=org, phone="+5511987654321")
    status = _statuses(
        _status("wamid.A", "read", biz_opaque_callback_data=f"jornada:{org.id}:{message.id}"),
        _status("wamid.X", "read", biz_opaque_callback_data=f"jornada:{other_org.id}:{message.id}"),
    )

    # When B posts A's provider id and A's callback data to B's URL with B's secret
    by_b = _post(client, settings_b, status, secret="secret-b")
    inbound_b = _post(client, settings_b, _inbound(), secret="secret-b")
    # And to A's URL signed with B's secret
    forged = _post(client, settings_a, status, secret="secret-b")

    # Then A's message is unchanged and the inbound message is B's, not tied to A's contact
    assert by_b.json() == {"statuses": 0, "messages": 0}
    assert inbound_b.json() == {"statuses": 0, "messages": 1}
    assert forged.status_code == 403
    with in_scope(org):
        assert OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.SENT
        assert InboundMessage.objects.filter(organization=org).count() == 0
    with in_scope(other_org):
        [inbound] = InboundMessage.objects.filter(organization=other_org)
    assert inbound.contact_id is None
    assert contact_a.id != inbound.contact_id
