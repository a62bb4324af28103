"""CSV import/export service: file-level rejection, row-by-row reports, set-based writes,
re-import by key, round trips and query counts (accounts/csv_io.py)."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import csv_io
from accounts.models import Account, Consent, Contact, Segment, Stage
from accounts.selectors import AccountFilters
from tenancy.models import AuditEvent, Role
from tests.accounts.factories import AccountFactory, ContactFactory

ACCOUNT_HEADER = "external_id,name,owner_email,segment,industry,go_live_date,stage"
CONTACT_HEADER = (
    "account_external_id,name,email,phone,role,locale,is_primary,email_consent,whatsapp_consent"
)


def _csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


@pytest.fixture
def csm(member):
    return member(Role.CSM, user__email="ana@acme.example")


@pytest.fixture
def run_import(org, csm):
    def run(content: bytes, kind: str = "accounts", organization=None):
        organization = organization or org
        with scope(organization=organization):
            return csv_io.csv_import(
                organization=organization,
                actor=csm.user,
                kind=kind,
                content=content,
                filename="upload.csv",
            )

    return run


def _accounts(org):
    with scope(organization=org):
        return {
            account.external_id: account
            for account in Account.objects.filter(organization=org).select_related("owner")
        }


def _contacts(org):
    with scope(organization=org):
        return list(
            Contact.objects.filter(organization=org).select_related("account").order_by("name")
        )


def _export(org, kind="accounts", filters=None) -> bytes:
    with scope(organization=org):
        rows = csv_io.csv_export_rows(organization=org, kind=kind, filters=filters)
    return "".join(csv_io.csv_lines(rows)).encode("utf-8")


def _messages(report):
    return [(error.line, list(error.messages)) for error in report.errors]


# --- accounts: happy paths ---------------------------------------------------------------


def test_valid_file_creates_one_account_per_row(org, csm, run_import):
    content = _csv(
        ACCOUNT_HEADER,
        "ACC-1,Acme Ltda,ana@acme.example,mid_market,Retail,2025-03-01,onboarding",
        "ACC-2,Globex,,Enterprise,,15/01/2024,Adoption",
        "ACC-3,Initech,ANA@ACME.EXAMPLE,Mid-market,,,",
    )

    report = run_import(content)

    assert report.file_error is None
    assert (report.total_rows, report.created, report.updated, report.errors) == (3, 3, 0, ())
    accounts = _accounts(org)
    assert sorted(accounts) == ["ACC-1", "ACC-2", "ACC-3"]
    assert accounts["ACC-1"].owner_id == csm.pk
    assert accounts["ACC-1"].segment == Segment.MID_MARKET
    assert accounts["ACC-1"].industry == "Retail"
    assert accounts["ACC-1"].go_live_date == date(2025, 3, 1)
    assert accounts["ACC-2"].go_live_date == date(2024, 1, 15)
    assert accounts["ACC-2"].stage == Stage.ONBOARDING  # the stage column is not imported
    assert accounts["ACC-2"].segment == Segment.ENTERPRISE
    assert accounts["ACC-2"].owner_id is None
    assert accounts["ACC-3"].owner_id == csm.pk
    assert accounts["ACC-3"].stage == Stage.ONBOARDING


def test_reimport_updates_by_external_id_and_creates_nothing(org, run_import):
    AccountFactory(organization=org, external_id="ACC-1", name="Old name", industry="Software")
    AccountFactory(organization=org, external_id="ACC-2", name="Untouched")

    report = run_import(_csv("external_id,name", "ACC-1,New name"))

    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 1, 0, ())
    accounts = _accounts(org)
    assert len(accounts) == 2
    assert accounts["ACC-1"].name == "New name"
    assert accounts["ACC-1"].industry == "Software"  # column absent: left as it was
    assert accounts["ACC-2"].name == "Untouched"


def test_empty_cells_never_erase_stored_values(org, csm, run_import):
    AccountFactory(organization=org, external_id="ACC-1", name="Acme", owner=csm, industry="Retail")

    report = run_import(_csv(ACCOUNT_HEADER, "ACC-1,Acme,,,,,"))

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    account = _accounts(org)["ACC-1"]
    assert (account.owner_id, account.industry) == (csm.pk, "Retail")


def test_importing_the_same_file_twice_changes_nothing_the_second_time(org, run_import):
    content = _csv(ACCOUNT_HEADER, "ACC-1,Acme,,smb,,,", "ACC-2,Globex,,,,,renewal")
    first = run_import(content)
    with scope(organization=org):
        updated_at = dict(Account.objects.values_list("external_id", "updated_at"))

    second = run_import(content)

    assert (first.created, first.updated) == (2, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    with scope(organization=org):
        assert dict(Account.objects.values_list("external_id", "updated_at")) == updated_at


def test_the_stage_column_is_ignored_the_engine_owns_the_stage(org, run_import):
    account = AccountFactory(
        organization=org, external_id="ACC-1", name="Acme", stage=Stage.ONBOARDING
    )

    report = run_import(_csv("external_id,name,stage", "ACC-1,Acme,renewal"))

    assert (report.updated, report.unchanged, report.errors) == (0, 1, ())
    fresh = _accounts(org)["ACC-1"]
    assert fresh.stage == Stage.ONBOARDING
    assert fresh.stage_entered_at == account.stage_entered_at


def test_semicolon_file_with_bom_and_human_headers_is_imported(org, csm, run_import):
    content = "\ufeffExternal ID;Name;Owner email;Segment;Go-live date\r\n".encode() + (
        "ACC-1;João Padaria;ana@acme.example;Mid-market;01/02/2024\r\n".encode()
    )

    report = run_import(content)

    assert (report.created, report.errors, report.file_error) == (1, (), None)
    account = _accounts(org)["ACC-1"]
    assert (account.name, account.segment, account.go_live_date) == (
        "João Padaria",
        Segment.MID_MARKET,
        date(2024, 2, 1),
    )


def test_excel_sep_line_and_unknown_columns_are_handled(org, run_import):
    report = run_import(_csv("sep=;", "external_id;name;notes", "ACC-1;Acme;call back"))

    assert (report.created, report.ignored_columns) == (1, ("notes",))


def test_import_records_one_audit_event_with_counts(org, csm, run_import):
    AccountFactory(organization=org, external_id="ACC-1", name="Old")

    run_import(_csv("external_id,name", "ACC-1,New", "ACC-2,Globex", "ACC-3,"))

    with scope(organization=org):
        events = list(AuditEvent.objects.filter(organization=org, action="accounts.imported"))
    assert len(events) == 1
    assert events[0].actor_id == csm.user_id
    assert (events[0].target_type, events[0].target_id) == ("organization", str(org.pk))
    assert events[0].after == {
        "file": "upload.csv",
        "rows": 3,
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "rejected": 1,
    }


def test_import_query_count_does_not_grow_with_rows(org, csm):
    def queries(count, offset):
        lines = [f"ACC-{offset + n},Account {n},ana@acme.example,smb,,," for n in range(count)]
        with scope(organization=org), CaptureQueriesContext(connection) as captured:
            report = csv_io.csv_import(
                organization=org,
                actor=csm.user,
                kind="accounts",
                content=_csv(ACCOUNT_HEADER, *lines),
            )
        assert report.created == count
        return len(captured)

    assert queries(10, 0) == queries(50, 100)


# --- accounts: row errors ----------------------------------------------------------------


def test_mixed_file_keeps_valid_rows_and_reports_each_invalid_line(org, member, run_import):
    member(Role.VIEWER, user__email="vic@acme.example")
    content = _csv(
        ACCOUNT_HEADER,
        "ACC-1,Acme,ana@acme.example,smb,,2024-01-31,onboarding",
        "ACC-2,Globex,nobody@acme.example,,,,",
        "ACC-3,,,,,,",
        "",
        "ACC-4,Initech,vic@acme.example,huge,,2024-02-30,sleeping",
        "ACC-5,Umbrella,,,,,",
    )

    report = run_import(content)

    assert (report.total_rows, report.created, report.rejected) == (5, 2, 3)
    assert _messages(report) == [
        (3, ["owner_email: “nobody@acme.example” is not a member of this workspace."]),
        (4, ["name: a value is required."]),
        (
            6,
            [
                "segment: “huge” is not one of smb, mid_market, enterprise, strategic.",
                "go_live_date: “2024-02-30” is not a date; use YYYY-MM-DD or DD/MM/YYYY.",
                "owner_email: “vic@acme.example” is a viewer and cannot own accounts.",
            ],
        ),
    ]
    assert str(report.errors[1]) == "line 4: name: a value is required"
    assert sorted(_accounts(org)) == ["ACC-1", "ACC-5"]
    assert report.rejected_csv.splitlines() == [
        f"{ACCOUNT_HEADER},import_line,import_errors",
        "ACC-2,Globex,nobody@acme.example,,,,,3,"
        "owner_email: “nobody@acme.example” is not a member of this workspace",
        "ACC-3,,,,,,,4,name: a value is required",
        "ACC-4,Initech,vic@acme.example,huge,,2024-02-30,sleeping,6,"
        '"segment: “huge” is not one of smb, mid_market, enterprise, strategic; go_live_date: '
        "“2024-02-30” is not a date; use YYYY-MM-DD or DD/MM/YYYY; "
        'owner_email: “vic@acme.example” is a viewer and cannot own accounts"',
    ]


def test_duplicate_external_ids_are_rejected_on_every_line(org, run_import):
    content = _csv("external_id,name", "ACC-1,First", "ACC-2,Fine", "ACC-1,Second", "ACC-1,Third")

    report = run_import(content)

    message = (
        "external_id: “ACC-1” appears on lines 2, 4 and 5; each external ID may appear only "
        "once in a file."
    )
    assert _messages(report) == [(2, [message]), (4, [message]), (5, [message])]
    assert (report.created, sorted(_accounts(org))) == (1, ["ACC-2"])


def test_owner_from_another_organization_is_not_a_member(org, other_org, member, run_import):
    member(Role.CSM, organization=other_org, user__email="spy@other.example")

    report = run_import(_csv("external_id,name,owner_email", "ACC-1,Acme,spy@other.example"))

    assert _messages(report) == [
        (2, ["owner_email: “spy@other.example” is not a member of this workspace."])
    ]
    assert _accounts(org) == {}


def test_row_with_more_values_than_columns_is_rejected_alone(org, run_import):
    report = run_import(_csv("external_id,name", "ACC-1,Acme, Ltda", 'ACC-2,"Globex, Inc"'))

    assert _messages(report) == [
        (
            2,
            [
                "has 3 values but the header has 2 columns; a value that contains “,” must be "
                "in double quotes."
            ],
        )
    ]
    assert _accounts(org)["ACC-2"].name == "Globex, Inc"


def test_line_numbers_count_physical_lines_of_quoted_multiline_values(org, run_import):
    content = _csv("external_id,name,industry", 'ACC-1,Acme,"Retail', 'and food"', "ACC-2,,")

    report = run_import(content)

    assert _messages(report) == [(4, ["name: a value is required."])]
    assert _accounts(org)["ACC-1"].industry == "Retail\nand food"


def test_too_long_values_are_row_errors(org, run_import):
    report = run_import(_csv("external_id,name", f"{'X' * 101},Acme"))

    assert _messages(report) == [(2, ["external_id: is 101 characters long; the maximum is 100."])]


# --- file-level errors -------------------------------------------------------------------


def _assert_rejected(report, org, message):
    assert report.file_error == message
    assert (report.created, report.updated, report.errors) == (0, 0, ())
    assert _accounts(org) == {}
    with scope(organization=org):
        assert not AuditEvent.objects.filter(organization=org).exists()


def test_latin1_file_is_rejected_and_nothing_written(org, run_import):
    content = _csv("external_id,name", "ACC-1,Acme", "ACC-2,João", encoding="latin-1")

    report = run_import(content)

    _assert_rejected(
        report,
        org,
        "The file is not UTF-8 text: line 3 has a character in another encoding (often "
        "Windows-1252 or Latin-1, where “João” is saved differently). Save it as “CSV UTF-8”: "
        "in Excel, File > Save As > “CSV UTF-8 (Comma delimited) (.csv)”; in Google Sheets, "
        "File > Download > “Comma-separated values (.csv)”.",
    )


def test_missing_required_column_is_named(org, run_import):
    report = run_import(_csv("External ID,Segment", "ACC-1,smb"))

    _assert_rejected(
        report, org, "Missing required columns: name. Columns found: External ID, Segment."
    )


def test_contacts_file_uploaded_as_accounts_gets_a_hint(org, run_import):
    report = run_import(_csv("account_external_id,name,email", "ACC-1,Maria,maria@x.example"))

    _assert_rejected(
        report,
        org,
        "Missing required columns: external_id. Columns found: account_external_id, name, "
        "email. This looks like a contacts file: choose “Contacts”.",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "The file is empty.", id="empty"),
        pytest.param(b"\xef\xbb\xbf\r\n  \n", "The file is empty.", id="bom-and-blanks"),
        pytest.param(
            b"external_id,name\n,\n", "The file has a header but no rows to import.", id="header"
        ),
        pytest.param(
            b"external_id,name,name\nA,B,C\n",
            "The column “name” appears twice (columns 2 and 3).",
            id="duplicate-column",
        ),
    ],
)
def test_unusable_files_are_rejected(org, run_import, content, message):
    _assert_rejected(run_import(content), org, message)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00", id="xlsx"),
        pytest.param(b"external_id,name\nA,\x00\x01\x02\n", id="nul-bytes"),
        pytest.param(bytes(range(256)) * 4, id="binary"),
    ],
)
def test_binary_files_are_rejected_with_advice(org, run_import, content):
    report = run_import(content)

    assert report.file_error is not None
    assert "CSV UTF-8" in report.file_error
    assert _accounts(org) == {}


def test_more_rows_than_the_limit_rejects_the_file(org, run_import, settings):
    settings.ACCOUNT_IMPORT_MAX_ROWS = 2

    report = run_import(_csv("external_id,name", "A,a", "B,b", "C,c"))

    _assert_rejected(report, org, "The file has more than 2 rows. Split it into smaller files.")


def test_unknown_kind_is_a_file_error(org, run_import):
    report = run_import(_csv("external_id,name", "A,a"), kind="deals")

    assert report.file_error == "Unknown import kind “deals”."


def test_field_larger_than_the_csv_limit_is_a_file_error(org, run_import):
    report = run_import(b'external_id,name\nA,"' + b"x" * 200_000 + b'"\n')

    assert report.file_error == (
        "This is not a valid CSV file (line 2: field larger than field limit (131072))."
    )
    assert _accounts(org) == {}


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=600) | st.text(max_size=300).map(str.encode))
def test_no_input_makes_the_importer_raise(org, run_import, body):
    for kind, header in (("accounts", b"external_id,name,go_live_date\n"), ("contacts", b"")):
        report = run_import(header + body, kind=kind)
        assert report.kind == kind
        assert (report.file_error is None) or (report.created, report.updated) == (0, 0)


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


# --- export ------------------------------------------------------------------------------


def test_account_export_then_import_changes_nothing(org, csm, run_import):
    AccountFactory(
        organization=org,
        external_id="ACC-1",
        name="Acme, Ltda",
        owner=csm,
        segment=Segment.MID_MARKET,
        industry='Retail "food"',
        go_live_date=date(2024, 1, 31),
        stage=Stage.RENEWAL,
    )
    AccountFactory(
        organization=org, external_id="ACC-2", name="=HYPERLINK(1)", owner=None, segment=""
    )
    AccountFactory(organization=org, external_id="ACC-3", name="Çedilha São Paulo")
    with scope(organization=org):
        before = list(Account.objects.filter(organization=org).order_by("pk").values())

    report = run_import(_export(org))

    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 3, ())
    with scope(organization=org):
        assert list(Account.objects.filter(organization=org).order_by("pk").values()) == before
        assert not AuditEvent.objects.filter(organization=org).exists()


def test_account_export_quotes_formula_cells(org):
    AccountFactory(organization=org, external_id="ACC-1", name="=HYPERLINK(1)", owner=None)

    lines = _export(org).decode("utf-8").splitlines()

    assert lines == [
        "\ufeffexternal_id,name,owner_email,segment,industry,go_live_date,stage",
        "ACC-1,'=HYPERLINK(1),,smb,Software,,onboarding",
    ]


def test_contact_export_then_import_changes_nothing(org, run_import):
    account = AccountFactory(organization=org, external_id="ACC-1")
    ContactFactory(
        account=account,
        email="maria@acme.example",
        is_primary=True,
        email_consent=Consent.OPTED_IN,
        whatsapp_consent=Consent.OPTED_OUT,
    )
    ContactFactory(account=account, email="", phone="+5521998765432", locale="en")
    with scope(organization=org):
        before = list(Contact.objects.filter(organization=org).order_by("pk").values())

    report = run_import(_export(org, kind="contacts"), kind="contacts")

    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 2, ())
    assert report.ignored_columns == ()
    with scope(organization=org):
        assert list(Contact.objects.filter(organization=org).order_by("pk").values()) == before


def test_export_applies_the_list_filters(org):
    AccountFactory(organization=org, external_id="ACC-1", name="Alpha", stage=Stage.ADOPTION)
    beta = AccountFactory(organization=org, external_id="ACC-2", name="Beta", stage=Stage.RENEWAL)
    AccountFactory(organization=org, external_id="ACC-3", name="Gama", stage=Stage.RENEWAL)
    ContactFactory(account=beta, name="Beta contact")

    accounts = _export(org, filters=AccountFilters(stage=Stage.RENEWAL, sort="-name"))
    contacts = _export(org, kind="contacts", filters=AccountFilters(q="beta"))

    assert [line.split(",")[0] for line in accounts.decode().splitlines()[1:]] == ["ACC-3", "ACC-2"]
    assert [line.split(",")[2] for line in contacts.decode().splitlines()[1:]] == ["Beta contact"]


def test_export_never_includes_another_organizations_rows(org, other_org):
    AccountFactory(organization=org, external_id="MINE")
    ContactFactory(account=AccountFactory(organization=other_org, external_id="THEIRS"))

    assert b"THEIRS" not in _export(org)
    assert b"THEIRS" not in _export(org, kind="contacts")


@pytest.mark.parametrize("kind", ["accounts", "contacts"])
def test_export_runs_one_query_whatever_the_number_of_rows(org, kind, django_assert_num_queries):
    for count in (10, 50):
        for _ in range(count if kind == "accounts" else count // 2):
            ContactFactory(account=AccountFactory(organization=org))
        with scope(organization=org):
            rows = csv_io.csv_export_rows(organization=org, kind=kind)
        with django_assert_num_queries(1):
            lines = list(rows)
        assert len(lines) > count // 2


def test_samples_import_cleanly(org, csm, run_import):
    accounts = csv_io.csv_sample(kind="accounts", owner_email=csm.user.email).encode()
    contacts = csv_io.csv_sample(kind="contacts").encode()

    first = run_import(accounts)
    second = run_import(contacts, kind="contacts")

    assert (first.created, first.errors) == (2, ())
    assert (second.created, second.errors) == (3, ())
