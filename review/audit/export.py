"""CSV written by the database: an export's lines without a Python loop over its cells.

The reference is Python's csv.writer, excel dialect: cells joined by commas, each line ending
in CRLF, a cell quoted (with its quotes doubled) when it holds a comma, a quote, CR or LF, and
NULL written as nothing (csv.writer also quotes a line's only cell when it is empty; these
lines have several). Cells made with `formula_guard=True` also get a ' before a leading
= + - @ tab or CR, so that a spreadsheet shows them as text instead of running them. Cells made
with `verbatim=True` are for values that never need quotes (ids, times, hashes): SQLite writes
them without testing them.

- PostgreSQL: `COPY (SELECT the cells ...) TO STDOUT WITH (FORMAT csv)` quotes exactly like
  csv.writer and psycopg hands over its lines as they come. Two differences are bridged:
  COPY quotes an empty string ("") to tell it from NULL, so each cell is NULLIF(cell, '');
  COPY ends a line with LF, so each line's LF becomes CRLF.
- SQLite: the line is built in SQL (one printf() per line) except for doubling the quotes
  inside quoted cells: SQLite's replace() is a byte loop and was a fifth of the export's work.
  Instead a quoted cell is wrapped in the byte 0xFF, which never occurs in UTF-8 text, and
  Python doubles every quote of a batch of lines and turns the 0xFF bytes into quotes: two
  passes of bytes.replace() over the batch. (printf's %s ends a value at a NUL character;
  PostgreSQL cannot store one and Django's forms and the API refuse it.)

Both keep the queryset's filters and ordering and stream: memory is one batch of lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import NotSupportedError, connections
from django.db.models import BinaryField, Func, QuerySet, TextField

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_STARTS = "".join(c for c in FORMULA_STARTS if c != "-") + "-"  # "-" last: in [...] it is not a range
BATCH = 500  # lines per chunk (~350 KB): one per line would be a socket write per line; 500 beat 2,000 in-process
_QUOTE_MARK = b"\xff"

SQL = tuple[str, Sequence[Any]]


def _fill(template: str, **parts: SQL) -> tuple[str, list[Any]]:
    """The template with each {name} replaced by that part's SQL, and the parts' parameters in
    the order they now appear (a part named twice brings its parameters twice)."""
    params: list[Any] = []

    def put(match: re.Match[str]) -> str:
        sql, part_params = parts[match[1]]
        params.extend(part_params)
        return sql

    return re.sub(r"\{(\w+)\}", put, template), params


class CsvCell(Func):
    """One cell of a CSV line built by the database (see the module docstring)."""

    output_field = TextField()

    def __init__(self, expression: Any, *, formula_guard: bool = False, verbatim: bool = False) -> None:
        super().__init__(expression)
        self.formula_guard = formula_guard
        self.verbatim = verbatim

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # The cell's text; COPY does the quoting. The guard is one regexp_replace() rather than
        # a CASE because a CASE names {x} three times and PostgreSQL computes each (for jsonb,
        # a conversion to text each time).
        x = compiler.compile(self.get_source_expressions()[0])
        if not self.formula_guard:
            return _fill("NULLIF(CAST({x} AS text), '')", x=x)
        return _fill(
            "NULLIF(regexp_replace(CAST({x} AS text), {formula}, {prefixed}), '')",
            x=x,
            formula=("%s", [f"^([{_STARTS}])"]),
            prefixed=("%s", ["'\\1"]),  # the ' and the character matched
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # The cell, its quotes marked (see the module docstring). SQLite computes each mention
        # of {x} anew and a function call is most of the cost of a test, so the tests are few
        # and cheap: instr() (a byte search) per character that needs quotes, one GLOB for a
        # formula, both on {x} itself (the ' in front never needs quotes).
        x = compiler.compile(self.get_source_expressions()[0])
        if self.verbatim:
            return _fill("{x}", x=x)
        needs_quotes = """instr({x}, '"') OR instr({x}, ',') OR instr({x}, char(10)) OR instr({x}, char(13))"""
        mark: SQL = ("CAST(X'FF' AS text)", [])
        if not self.formula_guard:
            return _fill(f"CASE WHEN {needs_quotes} THEN {{mark}} || {{x}} || {{mark}} ELSE {{x}} END", x=x, mark=mark)
        template = (
            f"CASE WHEN {needs_quotes} "
            "THEN CASE WHEN {x} GLOB {formula} THEN {mark} || '''' ELSE {mark} END || {x} || {mark} "
            "WHEN {x} GLOB {formula} THEN '''' || {x} ELSE {x} END"
        )
        return _fill(template, x=x, mark=mark, formula=("%s", [f"[{_STARTS}]*"]))


class _SqliteCsvLine(Func):
    """The cells joined into one line with its CRLF by a single printf() (|| would copy the
    growing line once per cell), as bytes: with the 0xFF marks it is not UTF-8 yet."""

    output_field = BinaryField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "CAST(printf(%%s, %(expressions)s) AS blob)"
        sql, params = super().as_sql(compiler, connection, template=template, **extra)
        line_format = ",".join(["%s"] * len(self.get_source_expressions())) + "\r\n"  # %s writes NULL as nothing
        return sql, [line_format, *params]


def csv_chunks(rows: QuerySet[Any], cells: Sequence[CsvCell]) -> Iterator[bytes]:
    """Each row of `rows` as a CSV line of `cells`, in UTF-8, a chunk per BATCH lines."""
    vendor = connections[rows.db].vendor
    if vendor == "postgresql":
        return _copy_chunks(rows.values_list(*cells))
    if vendor == "sqlite":
        lines = rows.annotate(csv_line=_SqliteCsvLine(*cells)).values_list("csv_line", flat=True)
        return _sqlite_chunks(lines.iterator(chunk_size=BATCH))
    raise NotSupportedError(f"CSV lines are built by PostgreSQL or SQLite, not {vendor}.")


def _sqlite_chunks(lines: Iterator[bytes]) -> Iterator[bytes]:
    while batch := list(islice(lines, BATCH)):
        yield b"".join(batch).replace(b'"', b'""').replace(_QUOTE_MARK, b'"')


def _copy_chunks(cells: QuerySet[Any]) -> Iterator[bytes]:
    try:
        sql, params = cells.query.get_compiler(using=cells.db).as_sql()
    except EmptyResultSet:  # e.g. filter(pk__in=[]): Django knows there are no rows
        return
    with connections[cells.db].cursor() as cursor:
        # psycopg binds the parameters into the statement (COPY takes none of its own).
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            lines = iter(copy)  # a line per item, ending in LF
            while batch := list(islice(lines, BATCH)):
                yield b"".join([part for line in batch for part in (line[:-1], b"\r\n")])
