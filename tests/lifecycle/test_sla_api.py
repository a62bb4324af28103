"""API: accounts past an SLA (`/api/v1/sla-breaches/`): fields, filters, cursor pages, 400s
and a query count independent of the number of accounts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Stage
from tenancy.models import ApiKey, Role
from tenancy.timezones import organization_today
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_followup import FollowUpFactory
from tests.renewals.factories import ContractFactory
from tests.tenancy.factories import ApiKeyFactory

URL = "/api/v1/sla-breaches/"


@pytest.fixture
def api(org, api_client_for):
    return api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.READ))


def _late_onboarding(org, **kwargs):
    today = organization_today(org)
    return AccountFactory(
        organization=org,
        stage=Stage.ONBOARDING,
        go_live_date=today - timedelta(days=120),
        stage_entered_at=timezone.now() - timedelta(days=130, hours=1),
        **kwargs,
    )


def _late_followup(org, stage=Stage.ADOPTION, **kwargs):
    account = AccountFactory(organization=org, stage=stage, **kwargs)
    FollowUpFactory(
        account=account, status="open", due_date=organization_today(org) - timedelta(days=4)
    )
    return account


def _stalled_renewal(org, **kwargs):
    today = organization_today(org)
    account = AccountFactory(organization=org, stage=Stage.RENEWAL, **kwargs)
    ContractFactory(
        account=account,
        start_date=today - timedelta(days=300),
        end_date=today + timedelta(days=20),
        status="active",
    )
    return account


def test_lists_each_breaching_account_with_its_flags(org, api, member):
    owner = member(Role.CSM)
    today = organization_today(org)
    account = _late_onboarding(
        org, owner=owner, name="Initech", external_id="CRM-7", arr_cents=1_500_000
    )
    AccountFactory(organization=org, stage=Stage.ADOPTION)  # on time: not listed

    response = api.get(URL)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": account.pk,
            "external_id": "CRM-7",
            "name": "Initech",
            "stage": "onboarding",
            "owner": owner.user.email,
            "days_in_stage": 130,
            "arr_cents": 1_500_000,
            "onboarding_overdue": True,
            "onboarding_overdue_since": (today - timedelta(days=30)).isoformat(),
            "followup_overdue": False,
            "followup_overdue_since": None,
            "renewal_stalled": False,
            "renewal_stalled_since": None,
        }
    ]


def test_follow_up_and_renewal_breaches_carry_their_dates(org, api):
    today = organization_today(org)
    late = _late_followup(org, owner=None)
    stalled = _stalled_renewal(org)

    rows = {row["id"]: row for row in api.get(URL).json()["results"]}

    assert rows[late.pk]["owner"] is None
    assert (rows[late.pk]["followup_overdue"], rows[late.pk]["followup_overdue_since"]) == (
        True,
        (today - timedelta(days=4)).isoformat(),
    )
    assert (rows[stalled.pk]["renewal_stalled"], rows[stalled.pk]["renewal_stalled_since"]) == (
        True,
        (today - timedelta(days=40)).isoformat(),
    )


def test_filters_by_owner_segment_stage_and_kind(org, api, member):
    csm = member(Role.CSM)
    onboarding = _late_onboarding(org, owner=csm, segment="enterprise")
    followup = _late_followup(org, segment="smb")
    renewal = _stalled_renewal(org, owner=csm, segment="smb")

    def ids(query):
        response = api.get(f"{URL}?{query}")
        assert response.status_code == 200
        return sorted(row["id"] for row in response.json()["results"])

    assert ids("") == sorted([onboarding.pk, followup.pk, renewal.pk])
    assert ids(f"owner={csm.pk}") == sorted([onboarding.pk, renewal.pk])
    assert ids("segment=smb") == sorted([followup.pk, renewal.pk])
    assert ids("stage=renewal") == [renewal.pk]
    assert ids("kind=onboarding") == [onboarding.pk]
    assert ids("kind=followup") == [followup.pk]
    assert ids("kind=renewal") == [renewal.pk]
    assert ids(f"kind=renewal&owner={csm.pk}&segment=enterprise") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=late", "kind"),
        ("stage=churned", "stage"),
        ("stage=nap", "stage"),
        ("segment=huge", "segment"),
        ("owner=abc", "owner"),
        ("owner=0", "owner"),
        ("owner=99999999999999999999", "owner"),
        ("page_size=abc&cursor=bm9wZQ", None),
    ],
)
def test_bad_filter_values_are_a_400_with_the_field(org, api, query, field):
    _late_onboarding(org)

    response = api.get(f"{URL}?{query}")

    if field is None:  # a malformed cursor is DRF's 404 "Invalid cursor"
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        return
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert [error["field"] for error in body["errors"]] == [field]


def test_cursor_pages_walk_every_breach_once(org, api):
    accounts = [_late_followup(org) for _ in range(5)]

    first = api.get(f"{URL}?page_size=2").json()
    seen = [row["id"] for row in first["results"]]
    next_url = first["next"]
    while next_url:
        page = api.get(next_url).json()
        seen += [row["id"] for row in page["results"]]
        next_url = page["next"]

    assert seen == sorted((account.pk for account in accounts), reverse=True)


def test_query_count_is_the_same_for_3_and_30_breaching_accounts(org, other_org, api_client_for):
    small_key = ApiKeyFactory(organization=org, scope=ApiKey.Scope.READ)
    big_key = ApiKeyFactory(organization=other_org, scope=ApiKey.Scope.READ)
    for organization, count in ((org, 3), (other_org, 30)):
        for index in range(count):
            [_late_onboarding, _late_followup, _stalled_renewal][index % 3](organization)
    small, big = api_client_for(small_key), api_client_for(big_key)
    small.get(URL)  # warm: last_used_at is written once a minute
    big.get(URL)

    with CaptureQueriesContext(connection) as small_queries:
        small_body = small.get(URL).json()
    with CaptureQueriesContext(connection) as big_queries:
        big_body = big.get(URL).json()

    assert (len(small_body["results"]), len(big_body["results"])) == (3, 30)
    assert len(small_queries) == len(big_queries)
    # key lookup, lifecycle settings, the page
    assert len(big_queries) == 3


def test_viewers_and_read_keys_read_it_anonymous_callers_do_not(org, member, client_for, api):
    from rest_framework.test import APIClient

    viewer = client_for(member(Role.VIEWER))

    assert viewer.get(URL).status_code == 200
    assert api.get(URL).status_code == 200
    assert APIClient().get(URL).status_code in (401, 403)
    assert api.post(URL, {}, format="json").status_code in (403, 405)
