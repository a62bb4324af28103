"""My day (dashboards): sections, counts, whose day, and a query count independent of the book."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lifecycle.services.followup import organization_today
from tenancy.models import Role
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_followup import FollowUpFactory
from tests.lifecycle.factories_tasks import TaskFactory

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def _today_at(org, hour):
    return datetime.combine(organization_today(org), time(hour), tzinfo=SAO_PAULO)


def _book(org, csm, size):
    """`size` accounts owned by `csm`, each with an overdue and a today task, an open
    follow-up, and a red band every other account."""
    today = organization_today(org)
    for index in range(size):
        account = AccountFactory(
            organization=org,
            owner=csm,
            health_band="red" if index % 2 else "green",
            health_score=20 if index % 2 else 80,
        )
        TaskFactory(
            organization=org,
            account=account,
            assignee=csm,
            due_at=_today_at(org, 10) - timedelta(days=2),
        )
        TaskFactory(organization=org, account=account, assignee=csm, due_at=_today_at(org, 23))
        FollowUpFactory(
            account=account, status="open", due_date=today + timedelta(days=index % 3 - 1)
        )


def test_a_csm_sees_their_sections_with_counts(org, member, client_for):
    csm = member(Role.CSM)
    _book(org, csm, 3)
    someone_else = member(Role.CSM)
    _book(org, someone_else, 2)

    response = client_for(csm).get("/my-day/")

    assert response.status_code == 200
    day = response.context["day"]
    assert (day.overdue_tasks_count, day.today_tasks_count) == (3, 3)
    assert (day.followups_count, day.followups_overdue_count) == (3, 1)
    assert day.red_accounts_count == 1
    assert response.context["members"] == []
    assert b'id="count-overdue">3<' in response.content


def test_query_count_is_the_same_for_a_book_of_5_and_of_200(org, member, client_for):
    small_csm, big_csm = member(Role.CSM), member(Role.CSM)
    _book(org, small_csm, 5)
    _book(org, big_csm, 200)
    small, big = client_for(small_csm), client_for(big_csm)
    small.get("/my-day/")  # warm the session and caches alike
    big.get("/my-day/")

    with CaptureQueriesContext(connection) as small_queries:
        small_response = small.get("/my-day/")
    with CaptureQueriesContext(connection) as big_queries:
        big_response = big.get("/my-day/")

    assert small_response.context["day"].overdue_tasks_count == 5
    assert big_response.context["day"].overdue_tasks_count == 200
    assert len(big_response.context["day"].overdue_tasks) == 8
    assert small_response.context["day"].sla_accounts_count == 2
    assert big_response.context["day"].sla_accounts_count == 67  # follow-ups due yesterday
    assert len(big_response.context["day"].sla_accounts) == 8
    assert len(small_queries) == len(big_queries)
    # session, user, membership, 11 for the sections, 2 for the accounts past an SLA
    # (lifecycle settings; the count and the rows together), the organization switcher
    assert len(big_queries) == 17


def test_a_manager_picks_a_csm_or_the_unassigned_work(org, member, client_for):
    manager = member(Role.MANAGER)
    csm = member(Role.CSM)
    _book(org, csm, 2)
    orphan = AccountFactory(organization=org, owner=None)
    FollowUpFactory(account=orphan, status="open", due_date=organization_today(org))
    browser = client_for(manager)

    own = browser.get("/my-day/")
    theirs = browser.get(f"/my-day/?member={csm.pk}")
    unassigned = browser.get("/my-day/?member=unassigned")

    assert own.context["day"].followups_count == 0
    assert theirs.context["day"].followups_count == 2
    assert unassigned.context["day"].followups_count == 1
    assert b"No owner" in unassigned.content
    assert browser.get("/my-day/?member=abc").status_code == 404
    assert browser.get("/my-day/?member=99999999999999999999").status_code == 404


def test_a_csm_cannot_look_at_someone_elses_day(org, member, client_for):
    csm, other = member(Role.CSM), member(Role.CSM)
    _book(org, other, 2)

    response = client_for(csm).get(f"/my-day/?member={other.pk}")

    assert response.status_code == 200
    assert response.context["day"].followups_count == 0


def test_an_empty_day_says_what_to_do(org, member, client_for):
    AccountFactory(organization=org)  # someone else's

    response = client_for(member(Role.CSM)).get("/my-day/")

    assert b"Nothing overdue, nothing due today and no follow-up waiting." in response.content
    assert b"When an account's go-live date is set" in response.content


def test_the_sections_fragment_reloads_after_an_outcome(org, member, client_for):
    csm = member(Role.CSM)
    _book(org, csm, 1)

    response = client_for(csm).get("/my-day/sections/")

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="followups"' in response.content


def test_stage_changes_of_the_last_7_days_are_listed(org, member, client_for):
    from lifecycle.models import StageTransition
    from tests.tenancy.factories import ScopedFactory

    class TransitionFactory(ScopedFactory):
        class Meta:
            model = StageTransition

    csm = member(Role.CSM)
    account = AccountFactory(organization=org, owner=csm, name="Stark")
    for days in (1, 3, 9):
        TransitionFactory(
            organization=org,
            account=account,
            from_stage="onboarding",
            to_stage="adoption",
            at=timezone.now() - timedelta(days=days),
            reason_code="manual",
            reason_text="moved",
        )

    response = client_for(csm).get("/my-day/")

    assert response.context["day"].stage_changes_count == 2
    assert b"Stark" in response.content


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CSM, Role.MANAGER, Role.OWNER])
def test_every_member_can_open_it(org, member, client_for, role):
    assert client_for(member(role)).get("/my-day/").status_code == 200


def test_a_new_workspace_is_asked_to_import_its_accounts(org, member, client_for):
    response = client_for(member(Role.OWNER)).get("/my-day/")

    assert b"No accounts yet" in response.content
    assert b"Import CSV" in response.content
    assert b'id="my-day"' not in response.content
