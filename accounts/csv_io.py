"""CSV import and export of accounts and contacts.

Contract (DESIGN.md, Domain > accounts; the import page repeats it to users):
- A file-level problem (not UTF-8, not a CSV, empty, too big, too many rows, a required
  column missing) rejects the whole file with one message, and nothing is written.
- A row-level problem rejects that row only. Every rejected row is reported with its line
  number in the file (the header is line 1) and every reason, column by column. An id that
  appears on several lines is rejected on all of them: we cannot know which one is meant.
- The valid rows are written in one transaction, set-based (`bulk_create` for new rows,
  `bulk_update` for existing ones): an import is all of its valid rows or nothing.
- Re-importing updates instead of duplicating: accounts match on `external_id`, contacts on
  (account, email), or (account, phone) when the row has no email.
- An empty cell never erases a stored value, and `unknown` never erases a recorded consent:
  a partial spreadsheet cannot wipe data or a contact's opt-out (LGPD).
- Export writes the import's own columns and values, so export → import changes nothing.
- Every query is filtered by the organization passed in; owners are members of that
  organization, accounts are that organization's accounts.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Consent, Contact, Segment, Stage
from accounts.selectors import AccountFilters, account_list
from accounts.validators import phone_normalize, region_for_organization
from tenancy.models import Membership, Organization, Role, User
from tenancy.services import audit_record

KIND_ACCOUNTS = "accounts"
KIND_CONTACTS = "contacts"
KINDS = (KIND_ACCOUNTS, KIND_CONTACTS)
KIND_CHOICES = (
    (KIND_ACCOUNTS, gettext_lazy("Accounts")),
    (KIND_CONTACTS, gettext_lazy("Contacts")),
)

MAX_FILE_BYTES = 10 * 1024 * 1024
# Bulk lookups go by chunks so an IN list stays under SQLite's bound-parameter limit.
LOOKUP_CHUNK = 2000
WRITE_BATCH = 500
EXPORT_CHUNK = 2000
# Columns the importer recognises but never writes: context in exports, our own report.
LINE_COLUMN = "import_line"
ERRORS_COLUMN = "import_errors"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: Any
    aliases: tuple[str, ...] = ()
    imported: bool = True


ACCOUNT_COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        True,
        gettext_lazy("Your system's identifier for the customer. Re-importing updates by it."),
        ("externalid", "id_externo", "codigo_externo"),
    ),
    Column("name", True, gettext_lazy("The customer's name."), ("nome",)),
    Column(
        "owner_email",
        False,
        gettext_lazy("Email of the CSM who owns the account; a member of this workspace."),
        ("owner", "csm", "csm_email", "responsavel", "email_do_responsavel"),
    ),
    Column(
        "segment",
        False,
        gettext_lazy("smb, mid_market, enterprise or strategic (or the label, e.g. Mid-market)."),
        ("segmento", "tier"),
    ),
    Column("industry", False, gettext_lazy("Free text."), ("setor", "industria")),
    Column(
        "go_live_date",
        False,
        gettext_lazy("YYYY-MM-DD or DD/MM/YYYY."),
        ("go_live", "golive", "data_de_go_live", "data_go_live"),
    ),
    Column(
        "stage",
        False,
        gettext_lazy(
            "onboarding, adoption, retention, expansion, renewal, advocacy or churned "
            "(or the label). New accounts start in onboarding."
        ),
        ("etapa", "estagio", "fase"),
    ),
)

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column(
        "account_external_id",
        True,
        gettext_lazy("The external_id of the contact's account, which must already exist."),
        ("account_id", "account", "conta", "id_externo_da_conta"),
    ),
    Column(
        "account_name",
        False,
        gettext_lazy("Ignored on import; the export includes it for reading."),
        ("nome_da_conta",),
        imported=False,
    ),
    Column("name", True, gettext_lazy("The person's name."), ("contact_name", "nome", "contato")),
    Column(
        "email",
        False,
        gettext_lazy("Re-importing updates the account's contact with this email."),
        ("e_mail", "email_address"),
    ),
    Column(
        "phone",
        False,
        gettext_lazy("International format, e.g. +5511987654321. Email or phone is required."),
        ("phone_e_164", "telefone", "celular", "mobile", "whatsapp"),
    ),
    Column(
        "role",
        False,
        gettext_lazy("champion, executive_sponsor, admin or user (or the label)."),
        ("papel", "funcao"),
    ),
    Column("locale", False, gettext_lazy("en or pt-br."), ("language", "idioma")),
    Column(
        "is_primary",
        False,
        gettext_lazy("yes/no. One primary contact per account."),
        ("primary", "primary_contact", "principal", "contato_principal"),
    ),
    Column(
        "email_consent",
        False,
        gettext_lazy("opted_in, opted_out or unknown (also yes/no, sim/não, true/false, 1/0)."),
        ("consentimento_email", "consentimento_de_email"),
    ),
    Column(
        "whatsapp_consent",
        False,
        gettext_lazy("opted_in, opted_out or unknown (also yes/no, sim/não, true/false, 1/0)."),
        ("consentimento_whatsapp", "consentimento_de_whatsapp"),
    ),
)

COLUMNS = {KIND_ACCOUNTS: ACCOUNT_COLUMNS, KIND_CONTACTS: CONTACT_COLUMNS}


# ----------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A rejected row: its line in the file (header = line 1) and every reason."""

    line: int
    messages: tuple[str, ...]

    def __str__(self) -> str:
        return _("line %(line)s: %(reasons)s") % {
            "line": self.line,
            "reasons": _join(self.messages),
        }


