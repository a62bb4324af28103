import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account
from tenancy.idempotency import idempotency_records_purge
from tenancy.models import IdempotencyRecord
from tests.tenancy.factories import ApiKeyFactory


@pytest.fixture
def api(org, api_client_for):
    return api_client_for(ApiKeyFactory(organization=org))


def _post(api, key, body):
    return api.post("/api/v1/accounts/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retried_post_creates_once_and_replays_the_answer(org, api, in_scope):
    first = _post(api, "sync-2026-11-23-001", {"name": "Padaria", "external_id": "P-1"})
    again = _post(api, "sync-2026-11-23-001", {"name": "Padaria", "external_id": "P-1"})

    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    with in_scope(org):
        assert Account.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(org, api, in_scope):
    _post(api, "k-1", {"name": "A"})
    response = _post(api, "k-1", {"name": "B"})

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    with in_scope(org):
        assert list(Account.objects.values_list("name", flat=True)) == ["A"]


def test_a_failed_request_does_not_burn_the_key(org, api, in_scope):
    assert _post(api, "k-2", {"name": ""}).status_code == 400
    assert _post(api, "k-2", {"name": ""}).status_code == 400  # not replayed: validated again
    with in_scope(org):
        assert IdempotencyRecord.objects.count() == 0


def test_a_request_still_running_gets_409_until_it_is_stale(org, api, in_scope):
    body = {"name": "A"}
    fingerprint = hashlib.sha256(
        f"POST /api/v1/accounts/\n{json.dumps(body, sort_keys=True)}".encode()
    ).hexdigest()
    with in_scope(org):
        record = IdempotencyRecord.objects.create(
            organization=org, key="k-3", fingerprint=fingerprint
        )

    busy = _post(api, "k-3", body)
    assert busy.status_code == 409
    assert busy.json()["code"] == "idempotency_in_progress"

    with in_scope(org):  # the first request crashed long ago: the retry takes the key over
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            created_at=timezone.now() - timedelta(minutes=5)
        )
    taken_over = _post(api, "k-3", body)
    assert taken_over.status_code == 201
    with in_scope(org):
        assert Account.objects.count() == 1
        assert IdempotencyRecord.objects.get(key="k-3").status_code == 201


def test_keys_are_per_organization(org, other_org, api, api_client_for, in_scope):
    other = api_client_for(ApiKeyFactory(organization=other_org))

    assert _post(api, "shared-key", {"name": "Ours"}).status_code == 201
    theirs = _post(other, "shared-key", {"name": "Theirs"})

    assert theirs.status_code == 201
    assert theirs.json()["name"] == "Theirs"
    with in_scope(other_org):
        assert Account.objects.filter(organization=other_org).count() == 1


def test_too_long_key_is_a_clear_400(api):
    response = _post(api, "x" * 256, {"name": "A"})
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"


def test_records_older_than_a_day_are_purged(org, api, in_scope):
    _post(api, "old", {"name": "A"})
    _post(api, "new", {"name": "B"})
    with in_scope(org):
        IdempotencyRecord.objects.filter(key="old").update(
            created_at=timezone.now() - timedelta(hours=25)
        )
        assert idempotency_records_purge(organization=org) == 1
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
