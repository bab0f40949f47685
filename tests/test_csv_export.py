"""The audit CSV export as the database writes it (review.audit.export), byte for byte against
Python's csv module on the same rows, on whichever database the suite runs on."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from review import audit
from review.audit import export as csv_export
from review.audit.api import CSV_COLUMNS
from review.audit.export import CsvCell, csv_chunks
from review.models import AuditEvent
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db

# Free text that csv.writer quotes, doubles, keeps as is, or that the formula guard prefixes.
# (No NUL: PostgreSQL cannot store it.)
TRICKY = [
    "plain",
    "a, comma",
    'a "quote"',
    '"',
    '""',
    "two\nlines",
    "cr\rhere",
    "crlf\r\nend",
    "",
    " leading space",
    "trailing comma,",
    "=1+2",
    "+1",
    "-1 dose",
    "-",
    "@home",
    "\tTab first",
    "\rCR first",
    '=HYPERLINK("http://evil"),x',
    "'already quoted",
    "café — naïve 日本語 😀",
    '"ünïcödé", in quotes',
    "line\u2028separator",
    "back\\slash",
]


def guarded(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def written_by_csv_module(rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def expected_export(events: QuerySet[AuditEvent]) -> str:
    """The export as csv.writer writes the same rows: `changes` as the database's JSON text."""
    rows = events.annotate(changes_text=Cast("changes", TextField())).values_list(
        "id", "at", "actor_username", "type", "object_type", "object_id", "changes_text", "reason", "hash", "prev_hash"
    )
    return written_by_csv_module(
        [CSV_COLUMNS]
        + [
            [pk, audit.iso(at), *map(guarded, (actor, kind, object_type, object_id, changes, reason)), digest, prev]
            for pk, at, actor, kind, object_type, object_id, changes, reason, digest, prev in rows
        ]
    )


def exported(user: User, params: Mapping[str, str] | None = None) -> str:
    response = client_for(user).get("/api/v1/audit/export.csv", params or {})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.fixture
def tricky_events(author: User) -> None:
    for text in TRICKY:
        audit.record(author, "note.written", changes={"text": [None, text]}, reason=text)
        audit.record(author, "note.tagged", object_type=text, object_id=text[:60])


def before_the_export() -> QuerySet[AuditEvent]:
    """Every event but the export's own record, which is appended after the rows it exports."""
    return AuditEvent.objects.exclude(type="audit.exported").order_by("id")


def test_it_writes_free_text_exactly_as_csv_writer_does(tricky_events: None, compliance: User) -> None:
    assert exported(compliance) == expected_export(before_the_export())


def test_it_guards_and_quotes_names_and_types_too(author: User, compliance: User) -> None:
    odd = make_user('=odd, "name"\nhere', None)
    audit.record(odd, "@type,with comma", reason="x")
    audit.record(author, "-type", object_type="+kind", object_id="@1")
    body = exported(compliance)
    assert body == expected_export(before_the_export())
    assert '"\'=odd, ""name""\nhere","\'@type,with comma"' in body


def test_it_writes_unicode_as_utf8(author: User, compliance: User) -> None:
    audit.record(author, "note.written", changes={"text": [None, '日本語, "ok"']}, reason='naïve 😀, "yes"')
    body = exported(compliance, {"type": "note"})
    assert body == expected_export(audit.filter_events({"type": "note"}))
    assert '"naïve 😀, ""yes"""' in body


@pytest.mark.parametrize(
    "params",
    [
        {"type": "note"},
        {"type": "note.tagged"},
        {"actor": "alice"},
        {"actor": "nobody"},
        {"since": "2020-01-01", "until": "2020-01-02"},
        {"type": "note", "since": "2020-01-02"},
    ],
)
def test_it_exports_the_filtered_events_in_chain_order(
    params: dict[str, str], tricky_events: None, compliance: User, author: User
) -> None:
    audit.record(author, "note.written", reason="old", at=datetime(2020, 1, 1, 12, tzinfo=UTC))
    audit.record(compliance, "note.written", reason="by charlie, later", at=timezone.now() + timedelta(days=1))
    assert exported(compliance, params) == expected_export(audit.filter_events(params))


def test_it_writes_whole_seconds_with_their_microseconds(author: User, compliance: User) -> None:
    whole = timezone.now().replace(microsecond=0) - timedelta(days=1)
    audit.record(author, "note.written", reason="n", at=whole)
    rows = list(csv.reader(io.StringIO(exported(compliance, {"type": "note"}), newline="")))
    assert rows[1][1] == audit.iso(whole) == whole.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000+00:00")


def test_it_streams_the_lines_in_batches(tricky_events: None, compliance: User, monkeypatch: Any) -> None:
    monkeypatch.setattr(csv_export, "BATCH", 3)
    response = client_for(compliance).get("/api/v1/audit/export.csv")
    chunks = list(response.streaming_content)
    assert len(chunks) > 10
    assert b"".join(chunks).decode() == expected_export(before_the_export())


def test_it_builds_any_cells_as_csv_writer_does(author: User) -> None:
    # Values of the query itself (parameters), and NULLs: cells no audit event has.
    event = audit.record(author, "note.written")
    cells = [CsvCell(Value(text), formula_guard=True) for text in TRICKY] + [CsvCell(Value(text)) for text in TRICKY]
    nothing = [CsvCell(Value(None, TextField())), CsvCell(Value(None, TextField()), formula_guard=True)]
    body = b"".join(csv_chunks(AuditEvent.objects.filter(pk=event.pk), [CsvCell("id"), *cells, *nothing]))
    expected = [event.pk, *map(guarded, TRICKY), *TRICKY, None, None]
    assert body.decode() == written_by_csv_module([expected])


def test_it_writes_nothing_for_no_rows(author: User) -> None:
    assert b"".join(csv_chunks(AuditEvent.objects.none(), [CsvCell("id")])) == b""
