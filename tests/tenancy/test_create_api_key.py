from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tenancy.models import ApiKey, AuditEvent


def create_api_key(*args: str) -> str:
    stdout = StringIO()
    call_command("create_api_key", *args, stdout=stdout)
    return stdout.getvalue()


def new_key(*args: str) -> str:
    return create_api_key(*args).splitlines()[-1]


def bearer(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def test_create_api_key_prints_a_key_that_authenticates(org, in_scope):
    output = create_api_key("--org", "acme", "--name", "CRM sync", "--scopes", "read,write")

    lines = output.splitlines()
    key = lines[-1]
    assert key.startswith("jor_")
    assert "not shown again" in lines[-2]
    response = bearer(key).get("/api/v1/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["organization"]["slug"] == "acme"
    assert body["api_key"]["name"] == "CRM sync"
    assert body["api_key"]["scope"] == "write"
    with in_scope(org):
        api_key = ApiKey.objects.get(organization=org)
        assert api_key.created_by is None
        assert key not in (api_key.key_hash, api_key.prefix)
        assert list(AuditEvent.objects.values_list("action", flat=True)) == ["api_key.created"]


def test_create_api_key_keys_authenticate_whatever_their_secret(org):
    """The secret is url-safe base64 and often contains `_`, the separator of the key."""
    keys = [new_key("--org", "acme", "--name", f"Key {n}") for n in range(12)]

    assert any(key.count("_") > 2 for key in keys)
    for key in keys:
        assert bearer(key).get("/api/v1/me/").status_code == 200, key


def test_create_api_key_write_key_can_post(org):
    key = new_key("--org", "acme", "--name", "Importer", "--scopes", "write")

    response = bearer(key).post("/api/v1/accounts/", {"name": "X"}, format="json")

    assert response.status_code == 201


def test_create_api_key_read_only_key_cannot_post(org, in_scope):
    key = new_key("--org", "acme", "--name", "BI export", "--scopes", "read")

    response = bearer(key).post("/api/v1/accounts/", {"name": "X"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "api_key_read_only"
    assert bearer(key).get("/api/v1/me/").json()["api_key"]["scope"] == "read"
    with in_scope(org):
        assert ApiKey.objects.get(organization=org).scope == ApiKey.Scope.READ


def test_create_api_key_unknown_organization(db):
    with pytest.raises(CommandError, match="No organization with slug “nope”"):
        create_api_key("--org", "nope", "--name", "CRM sync", "--scopes", "read")


@pytest.mark.parametrize("scopes", ["", "admin", "read,delete", ","])
def test_create_api_key_bad_scopes(org, in_scope, scopes):
    with pytest.raises(CommandError, match="Invalid --scopes"):
        create_api_key("--org", "acme", "--name", "CRM sync", "--scopes", scopes)

    with in_scope(org):
        assert not ApiKey.objects.exists()
