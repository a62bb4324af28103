"""API: messages (read-only) and message templates."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from outreach.models import Channel, MessageStatus
from tenancy.models import ApiKey, Role
from tests.outreach.factories import OutboundMessageFactory
from tests.tenancy.factories import ApiKeyFactory


def test_messages_list_filters_and_paginates(org, api_client_for):
    api = api_client_for(ApiKeyFactory(organization=org))
    message = OutboundMessageFactory(
        organization=org, status=MessageStatus.SENT, channel=Channel.WHATSAPP
    )
    OutboundMessageFactory(organization=org, status=MessageStatus.FAILED, channel=Channel.EMAIL)

    sent = api.get("/api/v1/messages/?status=sent").json()
    by_account = api.get(f"/api/v1/messages/?account={message.account_id}").json()
    page = api.get("/api/v1/messages/?page_size=1").json()

    assert [row["id"] for row in sent["results"]] == [message.id]
    assert sent["results"][0]["channel"] == "whatsapp"
    assert [row["id"] for row in by_account["results"]] == [message.id]
    assert len(page["results"]) == 1
    assert page["next"]


def test_messages_api_bad_filters_are_400(org, api_client_for):
    api = api_client_for(ApiKeyFactory(organization=org))
    response = api.get("/api/v1/messages/?status=nope&account=99999999999999999999")
    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"status", "account"}


def test_messages_api_is_read_only(org, api_client_for):
    api = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.WRITE))
    message = OutboundMessageFactory(organization=org)
    assert api.post("/api/v1/messages/", {}, format="json").status_code == 405
    assert api.delete(f"/api/v1/messages/{message.id}/").status_code == 405


def _count(api, url):
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def test_messages_api_query_count_does_not_grow(org, api_client_for):
    api = api_client_for(ApiKeyFactory(organization=org))
    api.get("/api/v1/messages/")  # the key's last_used_at is written on first use
    OutboundMessageFactory.create_batch(5, organization=org)
    small = _count(api, "/api/v1/messages/")
    OutboundMessageFactory.create_batch(45, organization=org)
    large = _count(api, "/api/v1/messages/")
    assert small == large


def test_template_api_refuses_selling_words_with_a_code(org, member, client_for):
    browser = client_for(member(Role.MANAGER))

    def post(payload):
        return browser.post(
            "/api/v1/message-templates/", json.dumps(payload), content_type="application/json"
        )

    response = post(
        {
            "key": "followup.welcome",
            "locale": "pt-br",
            "body": "Desconto de R$ 50 para {contact_name}",
        }
    )
    ok = post({"key": "followup.welcome", "locale": "pt-br", "body": "Olá {contact_name}!"})

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "body"
    assert error["code"] == "selling_words"
    assert "“desconto”, “R$ 50”" in error["detail"]
    assert ok.status_code == 201


def test_template_api_write_needs_a_manager(org, api_client_for):
    api = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.WRITE))
    response = api.post(
        "/api/v1/message-templates/",
        {"key": "followup.welcome", "locale": "en", "body": "Hi"},
        format="json",
    )
    assert response.status_code == 403
