import re

import pytest
from django.core import mail

from tenancy.models import ApiKey, Membership, Organization, Role
from tests.tenancy.factories import PASSWORD, MembershipFactory, UserFactory


def test_signup_creates_the_organization_with_the_user_as_owner(client, db):
    response = client.post(
        "/auth/signup/",
        {
            "email": "fundadora@startup.com.br",
            "password1": "uma-senha-bem-longa-42",
            "password2": "uma-senha-bem-longa-42",
            "name": "Fernanda Lima",
            "organization_name": "Startup Ltda",
        },
    )

    assert response.status_code == 302
    organization = Organization.objects.get(name="Startup Ltda")
    membership = Membership.objects.get(organization=organization)
    assert membership.role == Role.OWNER
    assert membership.user.email == "fundadora@startup.com.br"
    assert membership.user.name == "Fernanda Lima"
    assert client.get("/accounts/").status_code == 200


def test_signup_without_company_name_is_refused(client, db):
    response = client.post(
        "/auth/signup/",
        {
            "email": "a@b.com",
            "password1": "uma-senha-bem-longa-42",
            "password2": "uma-senha-bem-longa-42",
            "name": "A",
        },
    )
    assert response.status_code == 200
    assert b"company" in response.content
    assert Organization.objects.count() == 0


def test_login_with_email(client, org, member):
    membership = member(Role.CSM)
    response = client.post("/auth/login/", {"login": membership.user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").url == "/my-day/"  # the CSM home page (dashboards)


def test_switcher_changes_the_active_organization(org, other_org, client):
    user = UserFactory()
    MembershipFactory(organization=org, user=user, role=Role.CSM)
    MembershipFactory(organization=other_org, user=user, role=Role.ADMIN)
    client.force_login(user)

    client.post("/organizations/switch/", {"organization": other_org.pk})
    assert client.get("/api/v1/me/").json()["organization"]["slug"] == "other"
    client.post("/organizations/switch/", {"organization": org.pk})
    assert client.get("/api/v1/me/").json()["organization"]["slug"] == "acme"


def test_switching_to_a_foreign_organization_is_refused(org, other_org, member, client_for):
    browser = client_for(member(Role.CSM))
    browser.post("/organizations/switch/", {"organization": other_org.pk})
    assert browser.get("/api/v1/me/").json()["organization"]["slug"] == "acme"


def test_user_without_organization_is_asked_to_create_one(client, db):
    client.force_login(UserFactory())
    assert client.get("/accounts/").url == "/organizations/new/"
    client.post("/organizations/new/", {"name": "Minha Empresa"})
    assert client.get("/api/v1/me/").json()["organization"]["name"] == "Minha Empresa"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CSM, Role.MANAGER])
def test_settings_pages_are_for_admins(role, org, member, client_for):
    browser = client_for(member(role))
    for path in ("/settings/", "/settings/members/", "/settings/api-keys/", "/settings/audit/"):
        assert browser.get(path).status_code == 403


def test_invite_accept_flow_for_a_new_person(
    org, member, client_for, client, django_capture_on_commit_callbacks
):
    admin = client_for(member(Role.ADMIN))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/settings/members/", {"email": "nova@acme.com", "role": Role.MANAGER}
        )
    assert response.status_code == 302
    link = re.search(r"/invitations/[\w-]+/", mail.outbox[0].body).group(0)

    # the invitee opens the link, signs up without creating a company, lands in Acme
    assert b"Join Acme Software" in client.get(link).content
    client.post(
        "/auth/signup/",
        {
            "email": "nova@acme.com",
            "password1": "uma-senha-bem-longa-42",
            "password2": "uma-senha-bem-longa-42",
            "name": "Nova",
        },
    )
    response = client.post(link)
    assert response.status_code == 302
    assert Membership.objects.get(user__email="nova@acme.com").organization == org
    assert Organization.objects.count() == 1
    assert client.get(link).status_code == 404  # single use


def test_invalid_invitation_link_is_a_friendly_404(client, db):
    response = client.get("/invitations/not-a-real-token/")
    assert response.status_code == 404
    assert b"not valid" in response.content


def test_api_key_page_shows_the_key_once(org, member, client_for, in_scope):
    browser = client_for(member(Role.ADMIN))

    created = browser.post("/settings/api-keys/", {"name": "HubSpot", "scope": "write"})
    key = re.search(rb"jor_[0-9a-f]{12}_[\w-]+", created.content).group(0).decode()

    with in_scope(org):
        stored = ApiKey.objects.get(name="HubSpot")
    assert stored.key_hash != key
    assert key.encode() not in browser.get("/settings/api-keys/").content
    browser.post(f"/settings/api-keys/{stored.pk}/revoke/")
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/me/").status_code == 401


def test_admin_cannot_make_an_owner(org, member, client_for):
    admin = member(Role.ADMIN)
    csm = member(Role.CSM)
    client_for(admin).post(f"/settings/members/{csm.pk}/role/", {"role": Role.OWNER})
    csm.refresh_from_db()
    assert csm.role == Role.CSM


def test_audit_log_lists_member_changes(org, member, client_for, in_scope):
    owner = member(Role.OWNER)
    csm = member(Role.CSM)
    browser = client_for(owner)
    browser.post(f"/settings/members/{csm.pk}/role/", {"role": Role.MANAGER})
    assert b"member.role_changed" in browser.get("/settings/audit/").content


def test_organization_settings_validate_currency(org, member, client_for):
    browser = client_for(member(Role.OWNER))
    response = browser.post(
        "/settings/",
        {"name": "Acme", "time_zone": "America/Sao_Paulo", "currency": "R$", "locale": "pt-br"},
    )
    assert response.status_code == 400
    assert b"three-letter" in response.content


def test_pages_show_times_in_the_organizations_time_zone(org, member, client_for, in_scope):
    from datetime import UTC, datetime

    from tenancy.models import AuditEvent
    from tenancy.services import audit_record

    org.time_zone = "America/Sao_Paulo"  # UTC-3, no daylight saving time since 2019
    org.save(update_fields=["time_zone"])
    owner = member(Role.OWNER)
    with in_scope(org):
        audit_record(organization=org, actor=owner.user, action="member.invited", target=owner)
        AuditEvent.objects.update(created_at=datetime(2026, 3, 10, 12, 0, tzinfo=UTC))

    page = client_for(owner).get("/settings/audit/").content.decode()

    assert 'datetime="2026-03-10T09:00:00-03:00"' in page
