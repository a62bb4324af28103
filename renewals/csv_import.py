"""CSV import of contracts, with the accounts import's contract (accounts/csv_io):

- a file-level problem (encoding, not a CSV, empty, too big, a required column missing)
  rejects the whole file and nothing is written;
- a row-level problem (unknown account, bad date, end not after start, negative or absurd
  ARR, a base contract overlapping another base contract) rejects that row, reported with its
  line number (header = line 1) and every reason;
- the valid rows are written in one transaction (bulk_create / bulk_update); a row with an
  `external_id` already used by a contract updates that contract; the touched accounts' ARR
  columns are refreshed set-based; one AuditEvent per import.

It reuses accounts.csv_io's reading helpers (decoding, delimiter, header matching, cells).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.csv_io import MAX_FILE_BYTES, ImportReport, RowError
from accounts.csv_io.cells import _date, _Row
from accounts.csv_io.reading import _FileError, _header_key, _Table, csv_rows_read
from accounts.models import Account
from renewals import signals
from renewals.models import MAX_ARR_CENTS, MAX_SEATS, Contract, ContractKind, ContractStatus
from renewals.services import account_revenue_refresh, arr_spans_refresh
from renewals.services._common import _send_on_commit
from tenancy.models import Organization, User
from tenancy.services import audit_record

MAX_ROWS = 20_000
KIND = "contracts"


@dataclass(frozen=True)
class ContractColumn:
    name: str
    required: bool
    help: object
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[ContractColumn, ...] = (
    ContractColumn(
        "account_external_id",
        True,
        gettext_lazy("The account's external ID (it must exist in Jornada)."),
        ("account", "external_id_account", "conta"),
    ),
    ContractColumn(
        "start_date", True, gettext_lazy("YYYY-MM-DD or DD/MM/YYYY."), ("start", "inicio")
    ),
    ContractColumn(
        "end_date",
        True,
        gettext_lazy("Exclusive: the first day no longer covered. YYYY-MM-DD or DD/MM/YYYY."),
        ("end", "fim"),
    ),
    ContractColumn(
        "arr",
        True,
        gettext_lazy("Annual recurring revenue in currency units, e.g. 12000.00 or 12000,00."),
        ("arr_value", "valor_anual"),
    ),
    ContractColumn("kind", False, gettext_lazy("base (default) or add_on."), ("tipo",)),
    ContractColumn("seats", False, gettext_lazy("Whole number (default 0)."), ("licencas",)),
    ContractColumn("plan", False, gettext_lazy("Free text."), ("plano",)),
    ContractColumn(
        "status",
        False,
        gettext_lazy("active (default), renewed, churned or void."),
        ("situacao",),
    ),
    ContractColumn(
        "contract_external_id",
        False,
        gettext_lazy("Your contract's identifier; re-importing updates the contract by it."),
        ("contract_id", "id_contrato"),
    ),
)


def _read(content: bytes) -> _Table:
    header, rows, delimiter = csv_rows_read(content, max_rows=MAX_ROWS, max_bytes=MAX_FILE_BYTES)
    known = {}
    for column in COLUMNS:
        for alias in (column.name, *column.aliases):
            known[_header_key(alias)] = column
    columns: dict[str, int] = {}
    ignored = []
    for position, title in enumerate(header):
        column = known.get(_header_key(title))
        if column is None:
            if title.strip():
                ignored.append(title.strip())
            continue
        if column.name in columns:
            raise _FileError(_("The column “%(column)s” appears twice.") % {"column": column.name})
        columns[column.name] = position
    missing = [c.name for c in COLUMNS if c.required and c.name not in columns]
    if missing:
        raise _FileError(
            _("Missing required columns: %(missing)s.") % {"missing": ", ".join(missing)}
        )
    if not rows:
        raise _FileError(_("The file has a header but no rows to import."))
    return _Table(
        header=header, columns=columns, ignored=tuple(ignored), rows=rows, delimiter=delimiter
    )


def _arr_cents(row: _Row) -> int | None:
    value = row.get("arr").replace(" ", "")
    if not value:
        row.error("arr", _("a value is required."))
        return None
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d{1,2}|-?\d+,\d{1,2}", value):
        value = value.replace(".", "").replace(",", ".")  # 12.000,50 (pt-BR)
    else:
        value = value.replace(",", "")  # 12,000.50
    try:
        amount = Decimal(value)
    except InvalidOperation:
        row.error("arr", _("“%(value)s” is not a number.") % {"value": row.get("arr")})
        return None
    if not amount.is_finite():
        row.error("arr", _("“%(value)s” is not a number.") % {"value": row.get("arr")})
        return None
    cents = int((amount * 100).to_integral_value())
    if cents < 0:
        row.error("arr", _("ARR cannot be negative."))
        return None
    if cents > MAX_ARR_CENTS:
        row.error("arr", _("ARR above %(max)s is not plausible.") % {"max": MAX_ARR_CENTS // 100})
        return None
    return cents


def _choice(row: _Row, name: str, values: tuple[str, ...], default: str) -> str:
    value = row.get(name).strip().lower().replace("-", "_").replace(" ", "_")
    if not value:
        return default
    if value == "addon":
        value = ContractKind.ADD_ON
    if value not in values:
        row.error(
            name,
            _("“%(value)s” is not one of %(choices)s.")
            % {"value": row.get(name), "choices": ", ".join(values)},
        )
    return value


def contracts_import(
    *, organization: Organization, actor: User | None, content: bytes, filename: str = ""
) -> ImportReport:
    try:
        table = _read(content)
    except _FileError as exc:
        return ImportReport(kind=KIND, file_error=str(exc))
    rows = [_Row(line, cells, table) for line, cells in table.rows]

    external_ids = {row.get("account_external_id") for row in rows} - {""}
    accounts = {
        a.external_id: a.pk
        for a in Account.objects.filter(organization=organization, external_id__in=external_ids)
    }
    contract_keys = {row.get("contract_external_id") for row in rows} - {""}
    existing = {
        c.external_id: c
        for c in Contract.objects.filter(organization=organization, external_id__in=contract_keys)
    }
    seen_keys: dict[str, list[_Row]] = defaultdict(list)
    parsed: list[tuple[_Row, Contract]] = []
    for row in rows:
        account_key = row.text("account_external_id", 100, required=True)
        account_id = accounts.get(account_key)
        if account_key and account_id is None:
            row.error(
                "account_external_id",
                _("no account has the external ID “%(value)s”.") % {"value": account_key},
            )
        start = _date(row, "start_date")
        end = _date(row, "end_date")
        if row.get("start_date") == "":
            row.error("start_date", _("a value is required."))
        if row.get("end_date") == "":
            row.error("end_date", _("a value is required."))
        if start and end and end <= start:
            row.error("end_date", _("must be after the start date (the end date is exclusive)."))
        arr = _arr_cents(row)
        seats_text = row.get("seats")
        seats = 0
        if seats_text:
            if seats_text.isdigit() and int(seats_text) <= MAX_SEATS:
                seats = int(seats_text)
            else:
                row.error(
                    "seats", _("must be a whole number between 0 and %(max)s.") % {"max": MAX_SEATS}
                )
        kind = _choice(row, "kind", tuple(ContractKind.values), ContractKind.BASE)
        status = _choice(row, "status", tuple(ContractStatus.values), ContractStatus.ACTIVE)
        plan = row.text("plan", 100)
        key = row.text("contract_external_id", 100)
        if key:
            seen_keys[key].append(row)
        if row.messages:
            continue
        contract = existing.get(key) if key else None
        if contract is None:
            contract = Contract(organization=organization, external_id=key)
        contract.account_id = account_id
        contract.kind, contract.start_date, contract.end_date = kind, start, end
        contract.arr_cents, contract.seats, contract.plan, contract.status = (
            arr,
            seats,
            plan,
            status,
        )
        parsed.append((row, contract))
    for key, dupes in seen_keys.items():
        if len(dupes) > 1:
            lines = ", ".join(str(r.line) for r in dupes)
            for row in dupes:
                row.error(
                    "contract_external_id",
                    _("“%(key)s” appears on lines %(lines)s.") % {"key": key, "lines": lines},
                )
    parsed = [(row, contract) for row, contract in parsed if not row.messages]
    _check_overlaps(organization, parsed)
    valid = [contract for row, contract in parsed if not row.messages]

    created = [c for c in valid if c.pk is None]
    updated = [c for c in valid if c.pk is not None]
    with transaction.atomic():
        Contract.objects.bulk_create(created, batch_size=500)
        Contract.objects.bulk_update(
            updated,
            ["account", "kind", "start_date", "end_date", "arr_cents", "seats", "plan", "status"],
            batch_size=500,
        )
        touched = sorted({c.account_id for c in valid})
        if touched:
            account_revenue_refresh(organization=organization, account_ids=touched)
            arr_spans_refresh(organization=organization, account_ids=touched)
            _send_on_commit(signals.contracts_changed, organization, account_ids=touched)
        if valid:
            audit_record(
                organization=organization,
                actor=actor,
                action="contract.imported",
                target=organization,
                after={"file": filename[:100], "created": len(created), "updated": len(updated)},
            )
    errors = tuple(RowError(row.line, tuple(row.messages)) for row in rows if row.messages)
    return ImportReport(
        kind=KIND,
        total_rows=len(rows),
        created=len(created),
        updated=len(updated),
        errors=errors,
        ignored_columns=table.ignored,
    )


def _check_overlaps(organization: Organization, parsed: list[tuple[_Row, Contract]]) -> None:
    """A base contract may not overlap another (non-void) base contract of its account, in
    the database or earlier in the file."""
    bases = [(row, c) for row, c in parsed if c.kind == ContractKind.BASE and c.status != "void"]
    if not bases:
        return
    account_ids = {c.account_id for _row, c in bases}
    stored: dict[int, list[tuple[object, date, date]]] = defaultdict(list)
    for contract_id, account_id, start, end in (
        Contract.objects.filter(
            organization=organization, account_id__in=account_ids, kind=ContractKind.BASE
        )
        .exclude(status=ContractStatus.VOID)
        .values_list("id", "account_id", "start_date", "end_date")
    ):
        stored[account_id].append((contract_id, start, end))
    for row, contract in bases:
        key: object = contract.pk if contract.pk is not None else id(contract)
        spans = stored[contract.account_id]
        clash = next(
            (
                (start, end)
                for other_id, start, end in spans
                if other_id != key and start < contract.end_date and end > contract.start_date
            ),
            None,
        )
        if clash is not None:
            row.error(
                "start_date",
                _(
                    "this base contract overlaps the base contract from %(start)s to %(end)s; "
                    "only add-ons (kind add_on) may overlap."
                )
                % {"start": clash[0], "end": clash[1]},
            )
            continue
        spans.append((key, contract.start_date, contract.end_date))
