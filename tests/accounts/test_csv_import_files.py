"""CSV import (accounts/csv_io.py): file-level rejection (encoding, columns, limits, binary
and malformed input)."""

import pytest
from django_scopes import scope
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tenancy.models import AuditEvent
from tests.accounts.csv_helpers import _accounts, _csv
from tests.accounts.csv_helpers import csm as csm  # pytest fixture
from tests.accounts.csv_helpers import run_import as run_import  # pytest fixture

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
