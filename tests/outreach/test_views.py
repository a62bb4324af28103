"""Pages: message log, outreach settings, message templates."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outreach.models import MessageStatus, MessageTemplate, OutreachSettings
from tenancy.models import AuditEvent, Role
from tests.outreach.factories import OutboundMessageFactory, OutreachSettingsFactory


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/messages/", {Role.CSM, Role.MANAGER, Role.ADMIN, Role.OWNER}),
        ("/settings/outreach/", {Role.ADMIN, Role.OWNER}),
        ("/settings/message-templates/", {Role.MANAGER, Role.ADMIN, Role.OWNER}),
        (
            "/settings/message-templates/followup.welcome/en/",
            {Role.MANAGER, Role.ADMIN, Role.OWNER},
        ),
    ],
)
def test_page_permissions_by_role(url, allowed, member, client_for):
    for role in Role.values:
        response = client_for(member(role)).get(url)
        assert response.status_code == (200 if role in allowed else 403), (role, url)


def _list_queries(client, url="/messages/"):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_message_list_query_count_does_not_grow(org, member, client_for):
    client = client_for(member(Role.CSM))
    OutboundMessageFactory.create_batch(5, organization=org)
    small = _list_queries(client)
    OutboundMessageFactory.create_batch(45, organization=org)
    large = _list_queries(client)
    assert small == large


def test_message_list_shows_status_reason_and_filters(org, member, client_for):
    OutboundMessageFactory(
        organization=org,
        status=MessageStatus.SKIPPED,
        skip_reason="opted_out",
        error_message="opted out",
        contact__name="Olga Optout",
    )
    OutboundMessageFactory(
        organization=org,
        status=MessageStatus.FAILED,
        error_code="131026",
        error_message="Message undeliverable",
        contact__name="Fabio Failed",
    )
    OutboundMessageFactory(
        organization=org, status=MessageStatus.DELIVERED, contact__name="Dora Delivered"
    )
    client = client_for(member(Role.CSM))

    everything = client.get("/messages/").content.decode()
    failed = client.get("/messages/?status=failed").content.decode()
    searched = client.get("/messages/?q=olga").content.decode()
    nothing = client.get("/messages/?q=nobody-at-all").content.decode()
    bad = client.get("/messages/?status=bogus&channel=fax&account=999999999999999999999")

    assert "3 messages" in everything
    assert "Message undeliverable" in everything
    assert "opted out" in everything
    assert "Fabio Failed" in failed
    assert "Dora Delivered" not in failed
    assert "Olga Optout" in searched
    assert "Fabio Failed" not in searched
    assert "No message matches" in nothing
    assert bad.status_code == 200


def test_message_list_empty_state(member, client_for):
    response = client_for(member(Role.CSM)).get("/messages/")
    assert "No message yet" in response.content.decode()


def test_settings_save_is_audited_and_secrets_are_write_only(org, member, client_for, in_scope):
    client = client_for(member(Role.ADMIN))
    data = {
        "whatsapp_enabled": "on",
        "whatsapp_base_url": "https://graph.facebook.com/v21.0",
        "whatsapp_phone_number_id": "1029384756",
        "whatsapp_access_token": "EAAG-secret-token",
        "whatsapp_app_secret": "app-secret-value",
        "whatsapp_verify_token": "verify-me",
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "08:00",
        "selling_words_pt_br": "pacote turbo",
        "selling_words_en": "",
    }
    saved = client.post("/settings/outreach/", data)
    # Saving again with empty secrets keeps them
    client.post(
        "/settings/outreach/", {**data, "whatsapp_access_token": "", "whatsapp_app_secret": ""}
    )
    page = client.get("/settings/outreach/").content.decode()

    assert saved.status_code == 302
    with in_scope(org):
        row = OutreachSettings.objects.get()
        audit = AuditEvent.objects.filter(action="outreach.settings_updated").order_by("id").first()
    assert row.whatsapp_access_token == "EAAG-secret-token"
    assert row.whatsapp_app_secret == "app-secret-value"
    assert "EAAG-secret-token" not in page
    assert "app-secret-value" not in page
    assert f"/webhooks/whatsapp/{row.webhook_token}/" in page
    assert audit.after["whatsapp_access_token"] == "changed"
    assert "EAAG-secret-token" not in str(audit.after)


def test_settings_refuse_half_quiet_hours_and_whatsapp_without_token(member, client_for):
    client = client_for(member(Role.ADMIN))
    response = client.post(
        "/settings/outreach/",
        {
            "whatsapp_enabled": "on",
            "whatsapp_base_url": "https://graph.facebook.com/v21.0",
            "quiet_hours_start": "21:00",
        },
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "Give both the start and the end of the quiet hours, or neither." in text


def test_template_page_shows_default_and_preview(member, client_for):
    response = client_for(member(Role.MANAGER)).get(
        "/settings/message-templates/followup.welcome/pt-br/"
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "Olá, Ana Souza! Aqui é Bruno Lima, da Jornada." in text


def test_template_page_refuses_selling_words_and_keeps_the_input(org, member, client_for, in_scope):
    client = client_for(member(Role.MANAGER))
    response = client.post(
        "/settings/message-templates/followup.welcome/en/",
        {"action": "save", "subject": "Welcome", "body": "Hi {contact_name}, get 20% off!"},
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "A follow-up message must not sell: remove “20%”." in text
    assert "Hi {contact_name}, get 20% off!" in text
    with in_scope(org):
        assert MessageTemplate.objects.count() == 0


def test_template_page_saves_and_resets(org, member, client_for, in_scope):
    client = client_for(member(Role.MANAGER))
    url = "/settings/message-templates/followup.welcome/en/"
    saved = client.post(url, {"action": "save", "subject": "Hello", "body": "Hi {contact_name}."})
    with in_scope(org):
        assert MessageTemplate.objects.get().body == "Hi {contact_name}."
    reset = client.post(url, {"action": "reset"})
    with in_scope(org):
        assert MessageTemplate.objects.count() == 0
    assert saved.status_code == 302
    assert reset.status_code == 302


@pytest.mark.parametrize("path", ["nope.key/en/", "followup.welcome/fr/", "x/pt-br/"])
def test_unknown_template_or_language_is_404(path, member, client_for):
    assert (
        client_for(member(Role.MANAGER)).get(f"/settings/message-templates/{path}").status_code
        == 404
    )


def test_template_edit_of_another_organization_is_not_visible(org, other_org, member, client_for):
    from tests.outreach.factories import MessageTemplateFactory

    MessageTemplateFactory(
        organization=other_org, key="custom.secret", body="Other org secret {contact_name}"
    )
    response = client_for(member(Role.MANAGER)).get("/settings/message-templates/custom.secret/en/")
    assert response.status_code == 404


def test_settings_of_other_org_do_not_leak(org, other_org, member, client_for):
    OutreachSettingsFactory(organization=other_org, whatsapp_phone_number_id="999000999")
    response = client_for(member(Role.ADMIN)).get("/settings/outreach/")
    assert "999000999" not in response.content.decode()
