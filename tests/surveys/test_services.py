from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from surveys import services
from surveys.models import Survey, SurveyResponse
from surveys.services import surveys as survey_settings
from surveys.signals import survey_answered
from tenancy.models import AuditEvent
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.surveys.factories import (
    SurveyFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
)


@pytest.fixture
def answered(django_capture_on_commit_callbacks):
    """Collect survey_answered sends (kwargs without the signal itself)."""
    calls = []

    def receiver(sender, **kwargs):
        kwargs.pop("signal")
        calls.append((sender, kwargs))

    survey_answered.connect(receiver, weak=False)
    yield calls
    survey_answered.disconnect(receiver)


def _record(org, survey, account, **kwargs):
    values = {"score": 9, "source": "api", **kwargs}
    return services.survey_response_record(
        organization=org, survey=survey, account=account, **values
    )


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [("nps", [0, 10], [-1, 11]), ("csat", [1, 5], [0, 6]), ("ces", [1, 7], [0, 8])],
)
def test_score_is_validated_by_kind(kind, good, bad, org, in_scope):
    with in_scope(org):
        survey = SurveyFactory(organization=org, kind=kind)
        account = AccountFactory(organization=org)
        for score in good:
            assert _record(org, survey, account, score=score).score == score
        for score in [*bad, "9", None, 7.5, True]:
            with pytest.raises(ValidationError) as error:
                _record(org, survey, account, score=score)
            assert error.value.error_dict["score"][0].code == "invalid_score"
        assert SurveyResponse.objects.count() == 2


def test_record_sends_the_signal_once_after_commit_and_audits(
    org, in_scope, answered, django_capture_on_commit_callbacks
):
    with in_scope(org):
        survey = SurveyFactory(organization=org, kind="csat")
        contact = ContactFactory(account__organization=org)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = _record(
                org, survey, contact.account, contact=contact, score=2, comment=" slow "
            )
        assert answered == []  # nothing before commit
        for callback in callbacks:
            callback()

        assert answered == [
            (
                SurveyResponse,
                {
                    "organization": org,
                    "response_id": response.id,
                    "account_id": contact.account_id,
                    "kind": "csat",
                    "score": 2,
                    "created": True,
                },
            )
        ]
        assert response.comment == "slow"
        assert response.kind == "csat"
        event = AuditEvent.objects.get(action="survey_response.recorded")
        assert event.after == {
            "score": 2,
            "comment": "slow",
            "kind": "csat",
            "source": "api",
            "survey": survey.id,
        }


def test_bad_input_is_refused_with_field_codes(org, in_scope):
    with in_scope(org):
        survey = SurveyFactory(organization=org)
        account = AccountFactory(organization=org)
        other_contact = ContactFactory(account__organization=org)
        with pytest.raises(ValidationError) as error:
            _record(
                org,
                survey,
                account,
                comment="x" * 2001,
                answered_at=timezone.now() + timedelta(hours=1),
            )
        assert {k: [e.code for e in v] for k, v in error.value.error_dict.items()} == {
            "comment": ["max_length"],
            "answered_at": ["in_future"],
        }
        with pytest.raises(ValidationError) as error:
            _record(org, survey, account, contact=other_contact)
        assert error.value.error_dict["contact"][0].code == "contact_not_in_account"
        survey.active = False
        survey.save()
        with pytest.raises(ValidationError) as error:
            _record(org, survey, account)
        assert error.value.code == "survey_inactive"
        assert SurveyResponse.objects.count() == 0


def test_objects_of_another_organization_are_refused(org, other_org, in_scope):
    from django.core.exceptions import PermissionDenied

    with in_scope(org):
        survey = SurveyFactory(organization=other_org)
        account = AccountFactory(organization=org)
        with pytest.raises(PermissionDenied):
            _record(org, survey, account)


