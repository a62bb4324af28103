"""An invited person, signed in, opens the invitation link and accepts it in a real browser:
the POST passes Django's CSRF origin check (under `Referrer-Policy: no-referrer` Chromium sent
`Origin: null` and the accept button answered 403) and the membership exists."""

import pytest
from django.conf import settings
from django.test import Client
from django_scopes import scope
from playwright.sync_api import expect

from tenancy.models import Membership, Role
from tests.tenancy.factories import InvitationFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_invited_user_accepts_the_invitation(page, live_server):
    # Given an invitation to Acme for ana@example.com, and Ana signed in
    organization = OrganizationFactory(name="Acme Invite E2E", slug="acme-invite-e2e")
    InvitationFactory(
        organization=organization,
        email="ana@example.com",
        role=Role.MANAGER,
        token="e2e-invitation-token-0123456789abcdef",
    )
    ana = UserFactory(email="ana@example.com")
    browser = Client()
    browser.force_login(ana)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": browser.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )

    # When she opens the link and accepts
    response = page.goto(f"{live_server.url}/invitations/e2e-invitation-token-0123456789abcdef/")
    assert response.headers["referrer-policy"] == "strict-origin"
    page.get_by_role("button", name="Accept invitation").click()

    # Then she lands in the organization as a manager
    expect(page.get_by_text("Welcome to Acme Invite E2E!")).to_be_visible()
    with scope(organization=organization):
        assert Membership.objects.get(user=ana).role == Role.MANAGER