def _join(messages: Iterable[str]) -> str:
    return "; ".join(message.rstrip(".") for message in messages)


@dataclass(frozen=True)
class ImportReport:
    kind: str
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: tuple[RowError, ...] = ()
    file_error: str | None = None
    ignored_columns: tuple[str, ...] = ()
    # The rejected rows as a CSV (the file's header plus line and reasons), to fix and re-import.
    rejected_csv: str = ""

    @property
    def rejected(self) -> int:
        return len(self.errors)


class _FileError(Exception):
    pass


# ----------------------------------------------------------------------------------------------
# Reading the file
# ----------------------------------------------------------------------------------------------

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


def _read_table(content: bytes, kind: str) -> _Table:
    if len(content) > MAX_FILE_BYTES:
        raise _FileError(
            _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
            % {"size": filesizeformat(len(content)), "limit": filesizeformat(MAX_FILE_BYTES)}
        )
    text = _decode(content)
    if not text.strip():
        raise _FileError(_("The file is empty."))

    first_line = next((line for line in io.StringIO(text) if line.strip()), "").rstrip("\r\n")
    # Excel honours (and sometimes writes) a first line "sep=;" naming the delimiter.
    sep_line = re.fullmatch(r" *sep=([,;\t|]) *", first_line)
    skip_sep_line = sep_line is not None
    delimiter = sep_line[1] if sep_line else _delimiter(first_line)

    max_rows = settings.ACCOUNT_IMPORT_MAX_ROWS
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


# ----------------------------------------------------------------------------------------------
# Cell values
# ----------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_LIKE = re.compile(r"[+-]?[\d\s().,-]*")


class _Row:
    """One data row: its line, cell access by column name, and the problems found."""

    def __init__(self, line: int, cells: list[str], table: _Table):
        self.line = line
        self.cells = cells
        self.table = table
        self.messages: list[str] = []

    def get(self, name: str) -> str:
        position = self.table.columns.get(name)
        if position is None or position >= len(self.cells):
            return ""
        value = self.cells[position].strip()
        # Undo the quote our export puts before formula-like text (CSV injection guard).
        if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_START:
            value = value[1:]
        return value

    def error(self, column: str, message: str) -> None:
        self.messages.append(_("%(column)s: %(message)s") % {"column": column, "message": message})

    def text(self, name: str, max_length: int, *, required: bool = False) -> str:
        value = self.get(name)
        if required and not value:
            self.error(name, _("a value is required."))
        elif len(value) > max_length:
            self.error(
                name,
                _("is %(length)s characters long; the maximum is %(max)s.")
                % {"length": len(value), "max": max_length},
            )
        return value


