"""Account 360 timeline panel and touchpoint pages: roles, htmx logging, load more."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from lifecycle.models import Touchpoint
from tenancy.models import Role
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.lifecycle.factories_records import TouchpointFactory

pytestmark = pytest.mark.django_db


def _when(delta=timedelta(hours=-1)) -> str:
    """Wall-clock time in the organization's zone (the form reads it so)."""
    zone = ZoneInfo("America/Sao_Paulo")
    return (timezone.localtime(timezone.now(), zone) + delta).strftime("%Y-%m-%dT%H:%M")


def test_viewer_reads_the_panel_without_the_log_form(org, member, client_for):
    account = AccountFactory(organization=org)
    TouchpointFactory(account=account, summary="Kick-off call went well")

    response = client_for(member(Role.VIEWER)).get(f"/accounts/{account.pk}/timeline/")

    body = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="timeline-title">' in body
    assert "Kick-off call went well" in body
    assert "Log a touchpoint" not in body


def test_viewer_cannot_log(org, member, client_for, in_scope):
    account = AccountFactory(organization=org)

    response = client_for(member(Role.VIEWER)).post(
        f"/accounts/{account.pk}/touchpoints/new/",
        {"channel": "call", "direction": "outbound", "occurred_at": _when(), "summary": "x"},
    )

    assert response.status_code == 403
    with in_scope(org):
        assert Touchpoint.objects.count() == 0


def test_csm_logs_with_htmx_and_gets_the_panel_back(org, member, client_for, in_scope):
    account = AccountFactory(organization=org)
    contact = ContactFactory(account=account)
    csm = member(Role.CSM)

    response = client_for(csm).post(
        f"/accounts/{account.pk}/touchpoints/new/",
        {
            "channel": "meeting",
            "direction": "outbound",
            "contact": contact.pk,
            "occurred_at": _when(),
            "sentiment": "positive",
            "summary": "Walked through the reports",
        },
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Touchpoint logged." in body
    assert "Walked through the reports" in body
    with in_scope(org):
        row = Touchpoint.objects.get()
    assert (row.channel, row.contact, row.logged_by, row.sentiment) == (
        "meeting",
        contact,
        csm.user,
        "positive",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("summary", "", "Write what happened."),
        ("occurred_at", "future", "A touchpoint cannot be in the future."),
        ("occurred_at", "not a date", "Enter a valid date/time."),
        ("contact", "other", "Select a valid choice."),
    ],
)
def test_bad_input_shows_errors_and_saves_nothing(
    field, value, message, org, member, client_for, in_scope
):
    account = AccountFactory(organization=org)
    data = {"channel": "call", "direction": "outbound", "occurred_at": _when(), "summary": "ok"}
    if value == "future":
        value = _when(timedelta(days=1))
    if value == "other":
        value = ContactFactory(account=AccountFactory(organization=org)).pk
    data[field] = value
    browser = client_for(member(Role.CSM))

    htmx = browser.post(f"/accounts/{account.pk}/touchpoints/new/", data, HTTP_HX_REQUEST="true")
    plain = browser.post(f"/accounts/{account.pk}/touchpoints/new/", data)

    assert htmx.status_code == 200
    assert message in htmx.content.decode()
    assert plain.status_code == 400
    with in_scope(org):
        assert Touchpoint.objects.count() == 0


def test_load_more_returns_the_next_entries(org, member, client_for):
    account = AccountFactory(organization=org)
    now = timezone.now()
    for i in range(25):
        TouchpointFactory(
            account=account, summary=f"entry-{i:02d}", occurred_at=now - timedelta(hours=i)
        )
    browser = client_for(member(Role.VIEWER))

    first = browser.get(f"/accounts/{account.pk}/timeline/").content.decode()
    cursor = first.split("?cursor=")[1].split('"')[0]
    more = browser.get(f"/accounts/{account.pk}/timeline/?cursor={cursor}").content.decode()

    assert first.count('class="timeline-entry') == 20
    assert "entry-19" in first
    assert "entry-20" not in first
    assert more.count('class="timeline-entry') == 5
    assert "entry-20" in more
    assert "entry-24" in more
    assert "Load more" not in more


def test_panel_query_count_is_fixed(org, member, client_for, django_assert_max_num_queries):
    account = AccountFactory(organization=org)
    browser = client_for(member(Role.CSM))
    for _ in range(3):
        TouchpointFactory(account=account, logged_by=member(Role.CSM).user)
    small = _count(browser, account)
    for _ in range(27):
        TouchpointFactory(
            account=account,
            logged_by=member(Role.CSM).user,
            contact=ContactFactory(account=account),
        )

    assert _count(browser, account) == small


def _count(browser, account) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert browser.get(f"/accounts/{account.pk}/timeline/").status_code == 200
    return len(queries.captured_queries)


def test_only_the_author_or_a_manager_edits(org, member, client_for, in_scope):
    author, colleague, manager = member(Role.CSM), member(Role.CSM), member(Role.MANAGER)
    row = TouchpointFactory(account=AccountFactory(organization=org), logged_by=author.user)
    data = {"channel": "note", "direction": "internal", "occurred_at": _when(), "summary": "Edited"}

    assert client_for(colleague).get(f"/touchpoints/{row.pk}/edit/").status_code == 403
    assert client_for(colleague).post(f"/touchpoints/{row.pk}/delete/").status_code == 403
    assert client_for(author).post(f"/touchpoints/{row.pk}/edit/", data).status_code == 302
    with in_scope(org):
        assert Touchpoint.objects.get().summary == "Edited"
    assert client_for(manager).post(f"/touchpoints/{row.pk}/delete/").status_code == 302
    with in_scope(org):
        assert Touchpoint.objects.count() == 0
