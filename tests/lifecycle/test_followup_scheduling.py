"""The 7-day follow-up is scheduled exactly once per go-live (lifecycle/services/followup.py)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts import services as account_services
from accounts.csv_io import KIND_ACCOUNTS, csv_import
from accounts.models import Consent
from lifecycle.models import FollowUp, Task
from lifecycle.services.followup import organization_today
from tenancy.models import ScheduledAction
from tenancy.tasks import scheduled_action_run_task, scheduled_actions_dispatch_task
from tests.accounts.factories import AccountFactory, ContactFactory

Status = ScheduledAction.Status
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def _set_go_live(org, account, value):
    return account_services.account_update(
        organization=org, account=account, actor=None, go_live_date=value
    )


def _state(org, in_scope):
    with in_scope(org):
        return (
            list(FollowUp.objects.values_list("status", "go_live_date", "due_date")),
            list(ScheduledAction.objects.values_list("kind", "status", "due_at")),
            Task.objects.count(),
        )


def test_setting_a_future_go_live_schedules_one_followup_at_nine_local(org, in_scope):
    account = AccountFactory(organization=org)
    go_live = organization_today(org) + timedelta(days=10)

    with in_scope(org):
        _set_go_live(org, account, go_live)

    followups, actions, tasks = _state(org, in_scope)
    assert followups == [("scheduled", go_live, go_live + timedelta(days=7))]
    assert actions == [
        (
            "followup.start",
            Status.PENDING,
            datetime.combine(go_live, datetime.min.time().replace(hour=9), tzinfo=SAO_PAULO),
        )
    ]
    assert tasks == 0


def test_editing_the_go_live_before_the_start_moves_the_same_rows(org, in_scope):
    account = AccountFactory(organization=org)
    first = organization_today(org) + timedelta(days=10)
    second = first + timedelta(days=5)

    with in_scope(org):
        _set_go_live(org, account, first)
        _set_go_live(org, account, second)

    followups, actions, _tasks = _state(org, in_scope)
    assert followups == [("scheduled", second, second + timedelta(days=7))]
    assert len(actions) == 1
    assert actions[0][1] == Status.PENDING
    assert actions[0][2].astimezone(SAO_PAULO).date() == second


def test_clearing_the_go_live_cancels_both_and_setting_it_again_revives_them(org, in_scope):
    account = AccountFactory(organization=org)
    go_live = organization_today(org) + timedelta(days=3)

    with in_scope(org):
        _set_go_live(org, account, go_live)
        _set_go_live(org, account, None)
        cleared = _state(org, in_scope)
        _set_go_live(org, account, go_live)
    revived = _state(org, in_scope)

    assert [row[0] for row in cleared[0]] == ["cancelled"]
    assert [row[1] for row in cleared[1]] == [Status.CANCELLED]
    assert [row[0] for row in revived[0]] == ["scheduled"]
    assert [row[1] for row in revived[1]] == [Status.PENDING]


def test_a_go_live_whose_window_has_passed_schedules_nothing(org, in_scope):
    account = AccountFactory(organization=org)

    with in_scope(org):
        _set_go_live(org, account, organization_today(org) - timedelta(days=8))

    assert _state(org, in_scope) == ([], [], 0)


def test_a_go_live_earlier_today_is_due_now_and_the_beat_twice_opens_one_task_and_message(
    org, in_scope, django_capture_on_commit_callbacks
):
    # Given an owned account with a primary contact who opted in to email
    account = AccountFactory(organization=org, name="Globex")
    ContactFactory(account=account, is_primary=True, email_consent=Consent.OPTED_IN, locale="en")
    with in_scope(org):
        _set_go_live(org, account, organization_today(org) - timedelta(days=1))

    # When the beat fires twice
    with django_capture_on_commit_callbacks(execute=True):
        scheduled_actions_dispatch_task()
    with django_capture_on_commit_callbacks(execute=True):
        scheduled_actions_dispatch_task()

    # Then one task for the owner and one welcome message exist
    from outreach.models import OutboundMessage

    with in_scope(org):
        followup = FollowUp.objects.get()
        task = Task.objects.get()
        messages = list(OutboundMessage.objects.values_list("dedupe_key", "template_key"))
        action = ScheduledAction.objects.get()
    assert followup.status == "open"
    assert followup.task_id == task.pk
    assert (task.kind, task.source, task.source_key) == (
        "follow_up",
        "follow_up",
        f"followup:{followup.pk}",
    )
    assert task.assignee_id == account.owner_id
    assert task.due_at == datetime.combine(
        followup.due_date, datetime.min.time().replace(hour=18), tzinfo=SAO_PAULO
    )
    assert messages == [(f"followup:{followup.pk}:welcome", "followup.welcome")]
    assert (action.status, action.attempts) == (Status.DONE, 1)


def test_a_retried_start_task_opens_nothing_twice(org, in_scope):
    account = AccountFactory(organization=org)
    with in_scope(org):
        _set_go_live(org, account, organization_today(org))
        action = ScheduledAction.objects.get()
        ScheduledAction.objects.filter(pk=action.pk).update(status=Status.ENQUEUED)

    first = scheduled_action_run_task(organization_id=org.id, action_id=action.pk)
    # The broker redelivers; and the reaper/admin even hands the row back once more
    second = scheduled_action_run_task(organization_id=org.id, action_id=action.pk)
    with in_scope(org):
        ScheduledAction.objects.filter(pk=action.pk).update(status=Status.ENQUEUED)
    third = scheduled_action_run_task(organization_id=org.id, action_id=action.pk)

    assert (first, second, third) == ("done", "skipped", "done")
    with in_scope(org):
        assert Task.objects.count() == 1
        assert FollowUp.objects.get().status == "open"


def test_editing_the_go_live_after_the_start_creates_no_second_followup(
    org, in_scope, django_capture_on_commit_callbacks
):
    account = AccountFactory(organization=org)
    with in_scope(org):
        _set_go_live(org, account, organization_today(org))
    with django_capture_on_commit_callbacks(execute=True):
        scheduled_actions_dispatch_task()

    with in_scope(org):
        _set_go_live(org, account, organization_today(org) + timedelta(days=20))
        _set_go_live(org, account, None)
    with django_capture_on_commit_callbacks(execute=True):
        scheduled_actions_dispatch_task()

    followups, actions, tasks = _state(org, in_scope)
    assert [row[0] for row in followups] == ["open"]
    assert [row[1] for row in actions] == [Status.DONE]
    assert tasks == 1


def test_an_account_without_owner_gets_an_unassigned_task(
    org, in_scope, django_capture_on_commit_callbacks
):
    account = AccountFactory(organization=org, owner=None)
    with in_scope(org):
        _set_go_live(org, account, organization_today(org))
    with django_capture_on_commit_callbacks(execute=True):
        scheduled_actions_dispatch_task()

    with in_scope(org):
        assert list(Task.objects.values_list("assignee_id", flat=True)) == [None]


def test_an_opted_out_contact_is_never_messaged(org, in_scope, django_capture_on_commit_callbacks):
    from outreach.models import OutboundMessage

    account = AccountFactory(organization=org)
    ContactFactory(
        account=account,
        is_primary=True,
        email_consent=Consent.OPTED_OUT,
        whatsapp_consent=Consent.OPTED_OUT,
    )
    with in_scope(org):
        _set_go_live(org, account, organization_today(org))
    with django_capture_on_commit_callbacks(execute=True):
        scheduled_actions_dispatch_task()

    with in_scope(org):
        message = OutboundMessage.objects.get()
        followup = FollowUp.objects.get()
    assert message.status == "skipped"
    assert message.sent_at is None
    assert followup.message_id == message.pk
    with in_scope(org):
        assert Task.objects.count() == 1


def test_creating_an_account_with_a_go_live_schedules_it(org, in_scope):
    with in_scope(org):
        account = account_services.account_create(
            organization=org, actor=None, name="New Co", go_live_date=organization_today(org)
        )
        assert FollowUp.objects.get().account_id == account.pk
        assert ScheduledAction.objects.get().subject == str(account.pk)


def test_a_csv_import_schedules_its_go_lives_in_one_batch(org, member, in_scope):
    today = organization_today(org)
    existing = AccountFactory(
        organization=org, name="Alpha", external_id="ACC-1", go_live_date=None
    )
    csv = (
        "external_id,name,go_live_date\n"
        f"ACC-1,{existing.name},{today.isoformat()}\n"
        f"ACC-2,Beta,{(today + timedelta(days=2)).isoformat()}\n"
        f"ACC-3,Gamma,{(today - timedelta(days=100)).isoformat()}\n"
        "ACC-4,Delta,\n"
    )
    from accounts.signals import go_live_changed

    calls = []
    go_live_changed.connect(
        lambda sender, **kwargs: calls.append(len(kwargs["changes"])),
        weak=False,
        dispatch_uid="test-count",
    )
    try:
        with in_scope(org):
            report = csv_import(
                organization=org,
                actor=member("csm").user,
                kind=KIND_ACCOUNTS,
                content=csv.encode(),
            )
    finally:
        go_live_changed.disconnect(dispatch_uid="test-count")

    assert report.file_error is None, report.file_error
    assert (report.created, report.updated) == (3, 1), report
    assert calls == [3]
    with in_scope(org):
        assert sorted(FollowUp.objects.values_list("account__external_id", flat=True)) == [
            "ACC-1",
            "ACC-2",
        ]
        assert ScheduledAction.objects.count() == 2


def test_organization_today_uses_its_time_zone(org):
    assert organization_today(org) == timezone.localdate(timezone.now(), SAO_PAULO)
    assert isinstance(organization_today(org), date)
