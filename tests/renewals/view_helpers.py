"""Shared by the renewals page tests (test_views_*.py): report paths, the manager's browser
and the response text."""

import pytest

from tenancy.models import Role
from tests.renewals.golden import END, START

REPORT = "/reports/retention/"
PERIOD = f"start={START}&end={END}"


@pytest.fixture
def manager(member, client_for):
    membership = member(Role.MANAGER)
    browser = client_for(membership)
    browser.membership = membership
    return browser


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()