_TRUE_WORDS = {"true", "yes", "y", "sim", "s", "1"}
_FALSE_WORDS = {"false", "no", "n", "nao", "0"}
_EXTRA_CHOICE_WORDS: dict[type[models.TextChoices], dict[str, str]] = {
    Stage: {
        "implantacao": Stage.ONBOARDING,
        "implementacao": Stage.ONBOARDING,
        "adocao": Stage.ADOPTION,
        "retencao": Stage.RETENTION,
        "expansao": Stage.EXPANSION,
        "renovacao": Stage.RENEWAL,
        "defesa": Stage.ADVOCACY,
        "cancelado": Stage.CHURNED,
        "churn": Stage.CHURNED,
    },
    Segment: {
        "mid": Segment.MID_MARKET,
        "midmarket": Segment.MID_MARKET,
        "estrategico": Segment.STRATEGIC,
    },
    Contact.ContactRole: {
        "campeao": Contact.ContactRole.CHAMPION,
        "patrocinador": Contact.ContactRole.EXECUTIVE_SPONSOR,
        "patrocinador executivo": Contact.ContactRole.EXECUTIVE_SPONSOR,
        "sponsor": Contact.ContactRole.EXECUTIVE_SPONSOR,
        "administrador": Contact.ContactRole.ADMIN,
        "usuario": Contact.ContactRole.USER,
    },
    Contact.Locale: {
        "pt": Contact.Locale.PT_BR,
        "pt br": Contact.Locale.PT_BR,
        "portugues": Contact.Locale.PT_BR,
        "portugues (brasil)": Contact.Locale.PT_BR,
        "en us": Contact.Locale.EN,
        "en gb": Contact.Locale.EN,
        "ingles": Contact.Locale.EN,
    },
    Consent: {
        **dict.fromkeys(_TRUE_WORDS | {"opt in"}, Consent.OPTED_IN),
        **dict.fromkeys(_FALSE_WORDS | {"opt out"}, Consent.OPTED_OUT),
        "desconhecido": Consent.UNKNOWN,
    },
}


@cache
def _choice_words(choices: type[models.TextChoices]) -> dict[str, str]:
    """Stored value, English label and pt-BR label (all folded) → stored value."""
    words: dict[str, str] = {}
    for language in ("en", "pt-br"):
        with translation.override(language):
            for value, label in choices.choices:
                words.setdefault(_fold(str(label)), value)
    for value in choices.values:
        words[_fold(value)] = value
    words.update(_EXTRA_CHOICE_WORDS.get(choices, {}))
    return words


def _choice(row: _Row, name: str, choices: type[models.TextChoices]) -> str | None:
    value = row.get(name)
    if not value:
        return None
    stored = _choice_words(choices).get(_fold(value))
    if stored is None:
        row.error(
            name,
            _("“%(value)s” is not one of %(choices)s.")
            % {"value": value, "choices": ", ".join(choices.values)},
        )
    return stored


def _boolean(row: _Row, name: str) -> bool | None:
    value = _fold(row.get(name))
    if not value:
        return None
    if value in _TRUE_WORDS:
        return True
    if value in _FALSE_WORDS:
        return False
    row.error(name, _("“%(value)s” is not yes or no.") % {"value": row.get(name)})
    return None


def _date(row: _Row, name: str) -> date | None:
    value = row.get(name)
    if not value:
        return None
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    brazilian = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if brazilian:
            return date(int(brazilian[3]), int(brazilian[2]), int(brazilian[1]))
    except ValueError:
        pass
    row.error(
        name, _("“%(value)s” is not a date; use YYYY-MM-DD or DD/MM/YYYY.") % {"value": value}
    )
    return None


def _email(row: _Row, name: str) -> str:
    value = row.get(name).lower()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        row.error(name, _("“%(value)s” is not a valid email address.") % {"value": row.get(name)})
        return ""
    return value


def _lines(lines: Sequence[int]) -> str:
    return get_text_list([str(line) for line in lines], _("and"))


