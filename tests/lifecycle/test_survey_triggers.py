"""Automatic survey sends: after go-live and the periodic relationship survey
(lifecycle/services/survey_triggers.py)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Consent
from lifecycle.services.survey_triggers import (
    AFTER_GO_LIVE,
    survey_after_go_live_send,
    survey_periodic_due_contacts,
    survey_periodic_send,
)
from lifecycle.tasks_surveys import survey_periodic_sweep_task
from outreach.models import OutboundMessage
from surveys import services as survey_services
from surveys.models import Survey, SurveyInvitation
from tenancy.models import AuditEvent, ScheduledAction
from tenancy.tasks import scheduled_action_run_task
from tenancy.timezones import organization_today
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.surveys.factories import SurveyFactory, SurveyInvitationFactory

Status = ScheduledAction.Status
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
OPTED_IN = {"email_consent": Consent.OPTED_IN}


def _ten_local(day):
    return datetime.combine(day, time(10, 0), tzinfo=SAO_PAULO)


def _set_go_live(org, account, value):
    return account_services.account_update(
        organization=org, account=account, actor=None, go_live_date=value
    )


def _actions(org, in_scope):
    with in_scope(org):
        return list(
            ScheduledAction.objects.filter(kind=AFTER_GO_LIVE)
            .order_by("id")
            .values_list("subject", "status", "due_at")
        )


@pytest.fixture
def after_go_live(org):
    return SurveyFactory(organization=org, auto_trigger="after_go_live", delay_days=30)


# ---- scheduling --------------------------------------------------------------------------


def test_setting_moving_and_clearing_the_go_live_schedules_moves_and_cancels_one_row(
    org, in_scope, after_go_live
):
    account = AccountFactory(organization=org)
    today = organization_today(org)
    subject = f"{after_go_live.pk}:{account.pk}"

    with in_scope(org):
        _set_go_live(org, account, today)
    assert _actions(org, in_scope) == [
        (subject, Status.PENDING, _ten_local(today + timedelta(days=30)))
    ]

    with in_scope(org):
        _set_go_live(org, account, today + timedelta(days=5))
    assert _actions(org, in_scope) == [
        (subject, Status.PENDING, _ten_local(today + timedelta(days=35)))
    ]

    with in_scope(org):
        _set_go_live(org, account, None)
    assert _actions(org, in_scope) == [
        (subject, Status.CANCELLED, _ten_local(today + timedelta(days=35)))
    ]


def test_a_go_live_whose_send_moment_has_passed_schedules_nothing(org, in_scope, after_go_live):
    account = AccountFactory(organization=org)

    with in_scope(org):
        _set_go_live(org, account, organization_today(org) - timedelta(days=31))

    assert _actions(org, in_scope) == []


def test_without_an_after_go_live_survey_nothing_is_scheduled(org, in_scope):
    SurveyFactory(organization=org)  # manual only
    account = AccountFactory(organization=org)

    with in_scope(org):
        _set_go_live(org, account, organization_today(org))

    assert _actions(org, in_scope) == []


def test_switching_a_survey_on_schedules_only_future_moments_in_fixed_queries(org, in_scope):
    today = organization_today(org)
    future = [
        AccountFactory(organization=org, go_live_date=today - timedelta(days=days))
        for days in (0, 10, 29)
    ]
    AccountFactory(organization=org, go_live_date=today - timedelta(days=31))  # past
    AccountFactory(organization=org, go_live_date=None)
    AccountFactory(
        organization=org, go_live_date=today, churned_at=timezone.now()
    )  # churned: never
    survey = SurveyFactory(organization=org)

    with in_scope(org), CaptureQueriesContext(connection) as queries:
        survey_services.survey_update(
            organization=org, survey=survey, auto_trigger="after_go_live", delay_days=30
        )

    assert sorted(subject for subject, *_ in _actions(org, in_scope)) == sorted(
        f"{survey.pk}:{account.pk}" for account in future
    )
    small = len(queries)
    for _n in range(6):
        AccountFactory(organization=org, go_live_date=today)
    second = SurveyFactory(organization=org)
    with in_scope(org):
        survey_services.survey_update(organization=org, survey=survey, auto_trigger="")
        assert ScheduledAction.objects.filter(status=Status.PENDING).count() == 0
        with CaptureQueriesContext(connection) as queries:
            survey_services.survey_update(
                organization=org, survey=second, auto_trigger="after_go_live"
            )
        assert ScheduledAction.objects.filter(status=Status.PENDING).count() == 9
    assert len(queries) == small


def test_changing_the_delay_moves_the_rows_and_deactivating_cancels_them(
    org, in_scope, after_go_live
):
    today = organization_today(org)
    AccountFactory(organization=org, go_live_date=today)
    with in_scope(org):
        survey_services.survey_update(organization=org, survey=after_go_live, delay_days=60)
    assert [(status, due) for _s, status, due in _actions(org, in_scope)] == [
        (Status.PENDING, _ten_local(today + timedelta(days=60)))
    ]

    with in_scope(org):
        survey_services.survey_update(organization=org, survey=after_go_live, active=False)
    assert [status for _s, status, _d in _actions(org, in_scope)] == [Status.CANCELLED]


# ---- the handler -------------------------------------------------------------------------


def _run(org, in_scope, account):
    with in_scope(org):
        action = ScheduledAction.objects.get(kind=AFTER_GO_LIVE, subject__endswith=f":{account.pk}")
        ScheduledAction.objects.filter(pk=action.pk).update(status=Status.ENQUEUED)
    return scheduled_action_run_task(organization_id=org.id, action_id=action.pk)


def test_the_handler_invites_champions_and_admins_once_even_when_run_twice(
    org, in_scope, after_go_live
):
    account = AccountFactory(organization=org)
    champion = ContactFactory(account=account, role="champion", **OPTED_IN)
    admin = ContactFactory(
        account=account, role="admin", whatsapp_consent=Consent.OPTED_IN, email_consent="unknown"
    )
    ContactFactory(account=account, role="user", **OPTED_IN)  # not preferred
    ContactFactory(account=account, role="champion", email_consent=Consent.OPTED_OUT)
    with in_scope(org):
        _set_go_live(org, account, organization_today(org))

    assert _run(org, in_scope, account) == "done"
    assert _run(org, in_scope, account) == "done"  # handed back: nothing twice

    with in_scope(org):
        invited = sorted(SurveyInvitation.objects.values_list("contact_id", flat=True))
        assert invited == sorted([champion.pk, admin.pk])
        assert OutboundMessage.objects.filter(source="survey").count() == 2


def test_without_champions_or_admins_every_consenting_contact_is_invited(
    org, in_scope, after_go_live
):
    account = AccountFactory(organization=org, go_live_date=organization_today(org))
    users = [ContactFactory(account=account, role="user", **OPTED_IN) for _n in range(2)]
    ContactFactory(account=account, role="user", email_consent=Consent.OPTED_OUT)

    with in_scope(org):
        created = survey_after_go_live_send(
            organization=org, survey_id=after_go_live.pk, account_id=account.pk
        )
        assert created == 2
        assert sorted(SurveyInvitation.objects.values_list("contact_id", flat=True)) == sorted(
            contact.pk for contact in users
        )


def test_the_handler_respects_the_seven_day_cap_and_a_switched_off_survey(
    org, in_scope, after_go_live
):
    account = AccountFactory(organization=org, go_live_date=organization_today(org))
    recent = ContactFactory(account=account, **OPTED_IN)
    fresh = ContactFactory(account=account, **OPTED_IN)
    other = SurveyFactory(organization=org)
    SurveyInvitationFactory(organization=org, survey=other, contact=recent)

    with in_scope(org):
        survey_services.survey_update(organization=org, survey=after_go_live, auto_trigger="")
        assert (
            survey_after_go_live_send(
                organization=org, survey_id=after_go_live.pk, account_id=account.pk
            )
            == 0
        )
        survey_services.survey_update(
            organization=org, survey=after_go_live, auto_trigger="after_go_live"
        )
        assert (
            survey_after_go_live_send(
                organization=org, survey_id=after_go_live.pk, account_id=account.pk
            )
            == 1
        )
        assert list(
            SurveyInvitation.objects.filter(survey=after_go_live).values_list(
                "contact_id", flat=True
            )
        ) == [fresh.pk]


# ---- periodic ----------------------------------------------------------------------------


@pytest.fixture
def periodic(org):
    return SurveyFactory(organization=org, auto_trigger="periodic", period_days=30)


def _slot_contact(account, today, period, *, on_slot=True, **kwargs):
    """A contact whose id falls on today's first-send slot (or not)."""
    while True:
        contact = ContactFactory(account=account, **OPTED_IN, **kwargs)
        if (contact.pk % period == today.toordinal() % period) == on_slot:
            return contact
        contact.delete()


