"""Shared by the CSV import/export tests (test_csv_import_*.py, test_csv_export.py): headers,
file builders, the import runner and readers of what was stored."""

import pytest
from django_scopes import scope

from accounts import csv_io
from accounts.models import Account, Contact
from tenancy.models import Role

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
