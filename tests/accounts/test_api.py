import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Account, Contact
from tenancy.api_auth import PerKeyRateThrottle
from tenancy.models import ApiKey, AuditEvent, Role
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.tenancy.factories import ApiKeyFactory, MembershipFactory, UserFactory


@pytest.fixture
def write_key(org):
    return ApiKeyFactory(organization=org, scope=ApiKey.Scope.WRITE)


@pytest.fixture
def api(write_key, api_client_for):
    return api_client_for(write_key)


def _queries_for_list(api, path):
    api.get("/api/v1/me/")  # the key's last_used_at is written at most once a minute
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path)
    assert response.status_code == 200
    return len(captured), response.json()


def test_account_list_query_count_is_constant(org, api):
    AccountFactory.create_batch(10, organization=org)
    few, body = _queries_for_list(api, "/api/v1/accounts/?page_size=500")
    assert len(body["results"]) == 10

    AccountFactory.create_batch(190, organization=org)
    many, body = _queries_for_list(api, "/api/v1/accounts/?page_size=500")
    assert len(body["results"]) == 200
    assert many == few


def test_contact_list_query_count_is_constant(org, api):
    ContactFactory.create_batch(10, account__organization=org, organization=org)
    few, _ = _queries_for_list(api, "/api/v1/contacts/?page_size=500")
    ContactFactory.create_batch(40, account__organization=org, organization=org)
    many, body = _queries_for_list(api, "/api/v1/contacts/?page_size=500")
    assert len(body["results"]) == 50
    assert many == few


def test_cursor_pagination_walks_every_account_once(org, api):
    AccountFactory.create_batch(7, organization=org)
    seen, url = [], "/api/v1/accounts/?page_size=3"
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == 7
    assert len(set(seen)) == 7