def _duplicates(keyed: Iterable[tuple[Any, _Row]]) -> dict[Any, list[_Row]]:
    groups: dict[Any, list[_Row]] = defaultdict(list)
    for key, row in keyed:
        groups[key].append(row)
    return {key: rows for key, rows in groups.items() if len(rows) > 1}


def _chunks(values: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# ----------------------------------------------------------------------------------------------
# Import
# ----------------------------------------------------------------------------------------------


def csv_import(
    *,
    organization: Organization,
    actor: User | None,
    kind: str,
    content: bytes,
    filename: str = "",
) -> ImportReport:
    """Import `content` (the uploaded file's bytes) as `kind`; see the module contract."""
    if kind not in KINDS:
        return ImportReport(
            kind=kind, file_error=_("Unknown import kind “%(kind)s”.") % {"kind": kind}
        )
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
        created, updated, unchanged = job.run()
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


class _Import:
    kind = ""
    action = ""

    def __init__(
        self, *, organization: Organization, actor: User | None, rows: list[_Row], filename: str
    ):
        self.organization = organization
        self.actor = actor
        self.rows = rows
        self.filename = filename

    def run(self) -> tuple[int, int, int]:
        # A row with too many values is misaligned: its cells are not worth reading.
        parsed = [(row, self.parse(row)) for row in self.rows if not row.messages]
        self.check(parsed)
        valid = [(row, fields) for row, fields in parsed if not row.messages]
        if not valid:
            return 0, 0, 0
        with transaction.atomic():
            created, updated, unchanged = self.write(valid)
            if created or updated:
                audit_record(
                    organization=self.organization,
                    actor=self.actor,
                    action=self.action,
                    target=self.organization,
                    after={
                        "file": self.filename[:200],
                        "rows": len(self.rows),
                        "created": created,
                        "updated": updated,
                        "unchanged": unchanged,
                        "rejected": sum(1 for row in self.rows if row.messages),
                    },
                )
        return created, updated, unchanged

    def parse(self, row: _Row) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, parsed: list[tuple[_Row, dict[str, Any]]]) -> None:
        """Cross-row and database checks; add messages to the rows they reject."""

    def write(self, valid: list[tuple[_Row, dict[str, Any]]]) -> tuple[int, int, int]:
        raise NotImplementedError


class _AccountImport(_Import):
    kind = KIND_ACCOUNTS
    action = "accounts.imported"

    def parse(self, row: _Row) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "external_id": row.text("external_id", 100, required=True),
            "name": row.text("name", 200, required=True),
        }
        owner_email = row.text("owner_email", 254).lower()
        if owner_email:
            fields["owner_email"] = owner_email
        industry = row.text("industry", 100)
        if industry:
            fields["industry"] = industry
        optional = {
            "segment": _choice(row, "segment", Segment),
            "go_live_date": _date(row, "go_live_date"),
            "stage": _choice(row, "stage", Stage),
        }
        fields.update({name: value for name, value in optional.items() if value is not None})
        return fields

    def check(self, parsed: list[tuple[_Row, dict[str, Any]]]) -> None:
        keyed = [(fields["external_id"], row) for row, fields in parsed if fields["external_id"]]
        for external_id, rows in _duplicates(keyed).items():
            message = _(
                "“%(value)s” appears on lines %(lines)s; each external ID may appear only once "
                "in a file."
            ) % {"value": external_id, "lines": _lines([row.line for row in rows])}
            for row in rows:
                row.error("external_id", message)

        emails = sorted(
            {fields["owner_email"] for _row, fields in parsed if "owner_email" in fields}
        )
        owners = self._owners(emails)
        for row, fields in parsed:
            email = fields.pop("owner_email", None)
            if email is None:
                continue
            owner = owners.get(email)
            if owner is None:
                row.error(
                    "owner_email",
                    _("“%(value)s” is not a member of this workspace.") % {"value": email},
                )
            elif owner.role == Role.VIEWER:
                row.error(
                    "owner_email",
                    _("“%(value)s” is a viewer and cannot own accounts.") % {"value": email},
                )
            else:
                fields["owner_id"] = owner.pk

    def _owners(self, emails: list[str]) -> dict[str, Membership]:
        owners: dict[str, Membership] = {}
        for chunk in _chunks(emails):
            memberships = (
                Membership.objects.filter(organization=self.organization)
                .annotate(email_lower=Lower("user__email"))
                .filter(email_lower__in=chunk)
            )
            owners.update({membership.email_lower: membership for membership in memberships})
        return owners

    def write(self, valid: list[tuple[_Row, dict[str, Any]]]) -> tuple[int, int, int]:
        external_ids = [fields["external_id"] for _row, fields in valid]
        existing: dict[str, Account] = {}
        for chunk in _chunks(external_ids):
            accounts = Account.objects.filter(
                organization=self.organization, external_id__in=chunk
            ).select_for_update()
            existing.update({account.external_id: account for account in accounts})

        now = timezone.now()
        to_create: list[Account] = []
        to_update: list[Account] = []
        changed_fields: set[str] = set()
        unchanged = 0
        for _row, fields in valid:
            account = existing.get(fields["external_id"])
            if account is None:
                to_create.append(
                    Account(organization=self.organization, stage_entered_at=now, **fields)
                )
                continue
            changed = [name for name, value in fields.items() if getattr(account, name) != value]
            if not changed:
                unchanged += 1
                continue
            for name in changed:
                setattr(account, name, fields[name])
            if "stage" in changed:
                account.stage_entered_at = now
                changed.append("stage_entered_at")
            account.updated_at = now
            changed_fields.update(changed)
            to_update.append(account)

        Account.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
        if to_update:
            Account.objects.bulk_update(
                to_update,
                fields=sorted(changed_fields | {"updated_at"}),
                batch_size=WRITE_BATCH,
            )
        return len(to_create), len(to_update), unchanged


