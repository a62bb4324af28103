"""One data row and the parsing of its cells (choices, booleans, dates, emails)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from accounts.csv_io.columns import LOOKUP_CHUNK
from accounts.csv_io.reading import _fold, _Table
from accounts.models import Consent, Contact, Segment, Stage

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
