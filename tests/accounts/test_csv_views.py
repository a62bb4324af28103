"""Import and export pages: roles, the report on the page, hostile uploads, streamed export
limited to the active organization (accounts/csv_views.py)."""

import base64
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from accounts import csv_io
from accounts.models import Account, Contact, Stage
from tenancy.models import AuditEvent, Role
from tests.accounts.factories import AccountFactory, ContactFactory


@pytest.fixture
def csm(member):
    return member(Role.CSM, user__email="ana@acme.example")


@pytest.fixture
def browser(csm, client_for):
    return client_for(csm)


def _upload(content: bytes, name: str = "accounts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _account_ids(org):
    with scope(organization=org):
        return sorted(
            Account.objects.filter(organization=org).values_list("external_id", flat=True)
        )


def _body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


# --- import page -------------------------------------------------------------------------


def test_viewer_cannot_see_or_use_the_import(org, member, client_for):
    viewer = client_for(member(Role.VIEWER))

    page = viewer.get("/import/")
    upload = viewer.post(
        "/import/", {"kind": "accounts", "file": _upload(b"external_id,name\nA,a\n")}
    )
    sample = viewer.get("/import/sample/accounts.csv")

    assert (page.status_code, upload.status_code, sample.status_code) == (403, 403, 403)
    assert _account_ids(org) == []


def test_anonymous_visitor_is_sent_to_sign_in(client, org):
    response = client.get("/import/")

    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login/")


def test_import_page_documents_both_formats(org, browser):
    response = browser.get("/import/")

    assert response.status_code == 200
    content = response.content.decode()
    for column in (
        "external_id",
        "owner_email",
        "go_live_date",
        "account_external_id",
        "whatsapp_consent",
    ):
        assert f'<td class="mono">{column}</td>' in content
    assert 'href="/import/sample/accounts.csv"' in content
    assert 'href="/import/sample/contacts.csv"' in content
    assert 'enctype="multipart/form-data"' in content


def test_csm_imports_through_the_page_and_sees_the_report(org, browser, csm):
    AccountFactory(organization=org, external_id="ACC-1", name="Old name")
    content = (
        b"external_id,name,owner_email\n"
        b"ACC-1,New name,ana@acme.example\n"
        b"ACC-2,Globex,\n"
        b"ACC-3,,\n"
        b"ACC-4,Initech,nobody@acme.example\n"
    )

    response = browser.post("/import/", {"kind": "accounts", "file": _upload(content)})

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.created, report.updated, report.rejected) == (1, 1, 2)
    html = response.content.decode()
    assert '<td class="mono">4</td><td>name: a value is required.</td>' in html
    assert (
        '<td class="mono">5</td><td>owner_email: “nobody@acme.example” is not a member of this '
        "workspace.</td>"
    ) in html
    assert _account_ids(org) == ["ACC-1", "ACC-2"]
    with scope(organization=org):
        assert AuditEvent.objects.get(organization=org).actor_id == csm.user_id


def test_rejected_lines_can_be_downloaded(org, browser):
    response = browser.post(
        "/import/", {"kind": "accounts", "file": _upload(b"external_id,name\nACC-1,\n")}
    )

    encoded = re.search(
        r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', response.content.decode()
    )
    assert encoded is not None
    assert base64.b64decode(encoded[1]).decode("utf-8-sig").splitlines() == [
        "external_id,name,import_line,import_errors",
        "ACC-1,,2,name: a value is required",
    ]


def test_csm_imports_contacts_for_accounts_imported_before(org, browser):
    browser.post(
        "/import/", {"kind": "accounts", "file": _upload(b"external_id,name\nACC-1,Acme\n")}
    )

    response = browser.post(
        "/import/",
        {
            "kind": "contacts",
            "file": _upload(b"account_external_id,name,email\nACC-1,Maria,m@acme.example\n"),
        },
    )

    assert response.status_code == 200
    assert response.context["report"].created == 1
    with scope(organization=org):
        assert list(Contact.objects.values_list("account__external_id", "email")) == [
            ("ACC-1", "m@acme.example")
        ]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(bytes(range(256)) * 64, id="binary-garbage"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 100, id="xlsx"),
        pytest.param("external_id,name\nA,João\n".encode("latin-1"), id="latin-1"),
        pytest.param(b"", id="empty"),
        pytest.param(b"x" * 300_000, id="one-huge-line"),
        pytest.param(b'external_id,name\n"A,' + b"y" * 200_000 + b"\n", id="unclosed-quote"),
    ],
)
def test_unusable_uploads_show_an_error_and_import_nothing(org, browser, content):
    response = browser.post("/import/", {"kind": "accounts", "file": _upload(content, "x.csv")})

    assert response.status_code == 400
    assert "Nothing was imported." in response.content.decode()
    assert response.context["report"].file_error
    assert _account_ids(org) == []


def test_latin1_upload_explains_how_to_save_as_utf8(org, browser):
    response = browser.post(
        "/import/",
        {"kind": "accounts", "file": _upload("external_id,name\nA,João\n".encode("cp1252"))},
    )

    assert "The file is not UTF-8 text" in response.content.decode()
    assert "CSV UTF-8 (Comma delimited) (.csv)" in response.content.decode()


