"""Renewals pages: the pipelines and opportunities (closing, stage changes, expansion)."""

from datetime import date

import pytest

from renewals.models import Contract, Opportunity, OpportunityStage
from tenancy.models import Role
from tests.accounts.factories import AccountFactory
from tests.renewals.factories import OpportunityFactory
from tests.renewals.view_helpers import _text
from tests.renewals.view_helpers import manager as manager  # pytest fixture

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# Pipelines and opportunities
# ---------------------------------------------------------------------------------------------
def test_csm_sees_their_book_by_default_and_managers_everything(org, member, client_for):
    csm = member(Role.CSM)
    mine = OpportunityFactory(
        contract__account=AccountFactory(organization=org, owner=csm, name="Mine Ltd")
    )
    OpportunityFactory(contract__account=AccountFactory(organization=org, name="Theirs Ltd"))

    csm_page = _text(client_for(csm).get("/renewals/"))
    csm_all = _text(client_for(csm).get("/renewals/?owner=all"))
    manager_page = _text(client_for(member(Role.MANAGER)).get("/renewals/"))

    assert "Mine Ltd" in csm_page
    assert "Theirs Ltd" not in csm_page
    assert "Theirs Ltd" in csm_all
    assert "Mine Ltd" in manager_page
    assert "Theirs Ltd" in manager_page
    assert mine.pk


def test_pipeline_groups_by_month_with_forecast(org, manager):
    a = OpportunityFactory(
        contract__account__organization=org,
        contract__end_date=date(2026, 1, 10),
        amount_cents=100_000,
    )
    OpportunityFactory(
        contract__account__organization=org,
        contract__end_date=date(2026, 1, 20),
        amount_cents=300_000,
        stage=OpportunityStage.COMMITTED,
    )
    OpportunityFactory(
        contract__account__organization=org,
        contract__end_date=date(2026, 2, 5),
        amount_cents=50_000,
    )

    response = manager.get("/renewals/")

    groups = response.context["groups"]
    assert [(g.month, g.count, g.amount_cents, g.forecast_cents) for g in groups] == [
        (date(2026, 1, 1), 2, 400_000, 100_000 * 50 // 100 + 300_000 * 90 // 100),
        (date(2026, 2, 1), 1, 50_000, 25_000),
    ]
    assert [o.amount_cents for o in groups[0].rows] == [300_000, 100_000]  # ARR at risk first
    assert a.pk


def test_pipeline_filters(org, manager):
    OpportunityFactory(
        contract__account=AccountFactory(organization=org, segment="enterprise", name="Big One")
    )
    OpportunityFactory(
        contract__account=AccountFactory(organization=org, segment="smb", name="Small One")
    )

    html = _text(manager.get("/renewals/?owner=all&segment=enterprise&stage=not_started"))

    assert "Big One" in html
    assert "Small One" not in html
    assert manager.get("/renewals/?segment=nonsense&page=abc").status_code == 200


def test_close_renewed_from_the_page(org, member, client_for, in_scope):
    opportunity = OpportunityFactory(contract__account__organization=org)
    browser = client_for(member(Role.CSM))

    response = browser.post(
        f"/opportunities/{opportunity.pk}/",
        {"action": "close", "outcome": "renewed", "arr": "15000.00", "end_date": "2027-06-01"},
    )

    assert response.status_code == 302
    with in_scope(org):
        successor = Contract.objects.get(renewed_from=opportunity.contract)
    assert (successor.arr_cents, successor.end_date) == (1_500_000, date(2027, 6, 1))


def test_close_downsell_without_lower_arr_is_a_form_error(org, member, client_for):
    opportunity = OpportunityFactory(contract__account__organization=org)

    response = client_for(member(Role.CSM)).post(
        f"/opportunities/{opportunity.pk}/", {"action": "close", "outcome": "downsell"}
    )

    assert response.status_code == 400
    assert "lower ARR" in _text(response)


def test_viewer_cannot_close(org, member, client_for):
    opportunity = OpportunityFactory(contract__account__organization=org)

    response = client_for(member(Role.VIEWER)).post(
        f"/opportunities/{opportunity.pk}/", {"action": "close", "outcome": "churned"}
    )

    assert response.status_code == 403


def test_stage_change_from_the_page(org, member, client_for, in_scope):
    opportunity = OpportunityFactory(contract__account__organization=org)

    response = client_for(member(Role.CSM)).post(
        f"/opportunities/{opportunity.pk}/", {"action": "stage", "stage": "committed"}
    )

    assert response.status_code == 302
    with in_scope(org):
        assert Opportunity.objects.get(pk=opportunity.pk).stage == "committed"


def test_expansion_from_account_360_and_pipeline(org, member, client_for, in_scope):
    account = AccountFactory(organization=org, external_id="EXP-1")
    browser = client_for(member(Role.CSM))

    from_account = browser.post(
        f"/accounts/{account.pk}/expansion/new/", {"title": "Seats", "amount": "1000"}
    )
    from_pipeline = browser.post(
        "/expansion/", {"account": "EXP-1", "title": "Add-on", "amount": "500.50"}
    )
    unknown = browser.post("/expansion/", {"account": "NOPE", "title": "x", "amount": "1"})

    assert (from_account.status_code, from_pipeline.status_code) == (302, 302)
    assert unknown.status_code == 400
    with in_scope(org):
        amounts = sorted(
            Opportunity.objects.filter(organization=org, kind="expansion").values_list(
                "amount_cents", flat=True
            )
        )
    assert amounts == [50_050, 100_000]
