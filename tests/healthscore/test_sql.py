"""healthscore/sql.py bulk_upsert: the JSON-recordset path, the COPY path (PostgreSQL, large
batches) and SQLite's VALUES path write the same rows."""

import json
from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction

from healthscore import sql

pytestmark = pytest.mark.django_db

COLUMNS = [
    ("id", "bigint"),
    ("label", "text"),
    ("day", "date"),
    ("at", "timestamptz"),
    ("ratio", "float8"),
    ("flag", "boolean"),
    ("doc", "jsonb"),
]
ROWS = [
    (1, "tab\there, newline\nthere, back\\slash", date(2026, 1, 31), None, 0.1, True, {"a": [1]}),
    (2, None, None, datetime(2026, 3, 1, 12, tzinfo=UTC), -2.5, False, {"why": 'it\'s "q"'}),
]


@pytest.fixture
def scratch():
    with connection.cursor() as cursor:
        doc_type = "jsonb" if sql.is_postgresql() else "text"
        cursor.execute(
            "CREATE TABLE scratch_upsert (id bigint PRIMARY KEY, label text, day date, "
            f"at timestamp with time zone, ratio double precision, flag boolean, doc {doc_type})"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE scratch_upsert")


def _stored():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, label, day, at, ratio, flag, doc FROM scratch_upsert ORDER BY id"
        )
        return cursor.fetchall()


@pytest.mark.parametrize("copy_from", [1, 10_000], ids=["copy", "single-statement"])
def test_rows_round_trip_and_conflicts_update(scratch, monkeypatch, copy_from):
    monkeypatch.setattr(sql, "COPY_FROM", copy_from)
    with transaction.atomic():
        inserted = sql.bulk_upsert("scratch_upsert", COLUMNS, ROWS, returning="id")
        updated = sql.bulk_upsert(
            "scratch_upsert",
            COLUMNS,
            [(2, "second", None, None, 3.0, True, {"n": 2})],
            on_conflict="ON CONFLICT (id) DO UPDATE SET label = excluded.label",
            returning="id",
        )

    rows = _stored()
    assert (sorted(inserted), updated) == ([(1,), (2,)], [(2,)])
    assert rows[0][1] == "tab\there, newline\nthere, back\\slash"
    assert rows[1][1] == "second"
    assert rows[0][4:6] == (0.1, True)
    if sql.is_postgresql():
        assert rows[0][2] == date(2026, 1, 31)
        assert rows[1][3] == datetime(2026, 3, 1, 12, tzinfo=UTC)
        docs = [json.loads(row[6]) if isinstance(row[6], str) else row[6] for row in rows]
        assert docs == [{"a": [1]}, {"why": 'it\'s "q"'}]  # the conflict set only the label
