"""The import entry points: a cheap file check, and the import itself."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError
from django.utils.translation import gettext as _

from accounts.csv_io.cells import _Row
from accounts.csv_io.columns import ERRORS_COLUMN, KIND_ACCOUNTS, KINDS, LINE_COLUMN
from accounts.csv_io.importers import _AccountImport, _ContactImport
from accounts.csv_io.reading import _FileError, _read_table, _Table
from accounts.csv_io.report import ImportReport, RowError, _join
from tenancy.models import Organization, User

# progress(rows_checked, rows_total); see `csv_import`.
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class FileCheck:
    """What reading the file found: its data rows, or the problem that rejects it whole."""

    rows: int = 0
    file_error: str | None = None


def _unknown_kind(kind: str) -> str:
    return _("Unknown import kind “%(kind)s”.") % {"kind": kind}


def csv_file_check(*, kind: str, content: bytes) -> FileCheck:
    """Read the file as `csv_import` does, without the database: every file-level problem
    (encoding, delimiter, header, size, row limit, no rows) and the exact number of data rows.
    A fraction of the import's cost (no row parsing, no queries)."""
    if kind not in KINDS:
        return FileCheck(file_error=_unknown_kind(kind))
    try:
        table = _read_table(content, kind)
    except _FileError as exc:
        return FileCheck(file_error=str(exc))
    return FileCheck(rows=len(table.rows))


def csv_import(
    *,
    organization: Organization,
    actor: User | None,
    kind: str,
    content: bytes,
    filename: str = "",
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import `content` (the uploaded file's bytes) as `kind`; see the package contract.

    `progress(rows_checked, rows_total)` is called every `importers.PROGRESS_EVERY` rows while
    the rows are checked, then once with rows_checked == rows_total when every check (the
    database lookups included) is done and only the write remains. It runs outside the write
    transaction, so it may commit what it records.
    """
    if kind not in KINDS:
        return ImportReport(kind=kind, file_error=_unknown_kind(kind))
    try:
        table = _read_table(content, kind)
    except _FileError as exc:
        return ImportReport(kind=kind, file_error=str(exc))

    rows = [_Row(line, cells, table) for line, cells in table.rows]
    width = len(table.header)
    for row in rows:
        if len(row.cells) > width and any(cell.strip() for cell in row.cells[width:]):
            row.messages.append(
                _(
                    "has %(count)s values but the header has %(width)s columns; a value that "
                    "contains “%(delimiter)s” must be in double quotes."
                )
                % {"count": len(row.cells), "width": width, "delimiter": table.delimiter}
            )
    importer = _AccountImport if kind == KIND_ACCOUNTS else _ContactImport
    job = importer(organization=organization, actor=actor, rows=rows, filename=filename)
    try:
        created, updated, unchanged = job.run(progress=progress)
    except IntegrityError:
        return ImportReport(
            kind=kind,
            total_rows=len(rows),
            file_error=_(
                "Someone changed the same records while this file was being imported, so "
                "nothing was imported. Please import the file again."
            ),
        )
    errors = tuple(RowError(row.line, tuple(row.messages)) for row in rows if row.messages)
    return ImportReport(
        kind=kind,
        total_rows=len(rows),
        created=created,
        updated=updated,
        unchanged=unchanged,
        errors=errors,
        ignored_columns=table.ignored,
        rejected_csv=_rejected_csv(table, [row for row in rows if row.messages]),
    )


def _rejected_csv(table: _Table, rejected: list[_Row]) -> str:
    if not rejected:
        return ""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=table.delimiter)
    writer.writerow([*table.header, LINE_COLUMN, ERRORS_COLUMN])
    width = len(table.header)
    for row in rejected:
        cells = (row.cells + [""] * width)[: max(width, len(row.cells))]
        writer.writerow([*cells, row.line, _join(row.messages)])
    return buffer.getvalue()