def test_the_periodic_sweep_picks_exactly_the_due_contacts(org, in_scope, periodic):
    now = timezone.now()
    today = organization_today(org)
    live = AccountFactory(organization=org, go_live_date=today - timedelta(days=100))
    young = AccountFactory(organization=org, go_live_date=today - timedelta(days=10))
    churned = AccountFactory(
        organization=org, go_live_date=today - timedelta(days=100), churned_at=now
    )
    old = ContactFactory(account=live, **OPTED_IN)
    SurveyInvitationFactory(organization=org, survey=periodic, contact=old)
    recent = ContactFactory(account=live, **OPTED_IN)
    SurveyInvitationFactory(organization=org, survey=periodic, contact=recent)
    capped = ContactFactory(account=live, **OPTED_IN)
    SurveyInvitationFactory(organization=org, survey=periodic, contact=capped)
    other = SurveyFactory(organization=org)
    SurveyInvitationFactory(organization=org, survey=other, contact=capped)
    with in_scope(org):
        SurveyInvitation.objects.filter(contact__in=[old, capped], survey=periodic).update(
            created_at=now - timedelta(days=31), expires_at=now - timedelta(days=1)
        )
    on_slot = _slot_contact(live, today, 30)
    _slot_contact(live, today, 30, on_slot=False)  # waits for its own day
    _slot_contact(young, today, 30)  # live for less than one period
    _slot_contact(churned, today, 30)
    opted_out = ContactFactory(account=live, email_consent=Consent.OPTED_OUT)
    SurveyInvitationFactory(organization=org, survey=periodic, contact=opted_out)
    with in_scope(org):
        SurveyInvitation.objects.filter(contact=opted_out).update(
            created_at=now - timedelta(days=60)
        )

    with in_scope(org):
        chosen = list(
            survey_periodic_due_contacts(organization=org, survey=periodic, now=now).values_list(
                "id", flat=True
            )
        )
        assert sorted(chosen) == sorted([old.pk, on_slot.pk])

        assert survey_periodic_send(organization=org, now=now) == 2
        assert survey_periodic_send(organization=org, now=now) == 0  # a second beat: nobody


