"""What a survey answer changes above surveys: health sentiment, detractor/promoter playbooks,
the advocacy stage and the promoter expansion trigger (lifecycle/services/surveys.py,
healthscore/expansion.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import HealthBand, Stage
from healthscore import recompute
from healthscore.expansion import expansion_triggers_evaluate
from healthscore.models import HealthDirty, HealthInput
from lifecycle.models import Task
from renewals.models import ExpansionTrigger, Opportunity, OpportunityKind
from surveys import services
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.surveys.factories import SurveyFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


def _answer(org, survey, contact, score, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return services.survey_response_record(
            organization=org,
            survey=survey,
            account=contact.account,
            contact=contact,
            score=score,
            source="api",
            **kwargs,
        )


def _tasks(org, in_scope, account):
    with in_scope(org):
        return sorted(Task.objects.filter(account=account).values_list("title", "source"))


def test_a_detractor_answer_opens_the_closed_loop_task_and_lowers_sentiment(
    org, in_scope, django_capture_on_commit_callbacks
):
    # Given an account and its NPS survey
    with in_scope(org):
        contact = ContactFactory(account__organization=org)
        survey = SurveyFactory(organization=org, kind="nps")
        HealthDirty.objects.all().delete()

    # When the contact answers 3
    response = _answer(org, survey, contact, 3, django_capture_on_commit_callbacks)

    # Then the closed-loop call is due within 48 hours, the answer is a 0 sentiment input
    # dated today and the account waits for the dirty sweep
    with in_scope(org):
        task = Task.objects.get(account=contact.account)
        assert task.title == "Closed-loop call with the detractor"
        assert timezone.now() < task.due_at <= timezone.now() + timedelta(hours=48)
        assert list(HealthInput.objects.values_list("subject", "day", "value")) == [
            (f"survey:{response.pk}", recompute.organization_today(org), 0)
        ]
        assert HealthDirty.objects.filter(account=contact.account).exists()


def test_an_nps_promoter_gets_the_advocacy_ask_once_and_a_csat_promoter_does_not(
    org, in_scope, django_capture_on_commit_callbacks
):
    with in_scope(org):
        contact = ContactFactory(account__organization=org)
        other = ContactFactory(account__organization=org)
        nps = SurveyFactory(organization=org, kind="nps")
        csat = SurveyFactory(organization=org, kind="csat")

    _answer(org, nps, contact, 10, django_capture_on_commit_callbacks)
    _answer(org, csat, other, 5, django_capture_on_commit_callbacks)

    assert _tasks(org, in_scope, contact.account) == [
        ("Thank the promoter and ask for a reference or review", "playbook")
    ]
    assert _tasks(org, in_scope, other.account) == []
    with in_scope(org):
        assert dict(HealthInput.objects.values_list("account_id", "value")) == {
            contact.account_id: 100,
            other.account_id: 100,
        }


def test_an_edit_within_24_hours_replaces_the_sentiment_and_fires_once_per_answer(
    org, in_scope, django_capture_on_commit_callbacks
):
    # Given a detractor answer through an invitation link
    with in_scope(org):
        contact = ContactFactory(account__organization=org)
        survey = SurveyFactory(organization=org, kind="nps")
    first = _answer(org, survey, contact, 2, django_capture_on_commit_callbacks)

    # When the same response is recorded again as 8 (passive), then 1
    with in_scope(org):
        response = type(first).objects.get(pk=first.pk)
    for score in (8, 1):
        with django_capture_on_commit_callbacks(execute=True), in_scope(org):
            services.survey_response_record(
                organization=org,
                survey=survey,
                account=contact.account,
                contact=contact,
                score=score,
                source="link",
                invitation=_invitation_for(org, in_scope, response),
            )

    # Then one input per response holds the latest answer, and one closed-loop task exists
    with in_scope(org):
        assert list(HealthInput.objects.values_list("subject", "value")) == [
            (f"survey:{first.pk}", 0)
        ]
    assert _tasks(org, in_scope, contact.account) == [
        ("Closed-loop call with the detractor", "playbook")
    ]


def _invitation_for(org, in_scope, response):
    """Attach an invitation to `response` so the service treats new scores as edits."""
    from tests.surveys.factories import SurveyInvitationFactory

    with in_scope(org):
        if response.invitation_id is None:
            invitation = SurveyInvitationFactory(
                organization=org,
                survey=response.survey,
                contact=response.contact,
                account=response.account,
            )
            response.invitation = invitation
            response.save(update_fields=["invitation"])
        return response.invitation


def test_a_recent_nps_promoter_with_green_health_and_a_year_live_moves_to_advocacy(
    org, in_scope, django_capture_on_commit_callbacks
):
    # Given a green account live for 14 months, in retention
    today = recompute.organization_today(org)
    with in_scope(org):
        contact = ContactFactory(
            account__organization=org,
            account__go_live_date=today - timedelta(days=430),
            account__stage=Stage.RETENTION,
            account__health_band=HealthBand.GREEN,
        )
        survey = SurveyFactory(organization=org, kind="nps")

    # When the contact answers 9
    _answer(org, survey, contact, 9, django_capture_on_commit_callbacks)

    # Then the stage engine moves the account to advocacy at once
    with in_scope(org):
        contact.account.refresh_from_db()
        assert contact.account.stage == Stage.ADVOCACY


@pytest.mark.parametrize(
    ("band", "score", "days_ago", "opened"),
    [
        (HealthBand.GREEN, 9, 3, True),
        (HealthBand.GREEN, 10, 29, True),
        (HealthBand.GREEN, 9, 31, False),  # no longer a fresh promoter
        (HealthBand.GREEN, 8, 3, False),  # passive
        (HealthBand.YELLOW, 10, 3, False),  # green accounts only
    ],
)
def test_a_fresh_nps_promoter_in_green_health_opens_one_expansion(
    org, in_scope, band, score, days_ago, opened
):
    today = recompute.organization_today(org)
    with in_scope(org):
        account = AccountFactory(organization=org, health_band=band)
        SurveyResponseFactory(
            organization=org,
            contact__account=account,
            account=account,
            score=score,
            answered_at=timezone.now() - timedelta(days=days_ago),
        )

        expansion_triggers_evaluate(organization=org, today=today)
        expansion_triggers_evaluate(organization=org, today=today)

        expansions = list(
            Opportunity.objects.filter(kind=OpportunityKind.EXPANSION).values_list(
                "account_id", "trigger"
            )
        )
    assert expansions == ([(account.pk, ExpansionTrigger.PROMOTER.value)] if opened else [])


def test_a_csat_promoter_is_not_an_expansion_promoter(org, in_scope):
    with in_scope(org):
        account = AccountFactory(organization=org, health_band=HealthBand.GREEN)
        SurveyResponseFactory(
            organization=org,
            survey__kind="csat",
            contact__account=account,
            account=account,
            score=5,
        )
        assert (
            expansion_triggers_evaluate(organization=org, today=recompute.organization_today(org))
            == 0
        )
