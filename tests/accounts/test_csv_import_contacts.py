"""CSV import of contacts (accounts/csv_io.py): links to accounts, row errors, re-import by
email or phone, consent and primary contacts."""

from django_scopes import scope

from accounts.models import Consent, Contact
from tenancy.models import AuditEvent
from tests.accounts.csv_helpers import CONTACT_HEADER, _contacts, _csv, _messages
from tests.accounts.csv_helpers import csm as csm  # pytest fixture
from tests.accounts.csv_helpers import run_import as run_import  # pytest fixture
from tests.accounts.factories import AccountFactory, ContactFactory

# --- contacts ----------------------------------------------------------------------------


def test_contacts_link_to_accounts_imported_earlier(org, run_import):
    run_import(_csv("external_id,name", "ACC-1,Acme", "ACC-2,Globex"))
    content = _csv(
        CONTACT_HEADER,
        "ACC-1,Maria Souza,Maria@Acme.example,(11) 98765-4321,Champion,pt-BR,sim,sim,não",
        "ACC-2,John Smith,john@globex.example,,executive sponsor,English,no,opted_in,",
        "ACC-2,Ana Lima,,+5521998765432,admin,,,,unknown",
    )

    report = run_import(content, kind="contacts")

    assert (report.created, report.updated, report.errors) == (3, 0, ())
    ana, john, maria = _contacts(org)
    assert (maria.account.external_id, maria.email, maria.phone) == (
        "ACC-1",
        "maria@acme.example",
        "+5511987654321",
    )
    assert (maria.role, maria.locale, maria.is_primary) == ("champion", "pt-br", True)
    assert (maria.email_consent, maria.whatsapp_consent) == (Consent.OPTED_IN, Consent.OPTED_OUT)
    assert maria.email_consent_at is not None
    assert maria.whatsapp_consent_at is not None
    assert (john.account.external_id, john.role, john.locale) == (
        "ACC-2",
        "executive_sponsor",
        "en",
    )
    assert (john.email_consent, john.whatsapp_consent) == (Consent.OPTED_IN, Consent.UNKNOWN)
    assert john.whatsapp_consent_at is None
    assert (ana.email, ana.phone, ana.locale) == ("", "+5521998765432", org.locale)
    with scope(organization=org):
        assert AuditEvent.objects.filter(organization=org, action="contacts.imported").count() == 1


def test_contacts_with_malformed_email_and_phone_are_reported(org, run_import):
    AccountFactory(organization=org, external_id="ACC-1")
    content = _csv(
        "account_external_id,name,email,phone",
        "ACC-1,Ok,ok@acme.example,",
        "ACC-1,João,joao@,12345",
        "ACC-1,Nobody,,",
        "ACC-404,Lost,lost@acme.example,",
    )

    report = run_import(content, kind="contacts")

    assert _messages(report) == [
        (
            3,
            [
                "email: “joao@” is not a valid email address.",
                "phone: “12345” is not a valid phone number. Use the international format, "
                "e.g. +5511987654321.",
            ],
        ),
        (4, ["email or phone: give at least one of them."]),
        (5, ["account_external_id: no account with external ID “ACC-404” in this workspace."]),
    ]
    assert str(report.errors[0]) == (
        "line 3: email: “joao@” is not a valid email address; phone: “12345” is not a valid "
        "phone number. Use the international format, e.g. +5511987654321"
    )
    assert [contact.name for contact in _contacts(org)] == ["Ok"]


def test_contacts_cannot_attach_to_another_organizations_account(org, other_org, run_import):
    AccountFactory(organization=other_org, external_id="THEIRS")

    report = run_import(
        _csv("account_external_id,name,email", "THEIRS,Spy,spy@x.example"), "contacts"
    )

    assert _messages(report) == [
        (2, ["account_external_id: no account with external ID “THEIRS” in this workspace."])
    ]
    with scope(organization=other_org):
        assert not Contact.objects.filter(organization=other_org).exists()


