"""Set-based writes shared by ingest and recompute, on PostgreSQL and SQLite.

`bulk_upsert` inserts many rows in one statement: on PostgreSQL one
`INSERT … SELECT FROM jsonb_to_recordset(%s)` whose single parameter is the JSON array of the
rows (psycopg's client-side quoting of one string is fast; quoting per-element text arrays
runs a regex per character class and was 2 s for 10k JSON documents); on SQLite a multi-row
`VALUES` list in chunks under its variable limit. Both take an `ON CONFLICT` clause and may
return columns of the rows actually inserted or updated.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

from django.db import connection

SQLITE_MAX_VARIABLES = 30_000


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def bulk_upsert(
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence],
    *,
    on_conflict: str = "",
    returning: str = "",
) -> list[tuple]:
    """columns: (name, PostgreSQL type) pairs; `jsonb` columns take Python objects."""
    if not rows:
        return []
    names = ", ".join(name for name, _ in columns)
    tail = f" {on_conflict}" if on_conflict else ""
    tail += f" RETURNING {returning}" if returning else ""
    result: list[tuple] = []
    with connection.cursor() as cursor:
        if is_postgresql():
            sql = (
                f"INSERT INTO {table} ({names}) SELECT {_select_list(columns)} "  # noqa: S608
                f"FROM jsonb_to_recordset(%s::jsonb) AS u({_record_types(columns)}){tail}"
            )
            cursor.execute(sql, [_rows_json(rows, columns)])
            if returning:
                result.extend(cursor.fetchall())
            return result
        jsonb = [i for i, (_, pg_type) in enumerate(columns) if pg_type == "jsonb"]
        if jsonb:
            converted: list[list] = [list(row) for row in rows]
            for values in converted:
                for i in jsonb:
                    values[i] = json.dumps(values[i])
            rows = converted
        # Django's debug cursor would quote every parameter into the query log: use the
        # backend cursor (same placeholder conversion, no logging) for these big statements.
        raw = cursor.cursor
        chunk = max(1, SQLITE_MAX_VARIABLES // len(columns))
        placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            sql = (
                f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(part))
                + tail
            )
            raw.execute(sql, [value for row in part for value in row])
            if returning:
                result.extend(raw.fetchall())
    return result


def _record_types(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"c{i} {pg_type}" for i, (_, pg_type) in enumerate(columns))


def _select_list(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"u.c{i}" for i in range(len(columns)))


def _json_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows_json(rows: Sequence[Sequence], columns: Sequence[tuple[str, str]]) -> str:
    """Rows as a JSON array of {"c0": …} records (jsonb columns: Python objects, embedded)."""
    convert = [pg_type in ("date", "timestamptz") for _, pg_type in columns]
    keys = [f"c{i}" for i in range(len(columns))]
    records = [
        {keys[i]: (_json_value(value) if convert[i] else value) for i, value in enumerate(row)}
        for row in rows
    ]
    return json.dumps(records, separators=(",", ":"))


def bulk_update_from_values(
    table: str,
    key: tuple[str, str],
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence],
    *,
    where: str = "",
    where_params: Sequence = (),
    extra_set: str = "",
    extra_params: Sequence = (),
) -> int:
    """`UPDATE table SET col = v.col … FROM (rows) v WHERE table.key = v.key` in one statement
    (PostgreSQL: unnest arrays; SQLite ≥ 3.33: VALUES chunks)."""
    if not rows:
        return 0
    all_columns = [key, *columns]
    sets = ", ".join(f"{name} = v.{name}" for name, _ in columns)
    if extra_set:
        sets += f", {extra_set}"
    condition = f"{table}.{key[0]} = v.{key[0]}" + (f" AND {where}" if where else "")
    updated = 0
    with connection.cursor() as cursor:
        if is_postgresql():
            record = ", ".join(f"{name} {pg_type}" for name, pg_type in all_columns)
            sql = (
                f"UPDATE {table} SET {sets} FROM jsonb_to_recordset(%s::jsonb) "  # noqa: S608
                f"AS v({record}) WHERE {condition}"
            )
            payload = json.dumps(
                [{name: row[i] for i, (name, _) in enumerate(all_columns)} for row in rows]
            )
            cursor.execute(sql, [*extra_params, payload, *where_params])
            return cursor.rowcount
        chunk = max(1, SQLITE_MAX_VARIABLES // len(all_columns))
        placeholder = "(" + ", ".join(["%s"] * len(all_columns)) + ")"
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            values = ", ".join([placeholder] * len(part))
            select = ", ".join(
                f"column{i + 1} AS {name}" for i, (name, _) in enumerate(all_columns)
            )
            sql = (
                f"UPDATE {table} SET {sets} FROM (SELECT {select} FROM (VALUES {values})) AS v "  # noqa: S608
                f"WHERE {condition}"
            )
            cursor.execute(
                sql, [*extra_params, *(value for row in part for value in row), *where_params]
            )
            updated += cursor.rowcount
    return updated
