"""Root fixtures: two organizations, members by role, signed-in clients, API clients.

`org` and `other_org` exist in every isolation test; `member(role)` makes a user of `org`
with that role; `client_for(membership)` is a browser client signed in as that member with
the membership's organization active; `api_client_for(api_key)` sends the Bearer key.
"""

import os

import pytest
from django_scopes import scope
from rest_framework.test import APIClient

# Playwright's sync API runs an asyncio loop in the test thread; Django then refuses ORM
# calls (SynchronousOnlyOperation) unless this is set.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle buckets live in the cache; ids are reused after rollbacks, so start empty."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """LocaleMiddleware activates a request's language on the test thread and never resets it."""
    from django.utils import translation

    yield
    translation.activate("en")


@pytest.fixture
def org(db):
    from tests.tenancy.factories import OrganizationFactory

    return OrganizationFactory(name="Acme Software", slug="acme")


@pytest.fixture
def other_org(db):
    from tests.tenancy.factories import OrganizationFactory

    return OrganizationFactory(name="Other Corp", slug="other")


@pytest.fixture
def member(org):
    from tests.tenancy.factories import MembershipFactory

    def make(role="csm", organization=None, **kwargs):
        return MembershipFactory(organization=organization or org, role=role, **kwargs)

    return make


@pytest.fixture
def client_for(client):
    from django.test import Client

    def make(membership):
        browser = Client()
        browser.force_login(membership.user)
        session = browser.session
        session["active_organization_id"] = membership.organization_id
        session.save()
        return browser

    return make


@pytest.fixture
def api_client_for():
    def make(api_key):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key.raw_key}")
        return api

    return make


@pytest.fixture
def in_scope():
    """`with in_scope(org): ...` runs ORM assertions inside that organization's scope."""
    return lambda organization: scope(organization=organization)
