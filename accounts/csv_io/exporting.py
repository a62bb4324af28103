"""CSV export (streamed, formula-safe) and the sample files."""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import models

from accounts.csv_io.columns import (
    ACCOUNT_COLUMNS,
    COLUMNS,
    CONTACT_COLUMNS,
    EXPORT_CHUNK,
    KIND_ACCOUNTS,
    KIND_CONTACTS,
)
from accounts.models import Account, Contact
from accounts.selectors import AccountFilters, account_list
from tenancy.models import Organization

_NUMBER_LIKE = re.compile(r"[+-]?[\d\s().,-]*")


def _safe_cell(value: Any) -> str:
    """Quote formula-like text so a spreadsheet shows it instead of running it (OWASP CSV
    injection); phone numbers such as +5511987654321 stay as they are. Import undoes it."""
    text = "" if value is None else str(value)
    if text.startswith(("=", "@", "\t", "\r")) or (
        text.startswith(("+", "-")) and not _NUMBER_LIKE.fullmatch(text)
    ):
        return "'" + text
    return text


def csv_export_rows(
    *, organization: Organization, kind: str, filters: AccountFilters | None = None
) -> Iterator[list[str]]:
    """Header plus one row per account (or contact of the filtered accounts), streamed.

    The queryset is built here, inside the caller's scope, so the rows can be consumed after
    the request's scope has closed (a streaming response is iterated after the middleware).
    """
    if kind == KIND_CONTACTS:
        return _contact_rows(_contact_queryset(organization=organization, filters=filters))
    if kind == KIND_ACCOUNTS:
        return _account_rows(account_list(organization=organization, filters=filters))
    raise ValueError(f"Unknown export kind: {kind}")


def _contact_queryset(
    *, organization: Organization, filters: AccountFilters | None
) -> models.QuerySet[Contact]:
    queryset = Contact.objects.filter(organization=organization)
    if filters is not None and dataclasses.replace(filters, sort="name") != AccountFilters():
        accounts = account_list(organization=organization, filters=filters)
        queryset = queryset.filter(account__in=accounts.values("pk"))
    return queryset.select_related("account").order_by(
        "account__name", "account_id", "-is_primary", "name", "id"
    )


def _account_rows(queryset: models.QuerySet[Account]) -> Iterator[list[str]]:
    yield [column.name for column in ACCOUNT_COLUMNS]
    for account in queryset.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            _safe_cell(account.external_id),
            _safe_cell(account.name),
            _safe_cell(account.owner.user.email) if account.owner else "",
            account.segment,
            _safe_cell(account.industry),
            account.go_live_date.isoformat() if account.go_live_date else "",
            account.stage,
        ]


def _contact_rows(queryset: models.QuerySet[Contact]) -> Iterator[list[str]]:
    yield [column.name for column in CONTACT_COLUMNS]
    for contact in queryset.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            _safe_cell(contact.account.external_id),
            _safe_cell(contact.account.name),
            _safe_cell(contact.name),
            _safe_cell(contact.email),
            contact.phone,
            contact.role,
            contact.locale,
            "yes" if contact.is_primary else "no",
            contact.email_consent,
            contact.whatsapp_consent,
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text, line by line, with a UTF-8 BOM first so Excel reads accents correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(row)


_SAMPLES = {
    KIND_ACCOUNTS: """\
ACME-001,Acme Ltda,{owner},mid_market,Retail,2025-03-01,onboarding
GLOBEX-002,Globex S.A.,{owner},enterprise,Logistics,15/01/2024,adoption
""",
    KIND_CONTACTS: """\
ACME-001,Acme Ltda,Maria Souza,maria@acme.example,+5511987654321,champion,pt-br,yes,opted_in,opted_in
ACME-001,Acme Ltda,John Smith,john@acme.example,,executive_sponsor,en,no,unknown,unknown
GLOBEX-002,Globex S.A.,Ana Lima,,+5521998765432,admin,pt-br,yes,unknown,opted_out
""",
}


def csv_sample(*, kind: str, owner_email: str = "") -> str:
    """A small valid file of `kind`; the contacts sample uses the accounts sample's ids."""
    header = [column.name for column in COLUMNS[kind]]
    rows = [
        [cell.replace("{owner}", owner_email) for cell in row]
        for row in csv.reader(_SAMPLES[kind].splitlines())
    ]
    return "".join(csv_lines([header, *rows]))
