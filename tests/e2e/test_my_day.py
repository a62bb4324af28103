"""A CSM opens My day in a real browser, records "issue found" on a follow-up in one click
(htmx), and sees the escalation task appear in the tasks without reloading the page; no
Content-Security-Policy violation on the way."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django_scopes import scope
from playwright.sync_api import expect

from lifecycle.models import FollowUp, Task
from lifecycle.services.followup import organization_today
from tenancy.models import Role
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_followup import FollowUpFactory
from tests.lifecycle.factories_tasks import TaskFactory
from tests.tenancy.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.e2e


def _sign_in(page, live_server, membership) -> None:
    browser = Client()
    browser.force_login(membership.user)
    session = browser.session
    session["active_organization_id"] = membership.organization_id
    session.save()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": browser.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_csm_records_issue_found_and_sees_the_escalation(page, live_server):
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" or "Content Security Policy" in message.text
            else None
        ),
    )
    organization = OrganizationFactory(name="My Day E2E", slug="my-day-e2e")
    csm = MembershipFactory(
        organization=organization, role=Role.CSM, user=UserFactory(name="Carla CSM")
    )
    account = AccountFactory(organization=organization, owner=csm, name="Wayne Logistics")
    today = organization_today(organization)
    task = TaskFactory(
        organization=organization,
        account=account,
        kind="follow_up",
        source="follow_up",
        title="Follow-up call after go-live: Wayne Logistics",
    )
    followup = FollowUpFactory(
        account=account,
        task=task,
        status="open",
        go_live_date=today - timedelta(days=2),
        due_date=today + timedelta(days=5),
    )
    _sign_in(page, live_server, csm)

    page.goto(f"{live_server.url}/my-day/")
    card = page.locator(f"#followup-{followup.pk}")
    expect(card).to_contain_text("Wayne Logistics")
    expect(page.locator("#upcoming-tasks")).not_to_contain_text("Escalate")

    # Issue found needs a note: the card says so in place
    card.get_by_role("button", name="Issue found").click()
    expect(card.locator(".error-list")).to_contain_text("Describe the issue")

    card.locator("textarea[name=note]").fill("Invoices show the wrong plan")
    card.get_by_role("button", name="Issue found").click()

    # The sections reload: the follow-up is recorded and the escalation task is listed
    expect(page.locator("#recorded-" + str(followup.pk))).to_contain_text("Issue found")
    expect(page.locator(f"#followup-{followup.pk}")).to_have_count(0)
    expect(page.locator("#upcoming-tasks")).to_contain_text(
        "Escalate the issue found in the follow-up"
    )
    expect(page.locator("#upcoming-tasks")).to_contain_text("Wayne Logistics")
    with scope(organization=organization):
        assert FollowUp.objects.get(pk=followup.pk).outcome == "issue_found"
        assert Task.objects.filter(kind="escalation", account=account).count() == 1
    assert problems == []