def test_contacts_reimport_updates_by_email_then_by_phone(org, run_import):
    account = AccountFactory(organization=org, external_id="ACC-1")
    by_email = ContactFactory(account=account, name="Maria", email="maria@acme.example", phone="")
    by_phone = ContactFactory(account=account, name="Zé", email="", phone="+5511987654321")
    content = _csv(
        "account_external_id,name,email,phone,role",
        "ACC-1,Maria Souza,MARIA@acme.example,,admin",
        "ACC-1,José,,11 98765-4321,user",
    )

    report = run_import(content, kind="contacts")

    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 2, 0, ())
    with scope(organization=org):
        by_email.refresh_from_db()
        by_phone.refresh_from_db()
        assert Contact.objects.filter(organization=org).count() == 2
    assert (by_email.name, by_email.role, by_email.email) == (
        "Maria Souza",
        "admin",
        "maria@acme.example",
    )
    assert (by_phone.name, by_phone.role) == ("José", "user")


def test_duplicate_contacts_in_a_file_are_rejected_on_every_line(org, run_import):
    AccountFactory(organization=org, external_id="ACC-1")
    AccountFactory(organization=org, external_id="ACC-2")
    content = _csv(
        "account_external_id,name,email",
        "ACC-1,Maria,maria@acme.example",
        "ACC-1,Maria S.,Maria@Acme.example",
        "ACC-2,Maria,maria@acme.example",
    )

    report = run_import(content, kind="contacts")

    message = (
        "email: “maria@acme.example” appears on lines 2 and 3 for the same account; each "
        "contact may appear only once in a file."
    )
    assert _messages(report) == [(2, [message]), (3, [message])]
    assert [contact.account.external_id for contact in _contacts(org)] == ["ACC-2"]


def test_unknown_consent_never_erases_a_recorded_opt_out(org, run_import):
    account = AccountFactory(organization=org, external_id="ACC-1")
    contact = ContactFactory(
        account=account, name="Maria", email="maria@acme.example", email_consent=Consent.OPTED_OUT
    )

    report = run_import(
        _csv(
            "account_external_id,name,email,email_consent",
            "ACC-1,Maria,maria@acme.example,unknown",
        ),
        kind="contacts",
    )

    assert (report.updated, report.unchanged) == (0, 1)
    with scope(organization=org):
        contact.refresh_from_db()
    assert contact.email_consent == Consent.OPTED_OUT


def test_consent_change_is_time_stamped(org, run_import):
    account = AccountFactory(organization=org, external_id="ACC-1")
    contact = ContactFactory(account=account, name="Maria", email="maria@acme.example")

    run_import(
        _csv(
            "account_external_id,name,email,whatsapp_consent",
            "ACC-1,Maria,maria@acme.example,yes",
        ),
        kind="contacts",
    )

    with scope(organization=org):
        contact.refresh_from_db()
    assert contact.whatsapp_consent == Consent.OPTED_IN
    assert contact.whatsapp_consent_at is not None
    assert contact.email_consent_at is None


def test_a_new_primary_contact_demotes_the_old_one(org, run_import):
    account = AccountFactory(organization=org, external_id="ACC-1")
    old = ContactFactory(account=account, name="Old", is_primary=True)

    report = run_import(
        _csv("account_external_id,name,email,is_primary", "ACC-1,New,new@acme.example,yes"),
        kind="contacts",
    )

    assert report.created == 1
    with scope(organization=org):
        assert list(
            Contact.objects.filter(organization=org, is_primary=True).values_list("name", flat=True)
        ) == ["New"]
        old.refresh_from_db()
    assert old.is_primary is False


def test_two_primary_contacts_for_one_account_are_rejected(org, run_import):
    AccountFactory(organization=org, external_id="ACC-1")

    report = run_import(
        _csv(
            "account_external_id,name,email,is_primary",
            "ACC-1,A,a@acme.example,yes",
            "ACC-1,B,b@acme.example,true",
        ),
        kind="contacts",
    )

    message = "is_primary: account “ACC-1” has more than one primary contact in this file (lines 2 and 3)."
    assert _messages(report) == [(2, [message]), (3, [message])]
