from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from surveys.models import SurveyResponse
from surveys.signals import survey_answered
from tests.surveys.factories import SurveyInvitationFactory, SurveyResponseFactory

INVALID = "This survey link is not valid"


@pytest.fixture
def anonymous():
    return Client(enforce_csrf_checks=False)


@pytest.fixture
def signals_sent():
    calls = []

    def receiver(sender, **kwargs):
        calls.append((kwargs["score"], kwargs["created"]))

    survey_answered.connect(receiver, weak=False)
    yield calls
    survey_answered.disconnect(receiver)


def test_page_asks_in_the_contact_language_with_one_button_per_score(org, anonymous):
    SurveyInvitationFactory(organization=org, raw_token="tok-pt", contact__locale="pt-br")

    response = anonymous.get("/s/tok-pt/")

    assert response.status_code == 200
    assert response["Referrer-Policy"] == "strict-origin"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    html = response.content.decode()
    assert 'lang="pt-br"' in html
    assert html.count('name="score"') == 11  # NPS 0..10
    assert "Acme Software" in html


def test_one_tap_answers_then_thanks_and_edit_within_24h(
    org, anonymous, in_scope, signals_sent, django_capture_on_commit_callbacks
):
    SurveyInvitationFactory(organization=org, raw_token="tok-en", contact__locale="en")

    with django_capture_on_commit_callbacks(execute=True):
        response = anonymous.post("/s/tok-en/", {"score": "10", "comment": ""})
    assert response.status_code == 302
    thanks = anonymous.get(response["Location"])
    assert "Thank you for your answer!" in thanks.content.decode()
    assert "Add a comment or change my answer" in thanks.content.decode()
    change = anonymous.get("/s/tok-en/?change=1")
    assert change.status_code == 200
    assert 'name="score"' in change.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        anonymous.post("/s/tok-en/", {"score": "9", "comment": "Great onboarding"})

    with in_scope(org):
        answer = SurveyResponse.objects.get()
        assert (answer.score, answer.comment, answer.source) == (9, "Great onboarding", "link")
    assert signals_sent == [(10, True), (9, False)]


def test_after_24_hours_the_page_only_thanks(org, anonymous, in_scope):
    invitation = SurveyInvitationFactory(organization=org, raw_token="tok-done")
    SurveyResponseFactory(
        organization=org,
        survey=invitation.survey,
        invitation=invitation,
        account=invitation.account,
        contact=invitation.contact,
        score=4,
        answered_at=timezone.now() - timedelta(hours=25),
    )

    page = anonymous.get("/s/tok-done/?change=1").content.decode()
    posted = anonymous.post("/s/tok-done/", {"score": "10"})

    assert "Obrigado pela sua resposta!" in page  # the contact's language (factory: pt-BR)
    assert 'name="score"' not in page
    assert posted.status_code == 200
    with in_scope(org):
        assert SurveyResponse.objects.get().score == 4


@pytest.mark.parametrize("score", ["", "eleven", "11", "-1", "3.5"])
def test_bad_scores_show_the_form_again(score, org, anonymous, in_scope):
    SurveyInvitationFactory(organization=org, raw_token="tok-bad", contact__locale="en")

    response = anonymous.post("/s/tok-bad/", {"score": score, "comment": "x"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Tap a score." in html or "Give a whole number from 0 to 10 (NPS)." in html
    with in_scope(org):
        assert SurveyResponse.objects.count() == 0


def test_unknown_expired_and_closed_links_look_the_same(org, other_org, anonymous):
    SurveyInvitationFactory(organization=org, raw_token="tok-exp", expires_at=timezone.now())
    closed = SurveyInvitationFactory(organization=org, raw_token="tok-closed")
    closed.survey.active = False
    closed.survey.save()

    pages = [
        anonymous.get(f"/s/{token}/") for token in ("tok-exp", "tok-closed", "nope", "x" * 300)
    ]
    posted = anonymous.post("/s/tok-exp/", {"score": "9"})

    assert {page.status_code for page in [*pages, posted]} == {404}
    bodies = {page.content.decode() for page in pages}
    assert len(bodies) == 1
    assert INVALID in bodies.pop()


def test_a_signed_in_member_of_another_org_answers_in_the_token_org(
    org, other_org, member, client_for, in_scope
):
    SurveyInvitationFactory(organization=org, raw_token="tok-x")
    browser = client_for(member("owner", organization=other_org))

    response = browser.post("/s/tok-x/", {"score": "7"})

    assert response.status_code == 302
    with in_scope(org):
        assert SurveyResponse.objects.get().organization_id == org.id


def test_a_post_with_origin_null_is_accepted(org, in_scope):
    # Privacy settings make some browsers send "Origin: null"; the link is the secret.
    SurveyInvitationFactory(organization=org, raw_token="tok-origin")
    strict = Client(enforce_csrf_checks=True)

    response = strict.post("/s/tok-origin/", {"score": "8"}, HTTP_ORIGIN="null")

    assert response.status_code == 302
    with in_scope(org):
        assert SurveyResponse.objects.get().score == 8
