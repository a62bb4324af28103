from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from lifecycle.models import Playbook, Task
from lifecycle.services.playbooks import playbook_fire, playbooks_seed_defaults
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_tasks import PlaybookFactory, PlaybookStepFactory


def _fire(org, ids, cause="c1", trigger="band_changed", value="red", **kwargs):
    with scope(organization=org):
        return playbook_fire(
            organization=org,
            trigger=trigger,
            trigger_value=value,
            account_ids=ids,
            cause_key=cause,
            **kwargs,
        )


def _seed(org):
    with scope(organization=org):
        return playbooks_seed_defaults(organization=org)


@pytest.fixture
def save_plan(org):
    playbook = PlaybookFactory(organization=org, trigger="band_changed", trigger_value="red")
    PlaybookStepFactory(playbook=playbook, order=1, title="Diagnose", due_offset_days=1)
    PlaybookStepFactory(
        playbook=playbook, order=2, title="Review", due_offset_days=5, assignee_rule="role:manager"
    )
    return playbook


def test_fire_creates_each_step_task_for_each_account(org, in_scope, save_plan, member):
    # given
    manager = member("manager")
    accounts = [AccountFactory(organization=org) for _ in range(2)]
    # when
    created = _fire(org, [a.pk for a in accounts])
    # then
    assert created == 4
    with in_scope(org):
        tasks = list(Task.objects.order_by("account_id", "step__order"))
    assert [(t.account_id, t.title, t.source) for t in tasks] == [
        (accounts[0].pk, "Diagnose", "playbook"),
        (accounts[0].pk, "Review", "playbook"),
        (accounts[1].pk, "Diagnose", "playbook"),
        (accounts[1].pk, "Review", "playbook"),
    ]
    assert [t.assignee_id for t in tasks] == [
        accounts[0].owner_id,
        manager.pk,
        accounts[1].owner_id,
        manager.pk,
    ]
    assert tasks[0].source_key == f"pb:{tasks[0].step_id}:{accounts[0].pk}:c1"
    assert tasks[0].playbook_id == save_plan.pk


def test_fire_twice_for_the_same_cause_creates_the_tasks_once(org, in_scope, save_plan):
    # given
    account = AccountFactory(organization=org)
    # when
    first = _fire(org, [account.pk], cause="band_changed:2026-01-05")
    second = _fire(org, [account.pk], cause="band_changed:2026-01-05")
    third = _fire(org, [account.pk], cause="band_changed:2026-02-01")
    # then
    assert (first, second, third) == (2, 0, 2)
    with in_scope(org):
        assert Task.objects.count() == 4


def test_fire_ignores_other_values_inactive_playbooks_and_churned_accounts(
    org, other_org, in_scope, save_plan
):
    # given
    PlaybookFactory(organization=org, trigger="band_changed", trigger_value="red", active=False)
    live = AccountFactory(organization=org)
    churned = AccountFactory(organization=org, stage="churned")
    foreign = AccountFactory(organization=other_org)
    # when
    yellow = _fire(org, [live.pk], value="yellow")
    red = _fire(org, [live.pk, churned.pk, foreign.pk])
    # then
    assert (yellow, red) == (0, 2)


def test_due_is_now_plus_offset(org, in_scope, save_plan):
    account = AccountFactory(organization=org)
    before = timezone.now()
    _fire(org, [account.pk])
    after = timezone.now()
    with in_scope(org):
        diagnose = Task.objects.get(title="Diagnose")
    assert before + timedelta(days=1) <= diagnose.due_at <= after + timedelta(days=1)


def test_assignee_falls_back_to_owner_then_first_manager(org, in_scope, member):
    # given: a role nobody holds, an account without owner
    playbook = PlaybookFactory(organization=org, trigger="score_dropped")
    PlaybookStepFactory(playbook=playbook, assignee_rule="role:admin")
    owned = AccountFactory(organization=org)
    orphan = AccountFactory(organization=org, owner=None)
    manager = member("manager")
    member("manager")
    # when
    _fire(org, [owned.pk, orphan.pk], trigger="score_dropped", value="")
    # then
    with in_scope(org):
        assignees = dict(Task.objects.values_list("account_id", "assignee_id"))
    assert assignees == {owned.pk: owned.owner_id, orphan.pk: manager.pk}