def test_the_periodic_selection_is_one_query_whatever_the_number_of_accounts(
    org, in_scope, periodic
):
    now = timezone.now()
    today = organization_today(org)

    def book(size):
        for _n in range(size):
            account = AccountFactory(organization=org, go_live_date=today - timedelta(days=90))
            contact = ContactFactory(account=account, **OPTED_IN)
            SurveyInvitationFactory(organization=org, survey=periodic, contact=contact)
        with in_scope(org):
            SurveyInvitation.objects.update(created_at=now - timedelta(days=40))
            with CaptureQueriesContext(connection) as queries:
                chosen = list(
                    survey_periodic_due_contacts(organization=org, survey=periodic, now=now)
                )
        return len(chosen), len(queries)

    assert book(2) == (2, 1)
    assert book(8) == (10, 1)


def test_the_sweep_task_fans_out_to_organizations_with_a_periodic_survey(
    org, other_org, in_scope, periodic, monkeypatch
):
    from lifecycle import tasks_surveys

    sent = []
    monkeypatch.setattr(
        tasks_surveys, "enqueue_now", lambda task, **kwargs: sent.append(kwargs["organization_id"])
    )
    SurveyFactory(organization=other_org, auto_trigger="periodic", active=False)

    assert survey_periodic_sweep_task() == 1
    assert sent == [org.id]


# ---- settings: validation ----------------------------------------------------------------


def test_one_active_survey_per_trigger_kind_and_ranges_in_the_form(
    org, member, client_for, in_scope, after_go_live
):
    manager = client_for(member("manager"))
    base = {"name": "Onboarding CSAT", "kind": "csat", "active": "on"}

    taken = manager.post("/surveys/new/", {**base, "auto_trigger": "after_go_live"})
    assert taken.status_code == 400
    assert "is already sent this way" in taken.content.decode()

    for field, value, message in (
        ("delay_days", "0", "from 1 to 365"),
        ("delay_days", "366", "from 1 to 365"),
        ("period_days", "29", "from 30 to 730"),
        ("period_days", "731", "from 30 to 730"),
    ):
        response = manager.post("/surveys/new/", {**base, "auto_trigger": "periodic", field: value})
        assert response.status_code == 400, (field, value)
        assert message in response.content.decode()

    created = manager.post(
        "/surveys/new/", {**base, "auto_trigger": "periodic", "period_days": "90"}
    )
    assert created.status_code == 302
    with in_scope(org):
        survey = Survey.objects.get(name="Onboarding CSAT")
        assert (survey.auto_trigger, survey.period_days, survey.delay_days) == ("periodic", 90, 30)
        assert (
            AuditEvent.objects.get(action="survey.created", target_id=str(survey.pk)).after[
                "auto_trigger"
            ]
            == "periodic"
        )
    form = manager.get(f"/surveys/{survey.pk}/edit/").content.decode()
    assert "Automatic sending" in form
    detail = manager.get(f"/surveys/{survey.pk}/").content.decode()
    assert "every 90 days" in detail


def test_an_inactive_survey_does_not_hold_its_trigger(org, in_scope, after_go_live):
    with in_scope(org):
        survey_services.survey_update(organization=org, survey=after_go_live, active=False)
        second = survey_services.survey_create(
            organization=org, name="Onboarding NPS", kind="nps", auto_trigger="after_go_live"
        )
        assert second.auto_trigger == "after_go_live"
        with pytest.raises(Exception, match="already sent this way"):
            survey_services.survey_update(organization=org, survey=after_go_live, active=True)
