"""Pages of the stage engine: the board (fixed query count), the manual stage change, the
settings page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, Stage
from lifecycle.models import LifecycleSettings, StageHold, StageTransition
from renewals.models import RenewalSettings
from tenancy.models import AuditEvent, Role
from tests.accounts.factories import AccountFactory
from tests.lifecycle.factories_stages import StageHoldFactory, StageTransitionFactory


@pytest.fixture
def csm(member):
    return member(Role.CSM)


@pytest.fixture
def browser(csm, client_for):
    return client_for(csm)


def _board_data(org, owner, count):
    now = timezone.now()
    for index in range(count):
        stage = [Stage.ONBOARDING, Stage.ADOPTION, Stage.RENEWAL, Stage.CHURNED][index % 4]
        account = AccountFactory(
            organization=org,
            owner=owner,
            stage=stage,
            arr_cents=1000 * (index + 1),
            go_live_date=(now - timedelta(days=200)).date(),
            stage_entered_at=now - timedelta(days=index + 1),
        )
        if index % 5 == 0:
            StageHoldFactory(account=account, stage=stage)


def test_board_shows_counts_arr_and_overdue_with_a_fixed_query_count(
    org, csm, browser, member, client_for
):
    viewer = client_for(member(Role.VIEWER))
    _board_data(org, csm, 8)
    viewer.get("/lifecycle/")  # warm the session/caches
    with CaptureQueriesContext(connection) as small:
        response = viewer.get("/lifecycle/")
    _board_data(org, csm, 40)

    with CaptureQueriesContext(connection) as large:
        larger = viewer.get("/lifecycle/")

    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    columns = {c.stage: c for c in larger.context["board"].columns}
    assert (columns["onboarding"].count, columns["adoption"].count) == (12, 12)
    assert columns["onboarding"].overdue == 12  # live 200 days > 90 without first value
    assert columns["onboarding"].arr_cents == sum(1000 * (i + 1) for i in range(0, 8, 4)) + sum(
        1000 * (i + 1) for i in range(0, 40, 4)
    )
    assert len(columns["adoption"].accounts) == 8  # top N by ARR, then "view all"
    assert columns["adoption"].more == 4
    assert larger.context["board"].churned == 12
    assert b'href="/accounts/?stage=adoption"' in larger.content


def test_board_filters_by_owner_and_segment(org, csm, browser, member):
    other = member(Role.CSM)
    AccountFactory(organization=org, owner=csm, stage=Stage.ADOPTION, segment="smb")
    AccountFactory(organization=org, owner=other, stage=Stage.ADOPTION, segment="enterprise")

    mine = browser.get(f"/lifecycle/?owner={csm.pk}").context["board"]
    enterprise = browser.get("/lifecycle/?segment=enterprise").context["board"]
    junk = browser.get("/lifecycle/?owner=abc&segment=<script>")

    assert mine.total == 1
    assert enterprise.total == 1
    assert junk.status_code == 200
    assert junk.context["board"].total == 2


def test_board_empty_state(org, browser):
    response = browser.get("/lifecycle/")

    assert response.status_code == 200
    assert b"No accounts yet" in response.content


def test_manual_stage_change_page_requires_a_reason(org, browser, in_scope):
    account = AccountFactory(organization=org, stage=Stage.ADOPTION)

    page = browser.get(f"/accounts/{account.pk}/stage/")
    missing = browser.post(f"/accounts/{account.pk}/stage/", {"to_stage": "renewal", "reason": " "})
    bad_stage = browser.post(f"/accounts/{account.pk}/stage/", {"to_stage": "nap", "reason": "x"})

    assert page.status_code == 200
    assert missing.status_code == 400
    assert b"Say why the stage changes." in missing.content
    assert bad_stage.status_code == 400
    with in_scope(org):
        account.refresh_from_db()
        assert account.stage == Stage.ADOPTION
        assert not StageTransition.objects.filter(organization=org).exists()


def test_manual_stage_change_and_release_from_the_page(org, csm, browser, in_scope):
    account = AccountFactory(organization=org, stage=Stage.ADOPTION)

    changed = browser.post(
        f"/accounts/{account.pk}/stage/",
        {"action": "set", "to_stage": "advocacy", "reason": "Case study signed"},
    )
    page = browser.get(f"/accounts/{account.pk}/stage/")
    released = browser.post(f"/accounts/{account.pk}/stage/", {"action": "release"})

    assert changed.status_code == 302
    assert changed["Location"] == f"/accounts/{account.pk}/"
    assert b"Release the hold" in page.content
    assert b"Case study signed" in page.content
    assert released.status_code == 302
    with in_scope(org):
        actions = list(
            AuditEvent.objects.filter(organization=org)
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert not StageHold.objects.filter(organization=org).exists()
    assert actions == ["account.stage_changed", "account.stage_released"]


def test_viewers_cannot_change_stages(org, member, client_for):
    account = AccountFactory(organization=org)
    viewer = client_for(member(Role.VIEWER))

    assert viewer.get(f"/accounts/{account.pk}/stage/").status_code == 403
    assert (
        viewer.post(f"/accounts/{account.pk}/stage/", {"to_stage": "renewal", "reason": "x"})
    ).status_code == 403


def test_account_page_links_to_the_stage_change(org, browser):
    account = AccountFactory(organization=org)
    StageTransitionFactory(account=account)

    response = browser.get(f"/accounts/{account.pk}/")

    assert f'href="/accounts/{account.pk}/stage/"'.encode() in response.content


def test_settings_page_saves_windows_and_the_renewal_window(org, member, client_for, in_scope):
    admin = client_for(member(Role.ADMIN))
    data = {
        "renewal_window_days": "90",
        "onboarding_overdue_days": "60",
        "adoption_months": "6",
        "advocacy_min_tenure_months": "12",
        "promoter_lookback_days": "180",
        "renewal_inactivity_days": "45",
        "followup_days": "7",
    }

    bad = admin.post("/settings/lifecycle/", {**data, "renewal_window_days": "10"})
    good = admin.post("/settings/lifecycle/", data)

    assert bad.status_code == 400
    assert good.status_code == 302
    with in_scope(org):
        row = LifecycleSettings.objects.get(organization=org)
        window = RenewalSettings.objects.get(organization=org).renewal_window_days
        actions = set(AuditEvent.objects.filter(organization=org).values_list("action", flat=True))
    assert (row.onboarding_overdue_days, row.adoption_months, window) == (60, 6, 90)
    assert actions == {"lifecycle.settings_updated", "renewals.settings_updated"}


def test_settings_page_is_for_admins(org, browser):
    assert browser.get("/settings/lifecycle/").status_code == 403


def test_account_list_stage_filter_still_reads_engine_stages(org, browser):
    AccountFactory(organization=org, name="In renewal", stage=Stage.RENEWAL)

    response = browser.get("/accounts/?stage=renewal")

    assert [a.name for a in response.context["page"]] == ["In renewal"]
    assert Account  # the list is accounts' own page: the board links to it
