"""Property-based fuzzing of every API operation from the committed OpenAPI schema
(schemathesis, in-process over WSGI): whatever a client sends, the API never answers 5xx."""

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings

from config.wsgi import application
from tests.snapshots import SNAPSHOT_PATH

with SNAPSHOT_PATH.open() as handle:
    schema = schemathesis.openapi.from_dict(yaml.safe_load(handle))
schema.app = application


@pytest.fixture(autouse=True)
def _keep_test_connection_open():
    """Schemathesis calls the WSGI app directly, so Django's request signals would close the
    test's database connection mid-transaction (Django's test client disconnects them too)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_key(org):
    from tests.accounts.factories import AccountFactory, ContactFactory
    from tests.tenancy.factories import ApiKeyFactory

    ContactFactory(account=AccountFactory(organization=org, external_id="FUZZ-1"))
    return ApiKeyFactory(organization=org)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_fails_on_any_input(case, fuzz_key):
    response = case.call(headers={"Authorization": f"Bearer {fuzz_key.raw_key}"})
    case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])
