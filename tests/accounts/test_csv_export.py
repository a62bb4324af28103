"""CSV export (accounts/csv_io.py): round trips, formula quoting, filters, isolation, query
counts and the sample files."""

from datetime import date

import pytest
from django_scopes import scope

from accounts import csv_io
from accounts.models import Account, Consent, Contact, Segment, Stage
from accounts.selectors import AccountFilters
from tenancy.models import AuditEvent
from tests.accounts.csv_helpers import _export
from tests.accounts.csv_helpers import csm as csm  # pytest fixture
from tests.accounts.csv_helpers import run_import as run_import  # pytest fixture
from tests.accounts.factories import AccountFactory, ContactFactory

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