class _ContactImport(_Import):
    kind = KIND_CONTACTS
    action = "contacts.imported"

    def parse(self, row: _Row) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "account_external_id": row.text("account_external_id", 100, required=True),
            "name": row.text("name", 200, required=True),
        }
        email = _email(row, "email") if len(row.get("email")) <= 254 else row.text("email", 254)
        phone = ""
        if row.get("phone"):
            try:
                phone = phone_normalize(
                    row.get("phone"), default_region=region_for_organization(self.organization)
                )
            except ValidationError as exc:
                row.error("phone", exc.messages[0])
        if not row.get("email") and not row.get("phone"):
            row.messages.append(_("email or phone: give at least one of them."))
        if email:
            fields["email"] = email
        if phone:
            fields["phone"] = phone
        optional = {
            "role": _choice(row, "role", Contact.ContactRole),
            "locale": _choice(row, "locale", Contact.Locale),
            "is_primary": _boolean(row, "is_primary"),
            "email_consent": _choice(row, "email_consent", Consent),
            "whatsapp_consent": _choice(row, "whatsapp_consent", Consent),
        }
        fields.update({name: value for name, value in optional.items() if value is not None})
        for channel in ("email_consent", "whatsapp_consent"):
            # "unknown" is no news: it never replaces a recorded opt-in or opt-out.
            if fields.get(channel) == Consent.UNKNOWN:
                del fields[channel]
        return fields

    @staticmethod
    def _key(fields: dict[str, Any]) -> tuple[str, str, str] | None:
        if fields.get("email"):
            return (fields["account_external_id"], "email", fields["email"])
        if fields.get("phone"):
            return (fields["account_external_id"], "phone", fields["phone"])
        return None

    def check(self, parsed: list[tuple[_Row, dict[str, Any]]]) -> None:
        keyed = [(key, row) for row, fields in parsed if (key := self._key(fields))]
        for (_account, channel, value), rows in _duplicates(keyed).items():
            message = _(
                "“%(value)s” appears on lines %(lines)s for the same account; each contact may "
                "appear only once in a file."
            ) % {"value": value, "lines": _lines([row.line for row in rows])}
            for row in rows:
                row.error(channel, message)

        primaries = [
            (fields["account_external_id"], row)
            for row, fields in parsed
            if fields.get("is_primary") and fields["account_external_id"]
        ]
        for external_id, rows in _duplicates(primaries).items():
            message = _(
                "account “%(value)s” has more than one primary contact in this file (lines "
                "%(lines)s)."
            ) % {"value": external_id, "lines": _lines([row.line for row in rows])}
            for row in rows:
                row.error("is_primary", message)

        external_ids = sorted(
            {
                fields["account_external_id"]
                for _row, fields in parsed
                if fields["account_external_id"]
            }
        )
        accounts: dict[str, int] = {}
        for chunk in _chunks(external_ids):
            accounts.update(
                Account.objects.filter(
                    organization=self.organization, external_id__in=chunk
                ).values_list("external_id", "pk")
            )
        for row, fields in parsed:
            external_id = fields.pop("account_external_id")
            if not external_id:
                continue
            account_id = accounts.get(external_id)
            if account_id is None:
                row.error(
                    "account_external_id",
                    _("no account with external ID “%(value)s” in this workspace.")
                    % {"value": external_id},
                )
            fields["account_id"] = account_id

    def write(self, valid: list[tuple[_Row, dict[str, Any]]]) -> tuple[int, int, int]:
        account_ids = sorted({fields["account_id"] for _row, fields in valid})
        by_email: dict[tuple[int, str], Contact] = {}
        by_phone: dict[tuple[int, str], Contact] = {}
        existing: list[Contact] = []
        for chunk in _chunks(account_ids):
            existing.extend(
                Contact.objects.filter(
                    organization=self.organization, account_id__in=chunk
                ).select_for_update()
            )
        # A phone-only row matches the contact without an email first.
        for known in sorted(existing, key=lambda known: (known.email != "", known.pk)):
            if known.email:
                by_email.setdefault((known.account_id, known.email.lower()), known)
            if known.phone:
                by_phone.setdefault((known.account_id, known.phone), known)

        now = timezone.now()
        default_locale = (
            self.organization.locale
            if self.organization.locale in Contact.Locale.values
            else Contact.Locale.PT_BR
        )
        to_create: list[Contact] = []
        to_update: list[Contact] = []
        matched: dict[int, int] = {}
        changed_fields: set[str] = set()
        unchanged = 0
        for row, fields in valid:
            account_id = fields["account_id"]
            contact = None
            if fields.get("email"):
                contact = by_email.get((account_id, fields["email"]))
            if contact is None and fields.get("phone"):
                candidate = by_phone.get((account_id, fields["phone"]))
                if candidate is not None and (not fields.get("email") or not candidate.email):
                    contact = candidate
            if contact is not None and contact.pk in matched:
                row.error(
                    "phone",
                    _("matches the same contact as line %(line)s.") % {"line": matched[contact.pk]},
                )
                continue
            if contact is None:
                new = Contact(
                    organization=self.organization, **{"locale": default_locale, **fields}
                )
                for channel in ("email", "whatsapp"):
                    if fields.get(f"{channel}_consent"):
                        setattr(new, f"{channel}_consent_at", now)
                to_create.append(new)
                continue
            matched[contact.pk] = row.line
            changed = [
                name
                for name, value in fields.items()
                if (getattr(contact, name).lower() if name == "email" else getattr(contact, name))
                != value
            ]
            if not changed:
                unchanged += 1
                continue
            for name in list(changed):
                setattr(contact, name, fields[name])
                if name in ("email_consent", "whatsapp_consent"):
                    setattr(contact, f"{name}_at", now)
                    changed.append(f"{name}_at")
            contact.updated_at = now
            changed_fields.update(changed)
            to_update.append(contact)

        Contact.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
        if to_update:
            Contact.objects.bulk_update(
                to_update,
                fields=sorted(changed_fields | {"updated_at"}),
                batch_size=WRITE_BATCH,
            )
        primaries = [contact for contact in (*to_create, *to_update) if contact.is_primary]
        for chunk in _chunks(primaries):
            Contact.objects.filter(
                organization=self.organization,
                account_id__in={contact.account_id for contact in chunk},
                is_primary=True,
            ).exclude(pk__in=[contact.pk for contact in chunk]).update(is_primary=False)
        return len(to_create), len(to_update), unchanged


# ----------------------------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------------------------


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
