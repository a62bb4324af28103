"""CSV import of accounts (accounts/csv_io.py): happy paths, re-import by key, audit, query
counts and row-by-row errors."""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from accounts import csv_io
from accounts.models import Account, Segment, Stage
from tenancy.models import AuditEvent, Role
from tests.accounts.csv_helpers import ACCOUNT_HEADER, _accounts, _csv, _messages
from tests.accounts.csv_helpers import csm as csm  # pytest fixture
from tests.accounts.csv_helpers import run_import as run_import  # pytest fixture
from tests.accounts.factories import AccountFactory

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