def test_missing_file_or_kind_is_a_form_error(org, browser):
    no_file = browser.post("/import/", {"kind": "accounts"})
    bad_kind = browser.post("/import/", {"kind": "deals", "file": _upload(b"a,b\n1,2\n")})

    assert no_file.status_code == 400
    assert "Choose a CSV file to import." in no_file.content.decode()
    assert bad_kind.status_code == 400
    assert bad_kind.context["form"].errors["kind"] == [
        "Select a valid choice. deals is not one of the available choices."
    ]


def test_file_over_the_size_limit_is_refused_before_reading(org, browser, monkeypatch):
    monkeypatch.setattr(csv_io, "MAX_FILE_BYTES", 1024)

    response = browser.post("/import/", {"kind": "accounts", "file": _upload(b"a" * 2048)})

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "The file is 2.0\xa0KB; the limit is 1.0\xa0KB. Split it into smaller files."
    ]


def test_malformed_multipart_body_is_not_a_server_error(org, browser):
    response = browser.generic(
        "POST",
        "/import/",
        b'--boundary\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nabc',
        content_type="multipart/form-data; boundary=boundary",
    )

    assert response.status_code in (400, 403)


@pytest.mark.parametrize("kind", ["accounts", "contacts"])
def test_sample_files_download(org, browser, kind):
    response = browser.get(f"/import/sample/{kind}.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="jornada-{kind}-sample.csv"'
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header == ",".join(column.name for column in csv_io.COLUMNS[kind])


def test_accounts_sample_names_the_signed_in_csm_as_owner(org, browser):
    content = browser.get("/import/sample/accounts.csv").content.decode("utf-8-sig")

    assert (
        content.splitlines()[1]
        == "ACME-001,Acme Ltda,ana@acme.example,mid_market,Retail,2025-03-01,onboarding"
    )


def test_unknown_sample_kind_is_not_found(org, browser):
    assert browser.get("/import/sample/deals.csv").status_code == 404


# --- export ------------------------------------------------------------------------------


def test_viewer_exports_only_own_organization_rows(org, other_org, member, client_for):
    AccountFactory(organization=org, external_id="MINE-1", name="Mine")
    ContactFactory(
        account=AccountFactory(organization=other_org, external_id="THEIRS-1"), name="Spy"
    )
    viewer = client_for(member(Role.VIEWER))

    response = viewer.get("/accounts/export/")

    assert response.status_code == 200
    assert response.streaming
    today = timezone.localdate(timezone=ZoneInfo(org.time_zone)).isoformat()
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="jornada-acme-accounts-{today}.csv"'
    )
    lines = _body(response).splitlines()
    assert lines[0] == "\ufeffexternal_id,name,owner_email,segment,industry,go_live_date,stage"
    assert [line.split(",")[0] for line in lines[1:]] == ["MINE-1"]
    assert "THEIRS" not in _body(viewer.get("/accounts/export/?kind=contacts"))


def test_other_organization_member_cannot_export_our_accounts(org, other_org, member, client_for):
    AccountFactory(organization=org, external_id="MINE-1")
    ContactFactory(account=AccountFactory(organization=org), email="secret@acme.example")
    outsider = client_for(member(Role.OWNER, organization=other_org))

    accounts = _body(outsider.get("/accounts/export/"))
    contacts = _body(outsider.get("/accounts/export/?kind=contacts"))

    assert accounts.splitlines()[1:] == []
    assert contacts.splitlines()[1:] == []


def test_export_uses_the_list_filters(org, browser):
    AccountFactory(organization=org, external_id="A-1", name="Alpha", stage=Stage.ADOPTION)
    beta = AccountFactory(organization=org, external_id="B-1", name="Beta", stage=Stage.RENEWAL)
    ContactFactory(account=beta, name="Bia")
    ContactFactory(account=AccountFactory(organization=org, stage=Stage.ADOPTION), name="Caio")

    accounts = _body(browser.get("/accounts/export/?stage=renewal&page=3"))
    contacts = _body(browser.get("/accounts/export/?kind=contacts&q=beta"))

    assert [line.split(",")[0] for line in accounts.splitlines()[1:]] == ["B-1"]
    assert [line.split(",")[2] for line in contacts.splitlines()[1:]] == ["Bia"]


def test_export_query_count_does_not_grow_with_rows(org, browser):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            lines = _body(browser.get("/accounts/export/")).splitlines()
        return len(captured), len(lines)

    AccountFactory.create_batch(10, organization=org)
    few, few_lines = queries()
    AccountFactory.create_batch(40, organization=org)
    many, many_lines = queries()

    assert (few_lines, many_lines) == (11, 51)
    assert many == few


def test_unknown_export_kind_is_not_found(org, browser):
    assert browser.get("/accounts/export/?kind=deals").status_code == 404


def test_exported_file_imports_back_without_changes(org, browser, csm):
    AccountFactory(organization=org, external_id="A-1", name="Ação, Ltda", owner=csm)
    ContactFactory(
        account=AccountFactory(organization=org, external_id="B-1"), phone="+5511987654321"
    )
    accounts = _body(browser.get("/accounts/export/")).encode()
    contacts = _body(browser.get("/accounts/export/?kind=contacts")).encode()

    first = browser.post("/import/", {"kind": "accounts", "file": _upload(accounts)})
    second = browser.post("/import/", {"kind": "contacts", "file": _upload(contacts)})

    assert first.context["report"].unchanged == 2
    assert second.context["report"].unchanged == 1
    assert "nothing changed" in second.content.decode()
