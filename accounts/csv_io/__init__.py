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
- `csv_file_check` finds every file-level problem and counts the rows without touching the
  database, so a caller can answer at once and choose between importing now and a background
  ImportJob (accounts/import_jobs.py). `csv_import(progress=...)` reports validation progress
  before the write transaction opens.

Modules: `columns` (kinds, columns, limits), `reading` (bytes → table), `cells` (one row's
values), `importers` (per-kind checks and writes), `importing` (entry points), `report`
(the result and its JSON form), `exporting` (export and samples). Import from the package.
"""

from accounts.csv_io.columns import (
    ACCOUNT_COLUMNS,
    COLUMNS,
    CONTACT_COLUMNS,
    ERRORS_COLUMN,
    KIND_ACCOUNTS,
    KIND_CHOICES,
    KIND_CONTACTS,
    KINDS,
    LINE_COLUMN,
    MAX_FILE_BYTES,
    Column,
)
from accounts.csv_io.exporting import csv_export_rows, csv_lines, csv_sample
from accounts.csv_io.importing import FileCheck, ProgressCallback, csv_file_check, csv_import
from accounts.csv_io.report import ImportReport, RowError

__all__ = [
    "ACCOUNT_COLUMNS",
    "COLUMNS",
    "CONTACT_COLUMNS",
    "ERRORS_COLUMN",
    "KINDS",
    "KIND_ACCOUNTS",
    "KIND_CHOICES",
    "KIND_CONTACTS",
    "LINE_COLUMN",
    "MAX_FILE_BYTES",
    "Column",
    "FileCheck",
    "ImportReport",
    "ProgressCallback",
    "RowError",
    "csv_export_rows",
    "csv_file_check",
    "csv_import",
    "csv_lines",
    "csv_sample",
]
