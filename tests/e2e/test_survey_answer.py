"""A customer opens the survey link on a phone, answers with one tap, adds a comment through
"change my answer", and the answer is stored; no Content-Security-Policy violation."""

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from surveys.models import SurveyResponse
from tests.surveys.factories import SurveyInvitationFactory
from tests.tenancy.factories import OrganizationFactory

pytestmark = pytest.mark.e2e


def test_customer_answers_in_one_tap_on_a_phone(page, live_server):
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" or "Content Security Policy" in message.text
            else None
        ),
    )
    organization = OrganizationFactory(name="Survey E2E", slug="survey-e2e")
    SurveyInvitationFactory(organization=organization, raw_token="e2e-token", contact__locale="en")
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/s/e2e-token/")
    page.get_by_role("button", name="9", exact=True).click()
    expect(page.get_by_role("heading", name="Thank you for your answer!")).to_be_visible()
    page.get_by_role("link", name="Add a comment or change my answer").click()
    page.get_by_label("Anything you would like to tell us? (optional)").fill("Great support")
    page.get_by_role("button", name="10", exact=True).click()
    expect(page.get_by_text("“Great support”")).to_be_visible()

    with scope(organization=organization):
        answer = SurveyResponse.objects.get()
    assert (answer.score, answer.comment) == (10, "Great support")
    assert problems == []
