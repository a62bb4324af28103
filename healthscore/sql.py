"""Set-based writes shared by ingest and recompute, on PostgreSQL and SQLite.

`bulk_upsert` inserts many rows in one statement: on PostgreSQL one
`INSERT … SELECT FROM jsonb_to_recordset(%s)` whose single parameter is the JSON array of the
rows (psycopg's client-side quoting of one string is fast; quoting per-element text arrays
runs a regex per character class and was 2 s for 10k JSON documents) — or, from COPY_FROM
rows, COPY into a per-connection temporary table and one `INSERT … SELECT` from it (the server
then parses one small JSON document per row instead of one huge one: 66k scores 2.5 s →
see bench/README.md); on SQLite a multi-row `VALUES` list in chunks under its variable limit. Both take an `ON CONFLICT` clause and may
return columns of the rows actually inserted or updated.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from django.db import connection

SQLITE_MAX_VARIABLES = 30_000
COPY_NULL = "\\N"
COPY_FROM = 2_000


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
        if is_postgresql() and len(rows) >= COPY_FROM and connection.in_atomic_block:
            staging = _staging_table(cursor, table, columns)
            with cursor.cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
                copy.write(_copy_rows(rows, columns))
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}{tail}"  # noqa: S608
            )
            if returning:
                result.extend(cursor.fetchall())
            cursor.execute(f"TRUNCATE {staging}")
            return result
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


def _staging_table(cursor, table: str, columns: Sequence[tuple[str, str]]) -> str:
    """A temporary table shaped like `columns`, emptied at commit (one per target table and
    connection; created once)."""
    shape = zlib.crc32(repr(list(columns)).encode())
    name = f"staging_{table}_{shape:08x}"
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {name} ("
        + ", ".join(f"{column} {pg_type}" for column, pg_type in columns)
        + ") ON COMMIT DELETE ROWS"
    )
    return name


def _copy_text(value: Any) -> str:
    """A string as a field of COPY's text format."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def _copy_json(value) -> str:
    # JSON text has no raw tab/newline (they are escaped as \t, \n): only backslashes double.
    text = orjson.dumps(value).decode()
    return text.replace("\\", "\\\\") if "\\" in text else text


def _copy_bool(value) -> str:
    return "t" if value else "f"


def _copy_iso(value) -> str:
    return value.isoformat()


_COPY_CONVERTERS: dict[str, Callable[[Any], str]] = {
    "jsonb": _copy_json,
    "text": _copy_text,
    "boolean": _copy_bool,
    "date": _copy_iso,
    "timestamptz": _copy_iso,
    "float8": repr,
}


def _copy_rows(rows: Sequence[Sequence], columns: Sequence[tuple[str, str]]) -> str:
    """Rows in COPY's text format (one converter per column type; NULL as \\N)."""
    converters = [_COPY_CONVERTERS.get(pg_type, str) for _, pg_type in columns]
    pairs = list(enumerate(converters))
    lines = [
        "\t".join([(COPY_NULL if row[i] is None else convert(row[i])) for i, convert in pairs])
        for row in rows
    ]
    lines.append("")
    return "\n".join(lines)


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
    return orjson.dumps(records).decode()


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