def test_create_account_with_owner_email_is_audited_with_the_key(org, api, write_key, in_scope):
    owner = MembershipFactory(
        organization=org, role=Role.CSM, user=UserFactory(email="ana@acme.test")
    )

    response = api.post(
        "/api/v1/accounts/",
        {
            "name": "Padaria Pão Quente",
            "external_id": "CRM-1",
            "owner": "ANA@acme.test",
            "segment": "smb",
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["owner"] == "ana@acme.test"
    with in_scope(org):
        account = Account.objects.get(external_id="CRM-1")
        assert account.owner == owner
        event = AuditEvent.objects.get(action="account.created")
        assert event.actor_api_key == write_key
        assert event.target_id == str(account.pk)


def test_validation_errors_name_each_field_with_a_stable_code(org, api):
    AccountFactory(organization=org, external_id="TAKEN")

    response = api.post(
        "/api/v1/accounts/",
        {"name": "", "external_id": "TAKEN", "segment": "galactic", "go_live_date": "31/02/2026"},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    fields = {error["field"]: error["code"] for error in body["errors"]}
    assert fields == {
        "name": "blank",
        "external_id": "duplicate_external_id",
        "segment": "invalid_choice",
        "go_live_date": "invalid",
    }


def test_owner_from_another_organization_is_not_resolved(org, other_org, api):
    MembershipFactory(organization=other_org, user=UserFactory(email="spy@other.test"))

    response = api.post(
        "/api/v1/accounts/", {"name": "X", "owner": "spy@other.test"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "owner"


def test_contact_is_created_by_account_external_id(org, api, in_scope):
    AccountFactory(organization=org, external_id="CRM-42")

    response = api.post(
        "/api/v1/contacts/",
        {
            "account": "CRM-42",
            "name": "João Silva",
            "email": "Joao@Cliente.com.br",
            "phone": "(11) 98765-4321",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "joao@cliente.com.br"
    assert body["phone"] == "+5511987654321"
    with in_scope(org):
        assert Contact.objects.get(pk=body["id"]).account.external_id == "CRM-42"


def test_contact_cannot_point_at_another_organizations_account(org, other_org, api, in_scope):
    foreign = AccountFactory(organization=other_org, external_id="THEIRS")

    by_id = api.post(
        "/api/v1/contacts/", {"account": foreign.pk, "name": "X", "email": "x@x.com"}, format="json"
    )
    by_external = api.post(
        "/api/v1/contacts/", {"account": "THEIRS", "name": "X", "email": "x@x.com"}, format="json"
    )

    assert by_id.status_code == 400
    assert by_external.status_code == 400
    assert by_id.json()["errors"][0] == {
        "field": "account",
        "code": "not_found",
        "detail": f"No account with id or external_id {foreign.pk}.",
    }
    with in_scope(other_org):
        assert Contact.objects.filter(organization=other_org).count() == 0


def test_contact_with_bad_phone_and_no_email_is_rejected(org, api):
    account = AccountFactory(organization=org)

    response = api.post(
        "/api/v1/contacts/", {"account": account.pk, "name": "Z", "phone": "12345"}, format="json"
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["phone"]


def test_unknown_and_revoked_keys_get_401(org):
    revoked = ApiKeyFactory(organization=org, revoked_at="2026-01-01T00:00:00Z")
    unknown = APIClient()
    unknown.credentials(HTTP_AUTHORIZATION="Bearer jor_000000000000_nope")
    old = APIClient()
    old.credentials(HTTP_AUTHORIZATION=f"Bearer {revoked.raw_key}")

    for client in (unknown, old):
        response = client.get("/api/v1/accounts/")
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_api_key"


def test_anonymous_request_gets_401(db):
    response = APIClient().get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_read_only_key_cannot_write(org, api_client_for, in_scope):
    reader = api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.READ))

    response = reader.post("/api/v1/accounts/", {"name": "Nope"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "api_key_read_only"
    with in_scope(org):
        assert Account.objects.count() == 0


def test_viewer_session_cannot_write_but_can_read(org, member):
    viewer = member(Role.VIEWER)
    client = APIClient()
    client.force_login(viewer.user)
    AccountFactory(organization=org)

    assert client.get("/api/v1/accounts/").status_code == 200
    response = client.post("/api/v1/accounts/", {"name": "Nope"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "role_forbidden"


def test_api_key_use_is_recorded(org, write_key, api, in_scope):
    api.get("/api/v1/me/")
    with in_scope(org):
        write_key.refresh_from_db()
    assert write_key.last_used_at is not None


def test_me_describes_the_key_and_organization(org, api, write_key):
    body = api.get("/api/v1/me/").json()
    assert body["organization"]["slug"] == "acme"
    assert body["api_key"] == {"name": write_key.name, "prefix": write_key.prefix, "scope": "write"}
    assert body["user"] is None


def test_me_for_a_signed_in_member(org, member):
    manager = member(Role.MANAGER)
    client = APIClient()
    client.force_login(manager.user)

    body = client.get("/api/v1/me/").json()

    assert body["role"] == "manager"
    assert body["user"]["email"] == manager.user.email


def test_requests_over_the_key_rate_are_throttled(org, api, monkeypatch):
    cache.clear()
    monkeypatch.setattr(PerKeyRateThrottle, "THROTTLE_RATES", {"per_key": "3/min"})

    statuses = [api.get("/api/v1/me/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert api.get("/api/v1/me/").json()["code"] == "throttled"
    cache.clear()


def test_filters_by_stage_segment_owner_and_search(org, api):
    ana = MembershipFactory(organization=org, user=UserFactory(email="ana@acme.test"))
    AccountFactory(
        organization=org, name="Alpha Varejo", stage="renewal", segment="enterprise", owner=ana
    )
    AccountFactory(organization=org, name="Beta Logística", stage="adoption", segment="smb")

    def names(query):
        return [row["name"] for row in api.get(f"/api/v1/accounts/?{query}").json()["results"]]

    assert names("stage=renewal") == ["Alpha Varejo"]
    assert names("segment=smb") == ["Beta Logística"]
    assert names("owner=ana@acme.test") == ["Alpha Varejo"]
    assert names("q=log") == ["Beta Logística"]
    assert api.get("/api/v1/accounts/?stage=bogus").status_code == 400


def test_delete_account_removes_its_contacts(org, api, in_scope):
    contact = ContactFactory(account__organization=org, organization=org)

    response = api.delete(f"/api/v1/accounts/{contact.account_id}/")

    assert response.status_code == 204
    with in_scope(org):
        assert Contact.objects.filter(pk=contact.pk).exists() is False
        assert AuditEvent.objects.filter(action="account.deleted").count() == 1
