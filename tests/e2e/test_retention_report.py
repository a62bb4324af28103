"""A manager opens the retention report in a real browser, changes the period, and sees the
GRR/NRR figures and the charts follow (the golden dataset, tests/renewals/golden.py)."""

import json

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tenancy.models import Role
from tests.renewals.golden import golden_dataset
from tests.tenancy.factories import MembershipFactory, OrganizationFactory

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


def _chart_data(page) -> dict:
    return json.loads(page.locator("#retention-chart-data").text_content())


def test_manager_changes_the_period_and_the_figures_and_charts_follow(page, live_server):
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    organization = OrganizationFactory(name="Retention E2E", slug="retention-e2e")
    manager = MembershipFactory(organization=organization, role=Role.MANAGER)
    golden_dataset(organization)
    _sign_in(page, live_server, manager)

    # The golden year
    page.goto(f"{live_server.url}/reports/retention/?start=2025-01-01&end=2026-01-01")
    expect(page.locator("#figure-grr")).to_have_text("89.6%")
    expect(page.locator("#figure-nrr")).to_have_text("110.4%")
    expect(page.locator("#figure-logo-churn")).to_have_text("14.3%")
    trend = page.locator("canvas#retention-trend-chart")
    bridge = page.locator("canvas#retention-bridge-chart")
    expect(trend).to_have_attribute("data-rendered", "2025-01-01/2026-01-01")
    expect(bridge).to_have_attribute("data-rendered", "2025-01-01/2026-01-01")
    before = _chart_data(page)
    assert len(before["labels"]) == 12
    assert before["bridge"]["end"] == 8500

    # Change the period to the first half of 2025 and apply
    page.fill("#id_start", "2025-01-01")
    page.fill("#id_end", "2025-07-01")
    page.click("#apply-period")

    # C churned (its contract ended 2025-03-01), D renewed lower on 2025-07-01 (counted at E),
    # E's second add-on and H's new plan expand: Σ min = 6800, Σ ARR_E = 7700 of 7700.
    expect(page.locator("#figure-grr")).to_have_text("88.3%")
    expect(page.locator("#figure-nrr")).to_have_text("100.0%")
    expect(page.locator("#figure-logo-churn")).to_have_text("14.3%")
    expect(trend).to_have_attribute("data-rendered", "2025-01-01/2025-07-01")
    expect(bridge).to_have_attribute("data-rendered", "2025-01-01/2025-07-01")
    after = _chart_data(page)
    assert after != before
    assert len(after["labels"]) == 6
    assert after["bridge"] == {
        "start": 7700,
        "expansion": 900,
        "contraction": 100,
        "churn": 800,
        "end": 7700,
    }
    assert page.locator("canvas#retention-trend-chart").bounding_box()["height"] > 0

    # A preset moves the period too
    page.locator("[data-preset=last_12_months]").click()
    expect(page.locator("#id_start")).not_to_have_value("2025-01-01")
    assert console_errors == []