def test_query_count_is_the_same_for_1_and_50_accounts(org, in_scope, member):
    # given: one step (SQLite splits an INSERT above 999 parameters; PostgreSQL does not)
    playbook = PlaybookFactory(organization=org, trigger="score_dropped")
    PlaybookStepFactory(playbook=playbook, assignee_rule="role:manager")
    member("manager")
    one = [AccountFactory(organization=org).pk]
    fifty = [AccountFactory(organization=org).pk for _ in range(50)]
    # when
    with CaptureQueriesContext(connection) as small:
        assert _fire(org, one, trigger="score_dropped", value="") == 1
    with CaptureQueriesContext(connection) as large:
        assert _fire(org, fifty, trigger="score_dropped", value="") == 50
    # then
    assert len(small.captured_queries) == len(large.captured_queries) == 8


def test_renewal_reminders_are_due_120_90_60_30_days_before_the_end(org, in_scope):
    # given: the seeded defaults, a contract ending in 125 days
    _seed(org)
    account = AccountFactory(organization=org)
    today = date(2026, 3, 2)
    end = today + timedelta(days=125)
    # when
    created = _fire(
        org,
        [account.pk],
        "renewal",
        "renewal_window",
        "",
        anchor_dates={account.pk: end},
        today=today,
    )
    again = _fire(
        org,
        [account.pk],
        "renewal",
        "renewal_window",
        "",
        anchor_dates={account.pk: end},
        today=today,
    )
    # then
    tz = ZoneInfo(org.time_zone)
    assert (created, again) == (4, 0)
    with in_scope(org):
        dues = sorted(Task.objects.values_list("due_at", flat=True))
    assert [d.astimezone(tz) for d in dues] == [
        datetime.combine(end - timedelta(days=n), datetime.min.time(), tz).replace(hour=9)
        for n in (120, 90, 60, 30)
    ]


def test_passed_reminders_collapse_into_one_due_now(org, in_scope):
    # given: the window was entered late, 70 days before the end
    _seed(org)
    account = AccountFactory(organization=org)
    today = timezone.localdate(timezone.now(), timezone=ZoneInfo(org.time_zone))
    end = today + timedelta(days=70)
    # when
    created = _fire(
        org, [account.pk], "renewal", "renewal_window", "", anchor_dates={account.pk: end}
    )
    # then: the 90-day reminder now, then 60 and 30
    assert created == 3
    with in_scope(org):
        titles = list(Task.objects.order_by("due_at").values_list("title", flat=True))
    assert titles == [
        "Renewal in 90 days: value review with the sponsor",
        "Renewal in 60 days: send the renewal proposal",
        "Renewal in 30 days: confirm the decision and the paperwork",
    ]


def test_defaults_are_created_on_first_fire_and_seeding_is_idempotent(org, in_scope):
    account = AccountFactory(organization=org)
    created = _fire(org, [account.pk], trigger="followup_outcome", value="issue_found")
    assert created == 1
    assert _seed(org) == 0
    with in_scope(org):
        assert Playbook.objects.count() == 12
        task = Task.objects.get()
    assert (task.kind, task.title) == ("escalation", "Escalate the issue found in the follow-up")


def test_defaults_are_seeded_in_the_organization_language(org, in_scope):
    org.locale = "pt-br"
    org.save()
    _seed(org)
    with in_scope(org):
        names = set(Playbook.objects.values_list("name", flat=True))
    # Untranslated strings fall back to English until the lead fills the catalog.
    assert len(names) == 12


def test_unknown_trigger_is_refused(org):
    with pytest.raises(ValueError, match="unknown playbook trigger"):
        _fire(org, [1], trigger="nope")
