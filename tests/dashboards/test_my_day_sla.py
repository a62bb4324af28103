"""My day: the accounts of the book past an SLA (onboarding, follow-up, renewal)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Stage
from tenancy.models import Role
from tenancy.timezones import organization_today
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_followup import FollowUpFactory


def _late_followup(org, owner, **kwargs):
    account = AccountFactory(organization=org, owner=owner, stage=Stage.ADOPTION, **kwargs)
    FollowUpFactory(
        account=account, status="open", due_date=organization_today(org) - timedelta(days=3)
    )
    return account


def test_the_section_lists_the_books_breaches_with_since_when(org, member, client_for):
    csm = member(Role.CSM)
    today = organization_today(org)
    late = _late_followup(org, csm, name="Hooli", arr_cents=900)
    onboarding = AccountFactory(
        organization=org,
        owner=csm,
        name="Pied Piper",
        arr_cents=100,
        stage=Stage.ONBOARDING,
        go_live_date=today - timedelta(days=95),
        stage_entered_at=timezone.now() - timedelta(days=100, hours=1),
    )
    _late_followup(org, member(Role.CSM), name="Someone Else Inc")

    response = client_for(csm).get("/my-day/")

    day = response.context["day"]
    assert day.sla_accounts_count == 2
    assert [account.pk for account in day.sla_accounts] == [late.pk, onboarding.pk]
    assert [(b.kind, b.since) for b in day.sla_accounts[1].sla_breaches] == [
        ("onboarding", today - timedelta(days=5))
    ]
    assert day.sla_accounts[1].days_in_stage == 100
    content = response.content.decode()
    assert 'id="count-sla">2<' in content
    assert "Someone Else Inc" not in content
    assert "Follow-up overdue" in content
    since = date_format(today - timedelta(days=3), "SHORT_DATE_FORMAT")
    assert f"since {since}" in content
    assert "100 days in stage" in content
    assert 'title="Still onboarding more than 90 days after go-live."' in content


def test_no_breach_shows_the_empty_state(org, member, client_for):
    csm = member(Role.CSM)
    AccountFactory(organization=org, owner=csm, stage=Stage.ADOPTION)

    response = client_for(csm).get("/my-day/")

    assert response.context["day"].sla_accounts_count == 0
    assert b"No account in this book is past an SLA" in response.content
    assert b'id="count-sla">0<' in response.content


def test_unassigned_work_shows_breaches_of_accounts_without_owner(org, member, client_for):
    _late_followup(org, None, name="Orphan Ltd")
    _late_followup(org, member(Role.CSM), name="Owned Ltd")

    response = client_for(member(Role.MANAGER)).get("/my-day/?member=unassigned")

    assert [account.name for account in response.context["day"].sla_accounts] == ["Orphan Ltd"]


def test_a_long_list_says_how_many_more_and_links_the_board(org, member, client_for):
    csm = member(Role.CSM)
    for index in range(9):
        _late_followup(org, csm, arr_cents=index)

    response = client_for(csm).get("/my-day/")

    assert len(response.context["day"].sla_accounts) == 8
    assert b"Showing the 8 largest by ARR of 9." in response.content
    assert f'href="/lifecycle/?owner={csm.pk}"'.encode() in response.content
