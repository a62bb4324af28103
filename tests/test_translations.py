"""pt-BR is complete: every string marked for translation in the code and templates has a
Portuguese translation, none is fuzzy, and the committed .mo matches the .po."""

import gettext
import os
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale/pt_BR/LC_MESSAGES/django.po"
MO = ROOT / "locale/pt_BR/LC_MESSAGES/django.mo"


def test_catalog_is_complete_and_not_fuzzy():
    catalog = polib.pofile(str(PO))
    assert [entry.msgid for entry in catalog.untranslated_entries()] == []
    assert [entry.msgid for entry in catalog.fuzzy_entries()] == []
    assert len(catalog.translated_entries()) > 300


def test_compiled_catalog_matches_the_source():
    catalog = polib.pofile(str(PO))
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in catalog.translated_entries():
        if entry.msgid_plural:
            got = (
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                if entry.msgctxt
                else compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
            )
            want = entry.msgstr_plural[0]
        else:
            got = (
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt
                else compiled.gettext(entry.msgid)
            )
            want = entry.msgstr
        if got != want:
            stale.append(entry.msgid)
    assert stale == [], "run `make messages` (msgfmt) and commit the .mo"


@pytest.mark.skipif(
    shutil.which("xgettext") is None and not os.environ.get("CI"),
    reason="GNU gettext is not installed (CI installs it)",
)
def test_every_marked_string_is_in_the_catalog(tmp_path):
    # Given a scratch copy of the sources and catalog (makemessages writes into the `locale`
    # folder it finds while walking, so it must walk the copy, never the repository)
    scratch = tmp_path / "src"
    shutil.copytree(
        ROOT,
        scratch,
        ignore=shutil.ignore_patterns(
            ".*", "var", "static", "tests", "bench", "node_modules", "__pycache__"
        ),
    )
    cwd = os.getcwd()
    os.chdir(scratch)
    try:
        call_command("makemessages", locale=["pt_BR"], verbosity=0)
    finally:
        os.chdir(cwd)

    refreshed = polib.pofile(str(scratch / "locale/pt_BR/LC_MESSAGES/django.po"))
    missing = sorted(
        entry.msgid for entry in refreshed.untranslated_entries() + refreshed.fuzzy_entries()
    )
    assert missing == [], "new strings: run `make messages` and translate them"
    assert polib.pofile(str(PO)).percent_translated() == 100  # the repository was not touched


def test_pages_render_in_portuguese(org, member, client_for):
    browser = client_for(member("admin"))
    browser.cookies["django_language"] = "pt-br"
    content = browser.get("/accounts/").content.decode()
    assert "Contas" in content
    assert 'lang="pt-br"' in content


def test_language_switch_sets_the_cookie(db):
    client = Client()
    client.post("/i18n/setlang/", {"language": "pt-br", "next": "/"})
    assert client.cookies["django_language"].value == "pt-br"
    assert "Entrar" in client.get("/").content.decode()