def test_link_answer_then_edit_within_24_hours(
    org, in_scope, answered, django_capture_on_commit_callbacks
):
    with in_scope(org):
        invitation = SurveyInvitationFactory(organization=org, raw_token="tok-abc")
        with django_capture_on_commit_callbacks(execute=True):
            first = services.survey_response_answer(token="tok-abc", score=6, comment="")
        with django_capture_on_commit_callbacks(execute=True):
            second = services.survey_response_answer(token="tok-abc", score=9, comment="better")

        assert second.id == first.id
        assert SurveyResponse.objects.count() == 1
        response = SurveyResponse.objects.get()
        assert (response.score, response.comment, response.source) == (9, "better", "link")
        assert response.invitation_id == invitation.id
        assert response.contact_id == invitation.contact_id
        assert [(kw["score"], kw["created"]) for _, kw in answered] == [(6, True), (9, False)]
        edited = AuditEvent.objects.get(action="survey_response.edited")
        assert edited.before == {"score": 6, "comment": "", "kind": "nps"}
        assert edited.after == {"score": 9, "comment": "better", "kind": "nps"}


def test_edit_after_24_hours_is_refused(org, in_scope, answered):
    with in_scope(org):
        invitation = SurveyInvitationFactory(organization=org, raw_token="tok-old")
        SurveyResponseFactory(
            organization=org,
            survey=invitation.survey,
            invitation=invitation,
            contact=invitation.contact,
            account=invitation.account,
            score=3,
            answered_at=timezone.now() - timedelta(hours=24, seconds=1),
        )
        with pytest.raises(ValidationError) as error:
            services.survey_response_answer(token="tok-old", score=10, comment="")
        assert error.value.code == "edit_window_closed"
        assert SurveyResponse.objects.get().score == 3
        assert answered == []


def test_expired_unknown_and_inactive_links_are_all_invalid(org, in_scope):
    with in_scope(org):
        SurveyInvitationFactory(
            organization=org, raw_token="tok-expired", expires_at=timezone.now()
        )
        closed = SurveyInvitationFactory(organization=org, raw_token="tok-closed")
        closed.survey.active = False
        closed.survey.save()
        for token in ("tok-expired", "tok-closed", "tok-unknown", "", "x" * 500):
            with pytest.raises(services.InvalidSurveyLinkError):
                services.survey_response_answer(token=token, score=9, comment="")
        assert SurveyResponse.objects.count() == 0


def test_survey_create_update_audited_and_kind_locked_with_answers(org, member, in_scope):
    actor = member("manager").user
    with in_scope(org):
        survey = services.survey_create(
            organization=org, name=" Relationship NPS ", kind="nps", actor=actor
        )
        assert survey.name == "Relationship NPS"
        services.survey_update(organization=org, survey=survey, actor=actor, kind="csat")
        survey.refresh_from_db()
        assert survey.kind == "csat"
        SurveyResponseFactory(organization=org, survey=survey, score=4)
        with pytest.raises(ValidationError) as error:
            services.survey_update(organization=org, survey=survey, actor=actor, kind="nps")
        assert error.value.error_dict["kind"][0].code == "kind_locked"
        services.survey_update(organization=org, survey=survey, actor=actor, active=False)
        actions = list(
            AuditEvent.objects.filter(target_type="survey")
            .order_by("id")
            .values_list("action", "after")
        )
        assert actions == [
            (
                "survey.created",
                {
                    "name": "Relationship NPS",
                    "kind": "nps",
                    "question_en": "",
                    "question_pt_br": "",
                    "active": True,
                    "auto_trigger": "",
                    "delay_days": 30,
                    "period_days": 180,
                },
            ),
            ("survey.updated", {"kind": "csat"}),
            ("survey.updated", {"active": False}),
        ]


def test_two_managers_switching_the_same_trigger_on_at_once_get_the_clear_message(
    org, in_scope, monkeypatch
):
    # Given a periodic survey that another manager saved after this one's check ran
    with in_scope(org):
        SurveyFactory(organization=org, name="Theirs", auto_trigger="periodic", period_days=180)
        real_check = survey_settings._trigger_taken_check
        calls = []

        def check_that_missed_the_race(**kwargs):
            calls.append(kwargs)
            if len(calls) > 1:
                real_check(**kwargs)

        monkeypatch.setattr(survey_settings, "_trigger_taken_check", check_that_missed_the_race)

        # When this one is saved, the database's constraint refuses it
        with pytest.raises(ValidationError) as error:
            services.survey_create(
                organization=org, name="Mine", kind="nps", auto_trigger="periodic", period_days=90
            )

        # Then the manager gets the same message as without the race, and nothing is saved
        assert error.value.error_dict["auto_trigger"][0].code == "trigger_taken"
        assert list(Survey.objects.values_list("name", flat=True)) == ["Theirs"]
