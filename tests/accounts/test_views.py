import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Contact
from tenancy.models import AuditEvent, Role
from tests.accounts.factories import AccountFactory, ContactFactory


@pytest.fixture
def csm(member):
    return member(Role.CSM)


@pytest.fixture
def browser(csm, client_for):
    return client_for(csm)


def _list_queries(browser, path="/accounts/"):
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(path)
    assert response.status_code == 200
    return len(captured), response


def test_account_list_query_count_does_not_grow_with_rows(org, browser):
    AccountFactory.create_batch(10, organization=org)
    few, response = _list_queries(browser)
    assert response.content.count(b'class="row-link"') == 10

    AccountFactory.create_batch(190, organization=org)
    many, response = _list_queries(browser)
    assert response.content.count(b'class="row-link"') == 50  # one page
    assert many == few


def test_account_list_filters_search_and_sorts(org, browser, csm):
    AccountFactory(organization=org, name="Alpha Varejo", stage="renewal", owner=csm)
    AccountFactory(
        organization=org, name="Beta Logística", stage="adoption", segment="enterprise", owner=None
    )
    AccountFactory(organization=org, name="Gama Saúde", stage="adoption", external_id="CRM-9")

    def names(query):
        content = browser.get(f"/accounts/?{query}").content.decode()
        return [n for n in ("Alpha Varejo", "Beta Logística", "Gama Saúde") if n in content]

    assert names("stage=adoption") == ["Beta Logística", "Gama Saúde"]
    assert names("q=varejo") == ["Alpha Varejo"]
    assert names("q=CRM-9") == ["Gama Saúde"]
    assert names(f"owner={csm.pk}") == ["Alpha Varejo"]
    assert names("owner=none") == ["Beta Logística"]
    assert names("segment=enterprise") == ["Beta Logística"]
    content = browser.get("/accounts/?sort=-name").content.decode()
    assert (
        content.index("Gama Saúde")
        < content.index("Beta Logística")
        < content.index("Alpha Varejo")
    )


def test_bad_filter_values_do_not_break_the_page(org, browser):
    response = browser.get("/accounts/?stage=<script>&owner=abc&page=999&sort=drop")
    assert response.status_code == 200


def test_htmx_request_gets_only_the_table(org, browser):
    AccountFactory(organization=org, name="Alpha Varejo")
    response = browser.get("/accounts/?q=alpha", HTTP_HX_REQUEST="true")
    assert b"Alpha Varejo" in response.content
    assert b"<html" not in response.content


def test_empty_state_invites_an_import(org, browser):
    response = browser.get("/accounts/")
    assert b"No accounts yet" in response.content
    assert b'href="/import/"' in response.content


def test_create_account_validates_and_saves(org, browser, csm, in_scope):
    AccountFactory(organization=org, external_id="TAKEN", name="Existing")

    invalid = browser.post(
        "/accounts/new/", {"name": "", "external_id": "TAKEN", "stage": "onboarding"}
    )
    assert invalid.status_code == 400
    assert b"This field is required." in invalid.content
    assert b"already uses this external ID" in invalid.content

    valid = browser.post(
        "/accounts/new/",
        {
            "name": "Nova Conta",
            "external_id": "NEW-1",
            "stage": "onboarding",
            "owner": csm.pk,
            "go_live_date": "2026-11-01",
        },
    )
    assert valid.status_code == 302
    with in_scope(org):
        account = Account.objects.get(external_id="NEW-1")
    assert valid["Location"] == f"/accounts/{account.pk}/"
    assert account.owner == csm


def test_owner_must_be_a_member_of_the_organization(org, other_org, browser, member):
    outsider = member(Role.CSM, organization=other_org)
    response = browser.post(
        "/accounts/new/", {"name": "X", "stage": "onboarding", "owner": outsider.pk}
    )
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content


