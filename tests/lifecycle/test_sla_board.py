"""Board and stage page: each SLA breach shows as its own badge with an explanation."""

from datetime import timedelta

from accounts.models import Stage
from tenancy.models import Role
from tenancy.timezones import organization_today
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_followup import FollowUpFactory
from tests.renewals.factories import ContractFactory


def test_board_card_shows_a_badge_per_breach(org, member, client_for):
    today = organization_today(org)
    account = AccountFactory(
        organization=org, stage=Stage.ONBOARDING, go_live_date=today - timedelta(days=91)
    )
    FollowUpFactory(account=account, status="open", due_date=today - timedelta(days=84))
    renewal = AccountFactory(organization=org, stage=Stage.RENEWAL)
    ContractFactory(
        account=renewal,
        start_date=today - timedelta(days=300),
        end_date=today + timedelta(days=10),
        status="active",
    )
    AccountFactory(organization=org, stage=Stage.ADOPTION)

    response = client_for(member(Role.VIEWER)).get("/lifecycle/")

    columns = {column.stage: column for column in response.context["board"].columns}
    assert (columns["onboarding"].overdue, columns["renewal"].overdue) == (1, 1)
    assert columns["adoption"].overdue == 0
    content = response.content.decode()
    assert content.count('class="lc-flag lc-flag-onboarding"') == 1
    assert content.count('class="lc-flag lc-flag-followup"') == 1
    assert content.count('class="lc-flag lc-flag-renewal"') == 1
    assert content.count('class="lc-card is-overdue"') == 2
    assert (
        'title="The follow-up after go-live is past its due date and no outcome was recorded."'
        in content
    )
    assert (
        'title="A contract ends within 60 days and the renewal saw no activity in the last '
        '60 days."' in content
    )


def test_stage_page_shows_the_follow_up_breach(org, member, client_for):
    account = AccountFactory(organization=org, stage=Stage.ADOPTION)
    FollowUpFactory(
        account=account, status="scheduled", due_date=organization_today(org) - timedelta(days=1)
    )

    response = client_for(member(Role.CSM)).get(f"/accounts/{account.pk}/stage/")

    assert response.status_code == 200
    assert response.context["sla"] == {
        "onboarding_overdue": False,
        "followup_overdue": True,
        "renewal_stalled": False,
    }
    assert b"Follow-up overdue" in response.content
