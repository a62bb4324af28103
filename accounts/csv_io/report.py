"""The outcome of an import, and its JSON form (kept by a background ImportJob)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _


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

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data; `ImportReport.from_json` turns it back into an equal report."""
        return {
            "kind": self.kind,
            "total_rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [
                {"line": error.line, "messages": list(error.messages)} for error in self.errors
            ],
            "file_error": self.file_error,
            "ignored_columns": list(self.ignored_columns),
            "rejected_csv": self.rejected_csv,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportReport:
        return cls(
            kind=data["kind"],
            total_rows=data.get("total_rows", 0),
            created=data.get("created", 0),
            updated=data.get("updated", 0),
            unchanged=data.get("unchanged", 0),
            errors=tuple(
                RowError(line=error["line"], messages=tuple(error["messages"]))
                for error in data.get("errors", ())
            ),
            file_error=data.get("file_error"),
            ignored_columns=tuple(data.get("ignored_columns", ())),
            rejected_csv=data.get("rejected_csv", ""),
        )