def test_edit_audits_the_owner_and_ignores_a_posted_stage(org, browser, member, in_scope):
    # The stage belongs to the lifecycle engine (its own page, with a reason): the generic
    # edit form has no stage field and a posted one changes nothing.
    account = AccountFactory(organization=org, stage="onboarding")
    old_email = account.owner.user.email
    new_owner = member(Role.CSM)

    response = browser.post(
        f"/accounts/{account.pk}/edit/",
        {
            "name": account.name,
            "external_id": account.external_id,
            "stage": "adoption",
            "owner": new_owner.pk,
        },
    )

    assert response.status_code == 302
    with in_scope(org):
        account.refresh_from_db()
        event = AuditEvent.objects.get(action="account.updated")
    assert account.stage == "onboarding"
    assert event.before == {"owner": old_email}
    assert event.after == {"owner": new_owner.user.email}


def test_viewer_reads_but_cannot_change(org, member, client_for, in_scope):
    viewer = client_for(member(Role.VIEWER))
    account = AccountFactory(organization=org, name="Read Only")

    assert viewer.get(f"/accounts/{account.pk}/").status_code == 200
    assert viewer.get("/accounts/new/").status_code == 403
    assert (
        viewer.post(
            f"/accounts/{account.pk}/edit/", {"name": "Changed", "stage": "adoption"}
        ).status_code
        == 403
    )
    with in_scope(org):
        account.refresh_from_db()
    assert account.name == "Read Only"


def test_only_managers_delete_accounts(org, browser, member, client_for, in_scope):
    account = AccountFactory(organization=org)
    assert browser.post(f"/accounts/{account.pk}/delete/").status_code == 403

    manager = client_for(member(Role.MANAGER))
    assert manager.post(f"/accounts/{account.pk}/delete/").status_code == 302
    with in_scope(org):
        assert Account.objects.filter(pk=account.pk).exists() is False


def test_account_360_shows_header_contacts_and_sections(org, browser):
    contact = ContactFactory(
        account__organization=org, organization=org, name="Maria Oliveira", is_primary=True
    )

    response = browser.get(f"/accounts/{contact.account_id}/")

    content = response.content.decode()
    assert contact.account.name in content
    assert "Maria Oliveira" in content
    for section in (
        'id="health"',
        'id="contacts"',
        'id="timeline"',
        'id="contracts"',
        'id="tasks"',
    ):
        assert section in content


def test_contact_form_normalises_phone_and_rejects_garbage(org, browser, in_scope):
    account = AccountFactory(organization=org)

    bad = browser.post(
        f"/accounts/{account.pk}/contacts/new/",
        {
            "name": "Zé",
            "phone": "12",
            "role": "user",
            "locale": "pt-br",
            "email_consent": "unknown",
            "whatsapp_consent": "unknown",
        },
    )
    assert bad.status_code == 400
    assert b"is not a phone number" in bad.content or b"not a valid phone" in bad.content

    good = browser.post(
        f"/accounts/{account.pk}/contacts/new/",
        {
            "name": "Zé",
            "phone": "11 98765-4321",
            "role": "user",
            "locale": "pt-br",
            "email_consent": "unknown",
            "whatsapp_consent": "opted_in",
        },
    )
    assert good.status_code == 302
    with in_scope(org):
        contact = Contact.objects.get(account=account)
    assert contact.phone == "+5511987654321"
    assert contact.whatsapp_consent_at is not None


def test_primary_contact_is_unique_per_account(org, browser, in_scope):
    first = ContactFactory(account__organization=org, organization=org, is_primary=True)

    browser.post(
        f"/accounts/{first.account_id}/contacts/new/",
        {
            "name": "Novo",
            "email": "novo@x.com",
            "role": "user",
            "locale": "en",
            "is_primary": "on",
            "email_consent": "unknown",
            "whatsapp_consent": "unknown",
        },
    )

    with in_scope(org):
        primaries = list(
            Contact.objects.filter(account_id=first.account_id, is_primary=True).values_list(
                "name", flat=True
            )
        )
    assert primaries == ["Novo"]


def test_signed_out_visitor_is_sent_to_login(db, client):
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login/")
