"""Reading an uploaded file into a table: encoding, delimiter, header, file-level errors."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.csv_io.columns import (
    COLUMNS,
    ERRORS_COLUMN,
    KIND_ACCOUNTS,
    KIND_CONTACTS,
    LINE_COLUMN,
    MAX_FILE_BYTES,
    Column,
)


class _FileError(Exception):
    pass


SAVE_AS_UTF8_HELP = gettext_lazy(
    "Save it as “CSV UTF-8”: in Excel, File > Save As > “CSV UTF-8 (Comma delimited) (.csv)”; "
    "in Google Sheets, File > Download > “Comma-separated values (.csv)”."
)
_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "xlsx"),
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"%PDF", "pdf"),
)


@dataclass(frozen=True)
class _Table:
    header: list[str]
    columns: dict[str, int]
    ignored: tuple[str, ...]
    rows: list[tuple[int, list[str]]]
    delimiter: str


def _fold(value: str) -> str:
    """Case-, accent- and separator-insensitive form: 'Adoção' → 'adocao', 'Mid-market' → 'mid market'."""
    text = unicodedata.normalize("NFKD", value.strip().casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.replace("_", " ").replace("-", " ").split())


def _header_key(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", _fold(value)).strip("_")


def _decode(content: bytes) -> str:
    for signature, kind in _BINARY_SIGNATURES:
        if content.startswith(signature):
            if kind in ("xlsx", "xls"):
                raise _FileError(
                    _("This is an Excel workbook, not a CSV file. %(help)s")
                    % {"help": SAVE_AS_UTF8_HELP}
                )
            raise _FileError(_("This is not a CSV file. %(help)s") % {"help": SAVE_AS_UTF8_HELP})
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            raise _FileError(
                _("The file is not valid UTF-16 text. %(help)s") % {"help": SAVE_AS_UTF8_HELP}
            ) from None
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _FileError(
                _(
                    "The file is not UTF-8 text: line %(line)s has a character in another "
                    "encoding (often Windows-1252 or Latin-1, where “João” is saved "
                    "differently). %(help)s"
                )
                % {"line": content[: exc.start].count(b"\n") + 1, "help": SAVE_AS_UTF8_HELP}
            ) from None
    if "\x00" in text:
        raise _FileError(
            _("This is not a CSV file: it contains binary data. %(help)s")
            % {"help": SAVE_AS_UTF8_HELP}
        )
    return text.lstrip("\ufeff")


def _delimiter(first_line: str) -> str:
    """Comma unless the header clearly uses `;` (Brazilian Excel) or a tab."""
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > counts[","] else ","


def _column_index(kind: str) -> dict[str, Column]:
    index: dict[str, Column] = {}
    for column in COLUMNS[kind]:
        for alias in (column.name, *column.aliases):
            index[_header_key(alias)] = column
    return index


def csv_rows_read(
    content: bytes, *, max_rows: int, max_bytes: int = MAX_FILE_BYTES
) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """Decode and split a CSV upload: (header, [(line number, cells)], delimiter).

    Shared by every CSV import. Raises _FileError for a file-level problem (too big, not
    UTF-8, empty, not CSV, too many rows); blank lines are skipped, line numbers are the
    file's own (quoted line breaks counted), Excel's "sep=" first line is honoured.
    """
    if len(content) > max_bytes:
        raise _FileError(
            _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
            % {"size": filesizeformat(len(content)), "limit": filesizeformat(max_bytes)}
        )
    text = _decode(content)
    if not text.strip():
        raise _FileError(_("The file is empty."))

    first_line = next((line for line in io.StringIO(text) if line.strip()), "").rstrip("\r\n")
    # Excel honours (and sometimes writes) a first line "sep=;" naming the delimiter.
    sep_line = re.fullmatch(r" *sep=([,;\t|]) *", first_line)
    skip_sep_line = sep_line is not None
    delimiter = sep_line[1] if sep_line else _delimiter(first_line)

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    next_line = 1
    try:
        for cells in reader:
            line, next_line = next_line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                if skip_sep_line and cells[0].strip().startswith("sep="):
                    continue
                header = cells
                continue
            rows.append((line, cells))
            if len(rows) > max_rows:
                raise _FileError(
                    _("The file has more than %(max)s rows. Split it into smaller files.")
                    % {"max": max_rows}
                )
    except csv.Error as exc:
        raise _FileError(
            _("This is not a valid CSV file (line %(line)s: %(error)s).")
            % {"line": reader.line_num, "error": exc}
        ) from None
    if header is None:
        raise _FileError(_("The file is empty."))
    return header, rows, delimiter


def _read_table(content: bytes, kind: str) -> _Table:
    header, rows, delimiter = csv_rows_read(content, max_rows=settings.ACCOUNT_IMPORT_MAX_ROWS)

    known = _column_index(kind)
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for position, title in enumerate(header):
        key = _header_key(title)
        column = known.get(key)
        if column is None:
            if title.strip() and key not in (LINE_COLUMN, ERRORS_COLUMN):
                ignored.append(title.strip())
            continue
        if column.name in columns:
            raise _FileError(
                _("The column “%(column)s” appears twice (columns %(first)s and %(second)s).")
                % {"column": column.name, "first": columns[column.name] + 1, "second": position + 1}
            )
        columns[column.name] = position

    missing = [
        column.name for column in COLUMNS[kind] if column.required and column.name not in columns
    ]
    if missing:
        found = [title.strip() for title in header if title.strip()]
        message = _("Missing required columns: %(missing)s. Columns found: %(found)s.") % {
            "missing": ", ".join(missing),
            "found": ", ".join(found) or _("none"),
        }
        other = KIND_CONTACTS if kind == KIND_ACCOUNTS else KIND_ACCOUNTS
        other_known = _column_index(other)
        other_found = {
            other_known[key].name for key in map(_header_key, header) if key in other_known
        }
        if all(c.name in other_found for c in COLUMNS[other] if c.required):
            message += " " + (
                _("This looks like a contacts file: choose “Contacts”.")
                if other == KIND_CONTACTS
                else _("This looks like an accounts file: choose “Accounts”.")
            )
        raise _FileError(message)
    if not rows:
        raise _FileError(_("The file has a header but no rows to import."))
    return _Table(
        header=header, columns=columns, ignored=tuple(ignored), rows=rows, delimiter=delimiter
    )
