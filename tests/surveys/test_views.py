from datetime import timedelta

import pytest
from django.utils import timezone

from outreach.models import OutboundMessage
from surveys.models import Survey, SurveyInvitation
from tenancy.models import AuditEvent
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.surveys.factories import SurveyFactory, SurveyResponseFactory


def test_list_shows_surveys_with_counts_and_empty_state(org, member, client_for):
    browser = client_for(member("viewer"))
    empty = browser.get("/surveys/").content.decode()
    assert "No surveys yet." in empty
    assert "New survey" not in empty  # viewers do not create

    survey = SurveyFactory(organization=org, name="Relationship NPS")
    SurveyResponseFactory(organization=org, survey=survey, score=10)
    html = browser.get("/surveys/").content.decode()
    assert "Relationship NPS" in html
    assert '<td class="num">1</td>' in html


def test_create_and_edit_are_for_managers_with_clear_errors(org, member, client_for, in_scope):
    csm = client_for(member("csm"))
    manager = client_for(member("manager"))
    assert csm.get("/surveys/new/").status_code == 403
    assert csm.post("/surveys/new/", {"name": "X", "kind": "nps"}).status_code == 403

    bad = manager.post("/surveys/new/", {"name": "", "kind": "huge"})
    assert bad.status_code == 400
    assert "This field is required." in bad.content.decode()
    created = manager.post(
        "/surveys/new/", {"name": "Support CSAT", "kind": "csat", "active": "on"}
    )
    assert created.status_code == 302
    with in_scope(org):
        survey = Survey.objects.get()
    assert created["Location"] == f"/surveys/{survey.pk}/"

    SurveyResponseFactory(organization=org, survey=survey, score=5)
    locked = manager.post(f"/surveys/{survey.pk}/edit/", {"name": "Support CSAT", "kind": "nps"})
    assert locked.status_code == 400
    assert "its kind can no longer change" in locked.content.decode()
    saved = manager.post(f"/surveys/{survey.pk}/edit/", {"name": "Support CSAT v2", "kind": "csat"})
    assert saved.status_code == 302
    with in_scope(org):
        survey.refresh_from_db()
        assert (survey.name, survey.active) == ("Support CSAT v2", False)
        assert AuditEvent.objects.filter(target_type="survey").count() == 2


def _results_page(browser, survey, query=""):
    return browser.get(f"/surveys/{survey.pk}/{query}")


def test_results_page_by_hand_with_filters_and_fixed_queries(
    org, member, client_for, django_assert_num_queries
):
    browser = client_for(member("viewer"))
    survey = SurveyFactory(organization=org, kind="nps")
    enterprise = AccountFactory(organization=org, segment="enterprise", name="Big Co")
    for score in (10, 9):
        SurveyResponseFactory(organization=org, survey=survey, account=enterprise, score=score)
    for score in (8, 4):
        SurveyResponseFactory(organization=org, survey=survey, score=score, comment="Muito lento")
    SurveyResponseFactory(
        organization=org, survey=survey, score=0, answered_at=timezone.now() - timedelta(days=300)
    )

    html = _results_page(browser, survey).content.decode()
    # last 180 days: 2 promoters, 1 passive, 1 detractor of 4 → 25
    assert 'data-testid="survey-score">25<' in html
    assert 'data-testid="survey-total">4<' in html
    assert "Muito lento" in html
    assert "Big Co" in html
    everything = _results_page(browser, survey, "?period=all").content.decode()
    assert 'data-testid="survey-score">0<' in everything  # 2 - 2 of 5
    segment = _results_page(browser, survey, "?period=all&segment=enterprise").content.decode()
    assert 'data-testid="survey-score">100<' in segment
    bad = _results_page(browser, survey, "?period=7&segment=x").content.decode()
    assert "Select a valid choice." in bad
    assert 'data-testid="survey-score">25<' in bad  # the default period

    browser.get("/surveys/")  # warm the session
    with django_assert_num_queries(7) as small:
        _results_page(browser, survey)
    for _ in range(40):
        SurveyResponseFactory(organization=org, survey=survey, score=7, comment="ok")
    with django_assert_num_queries(len(small.captured_queries)):
        html = _results_page(browser, survey).content.decode()
    assert "Page 1 of 2" in html


def test_results_page_empty_state(org, member, client_for):
    survey = SurveyFactory(organization=org, kind="ces")
    html = _results_page(client_for(member("viewer")), survey).content.decode()
    assert "No answers yet." in html


def test_account_panel_lists_answers_and_sends_to_consenting_contacts(
    org, member, client_for, in_scope, settings
):
    settings.SITE_URL = "http://testserver"
    csm = client_for(member("csm"))
    survey = SurveyFactory(organization=org, name="Relationship NPS")
    account = AccountFactory(organization=org)
    yes = ContactFactory(account=account, name="Ana", email_consent="opted_in", locale="en")
    ContactFactory(account=account, name="Bo", email_consent="unknown")
    SurveyResponseFactory(
        organization=org, survey=survey, account=account, contact=yes, score=3, comment="Caro"
    )

    panel = csm.get(f"/accounts/{account.pk}/surveys/").content.decode()
    assert "Caro" in panel
    assert "Send survey" in panel
    assert ">Ana<" in panel
    assert ">Bo<" not in panel

    response = csm.post(
        f"/accounts/{account.pk}/surveys/send/", {"survey": survey.pk, "contact": "all"}
    )
    again = csm.post(
        f"/accounts/{account.pk}/surveys/send/",
        {"survey": survey.pk, "contact": str(yes.pk)},
        follow=True,
    )

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{account.pk}/#surveys"
    assert "already has an open invitation" in again.content.decode()
    with in_scope(org):
        assert SurveyInvitation.objects.count() == 1
        assert OutboundMessage.objects.get().contact_id == yes.pk


@pytest.mark.parametrize(
    "data", [{}, {"survey": "abc", "contact": "all"}, {"survey": "1", "contact": "999"}]
)
def test_send_bad_input_flashes_and_sends_nothing(data, org, member, client_for, in_scope):
    csm = client_for(member("csm"))
    account = AccountFactory(organization=org)
    response = csm.post(f"/accounts/{account.pk}/surveys/send/", data, follow=True)
    assert response.status_code == 200
    with in_scope(org):
        assert OutboundMessage.objects.count() == 0


def test_viewers_cannot_send(org, member, client_for):
    viewer = client_for(member("viewer"))
    survey = SurveyFactory(organization=org)
    account = AccountFactory(organization=org)
    panel = viewer.get(f"/accounts/{account.pk}/surveys/").content.decode()
    assert "Send survey" not in panel
    response = viewer.post(f"/accounts/{account.pk}/surveys/send/", {"survey": survey.pk})
    assert response.status_code == 403
