"""Append-only triggers, tamper detection (edit, delete, insert, recomputed chain) and reconciliation."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from content.models import Article, Claim, ClaimVersion
from review import audit
from review.audit.verify import broken_records
from review.models import AuditEvent, AuditVerification, NuanceTag
from tests.conftest import first_claim, import_text, make_user, numbered_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def anchor_file(settings: Any, tmp_path: Path) -> Path:
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchor.json"
    return Path(settings.AUDIT_ANCHOR_PATH)


@pytest.fixture
def scribe(db: None) -> User:
    """A user without a role: a persona's role grant is an event of its own, and these tests count the chain."""
    return make_user("sam", None)


@pytest.fixture
def chain(scribe: User) -> list[AuditEvent]:
    """Six events, anchored (as after their commit)."""
    for i in range(6):
        audit.record(scribe, "note.written", changes={"n": [None, i]}, reason=f"note {i}")
    audit.write_anchor()
    return list(AuditEvent.objects.order_by("id"))


def raw(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def table() -> str:
    return connection.ops.quote_name(AuditEvent._meta.db_table)


@pytest.fixture
def tamperer() -> None:
    """Someone with direct database access who first drops the triggers (rolled back with the test)."""
    audit.drop_append_only_triggers(connection)


def refused(sql: str) -> bool:
    try:
        with transaction.atomic():
            raw(sql)
    except DatabaseError as exc:
        return "append-only" in str(exc)
    return False


# --- triggers ------------------------------------------------------------------------


def trigger_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name LIKE 'vetted_ao_%'"
            )
        else:
            cursor.execute(
                "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'vetted_ao_%'"
            )
        return {row[0] for row in cursor.fetchall()}


def test_it_guards_every_history_version_and_audit_table_with_triggers(db: None) -> None:
    expected = set(audit.append_only_tables())
    assert {"content_historicalclaim", "content_historicalclaim_citations", "content_claimversion"} <= expected
    assert {"review_historicalsignature", "review_historicalpublication", "review_auditevent"} <= expected
    assert trigger_tables() == expected


def test_it_refuses_raw_update_and_delete_on_every_guarded_table_with_rows(
    sample_article: Article, author: User
) -> None:
    NuanceTag.objects.create(slug="dose", name="Dose")
    audit.run_verification(author)
    checked = []
    for name in audit.append_only_tables():
        quoted = connection.ops.quote_name(name)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {quoted}")
            if cursor.fetchone()[0] == 0:
                continue
        column = connection.ops.quote_name(connection.introspection.get_primary_key_column(connection.cursor(), name))
        assert refused(f"UPDATE {quoted} SET {column} = {column}"), name
        assert refused(f"DELETE FROM {quoted}"), name
        checked.append(name)
    assert {"content_historicalclaim", "content_claimversion", "review_auditevent", "review_auditverification"} <= set(
        checked
    )


def test_it_refuses_rewriting_a_claim_version_by_raw_sql(sample_article: Article) -> None:
    version = ClaimVersion.objects.first()
    assert version is not None
    assert refused(f"UPDATE content_claimversion SET text = 'something else' WHERE id = {version.pk}")
    assert ClaimVersion.objects.get(pk=version.pk).text == version.text


def test_it_reinstalls_triggers_idempotently(db: None) -> None:
    audit.install_append_only_triggers(connection)
    audit.install_append_only_triggers(connection)
    assert trigger_tables() == set(audit.append_only_tables())


# --- verification --------------------------------------------------------------------


def test_it_verifies_an_intact_chain(chain: list[AuditEvent]) -> None:
    result = audit.verify_chain()
    assert (result.ok, result.events_checked, result.first_broken, result.head) == (True, 6, None, chain[-1].hash)


def test_it_detects_one_changed_byte(chain: list[AuditEvent], tamperer: None) -> None:
    raw(f"UPDATE {table()} SET reason = 'note 9' WHERE id = %s", [3])
    result = audit.verify_chain()
    assert (result.ok, result.first_broken) == (False, 3)


def test_it_detects_a_changed_hash(chain: list[AuditEvent], tamperer: None) -> None:
    stored = chain[3].hash
    raw(f"UPDATE {table()} SET hash = %s WHERE id = %s", [("1" if stored[0] == "0" else "0") + stored[1:], 4])
    assert audit.verify_chain().first_broken == 4


def test_it_detects_a_deleted_row(chain: list[AuditEvent], tamperer: None) -> None:
    raw(f"DELETE FROM {table()} WHERE id = %s", [3])
    result = audit.verify_chain()
    assert (result.ok, result.first_broken, result.events_checked) == (False, 3, 5)


def test_it_detects_the_last_row_deleted(chain: list[AuditEvent], tamperer: None) -> None:
    raw(f"DELETE FROM {table()} WHERE id = %s", [6])
    result = audit.verify_chain()
    assert (result.ok, result.first_broken) == (False, 6)


def forge_after(head: AuditEvent, author: User, *, with_key: bool = True, **fields: Any) -> AuditEvent:
    """An event to insert behind the app's back: sealed with the app's key (an insider who has it)
    or, without the key, with the plain SHA-256 of the same canonical form."""
    forged = AuditEvent(
        id=head.pk + 1,
        at=head.at,
        actor=author,
        actor_username=author.username,
        type="note.forged",
        object_type="note",
        object_id="",
        changes={},
        reason="inserted directly",
        prev_hash=head.hash,
    )
    for name, value in fields.items():
        setattr(forged, name, value)
    if with_key:
        forged.hash = audit.compute_hash(forged)
    else:
        forged.hash = hashlib.sha256(audit.canonical(forged).encode("utf-8")).hexdigest()
    return forged


def insert_raw(event: AuditEvent) -> None:
    # A direct INSERT, as a database user would type it (triggers do not stop inserts).
    at = event.at.isoformat(sep=" ") if connection.vendor == "postgresql" else event.at.strftime("%Y-%m-%d %H:%M:%S.%f")
    raw(
        f"INSERT INTO {table()} (id, at, actor_id, actor_username, type, object_type, object_id, changes, reason, "
        "prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, '{}', %s, %s, %s)",
        [
            event.pk,
            at,
            event.actor_id,
            event.actor_username,
            event.type,
            event.object_type,
            event.object_id,
            event.reason,
            event.prev_hash,
            event.hash,
        ],
    )


def test_it_detects_a_forged_row_even_after_the_app_writes_on_top_of_it(chain: list[AuditEvent], scribe: User) -> None:
    insert_raw(forge_after(chain[-1], scribe, with_key=False))
    audit.record(scribe, "note.written", reason="a legitimate write after the forgery")
    audit.write_anchor()  # the anchor now vouches for a head that links to the forged row
    result = audit.verify_chain()
    assert (result.ok, result.first_broken) == (False, 7)


def test_it_detects_a_row_inserted_at_the_end_by_someone_holding_the_key(chain: list[AuditEvent], scribe: User) -> None:
    forged = forge_after(chain[-1], scribe)
    insert_raw(forged)
    assert AuditEvent.objects.get(pk=forged.pk).hash == audit.compute_hash(AuditEvent.objects.get(pk=forged.pk))
    result = audit.verify_chain()
    assert (result.ok, result.first_broken) == (False, 7)


def test_it_detects_a_row_inserted_in_place_of_a_deleted_one(
    chain: list[AuditEvent], scribe: User, tamperer: None
) -> None:
    raw(f"DELETE FROM {table()} WHERE id = %s", [4])
    insert_raw(forge_after(chain[2], scribe))
    assert audit.verify_chain().first_broken == 5


def test_it_detects_a_fully_recomputed_chain_by_its_anchor(chain: list[AuditEvent], tamperer: None) -> None:
    raw(f"UPDATE {table()} SET reason = 'rewritten' WHERE id = %s", [2])
    prev = chain[0].hash
    for event in AuditEvent.objects.order_by("id").filter(id__gte=2):
        event.prev_hash = prev
        event.hash = audit.compute_hash(event)
        raw(f"UPDATE {table()} SET prev_hash = %s, hash = %s WHERE id = %s", [event.prev_hash, event.hash, event.pk])
        prev = event.hash
    events = list(AuditEvent.objects.order_by("id"))
    assert all(e.hash == audit.compute_hash(e) for e in events)  # internally consistent again
    result = audit.verify_chain()
    assert (result.ok, result.first_broken) == (False, 6)
    assert "rewritten" in result.detail


def test_it_reports_a_missing_anchor(chain: list[AuditEvent], anchor_file: Path) -> None:
    anchor_file.unlink()
    result = audit.verify_chain()
    assert not result.ok
    assert "anchor" in result.detail.lower()


def test_it_reports_an_unreadable_anchor(chain: list[AuditEvent], anchor_file: Path) -> None:
    anchor_file.write_text("not json")
    assert not audit.verify_chain().ok


def test_it_accepts_an_empty_chain_without_an_anchor(db: None) -> None:
    result = audit.verify_chain()
    assert (result.ok, result.events_checked, result.head) == (True, 0, "")


def test_it_verifies_in_the_same_number_of_queries_however_long_the_chain(
    author: User, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        audit.record(author, "note.written")
    audit.write_anchor()
    with django_assert_max_num_queries(3):
        assert audit.verify_chain().ok
    for _ in range(30):
        audit.record(author, "note.written")
    audit.write_anchor()
    with django_assert_max_num_queries(3):
        assert audit.verify_chain().ok


def test_it_records_each_verification(chain: list[AuditEvent], scribe: User) -> None:
    audit.run_verification(scribe)
    run = AuditVerification.objects.get()
    assert (run.ok, run.events_checked, run.first_broken, run.head, run.run_by) == (
        True,
        6,
        None,
        chain[-1].hash,
        scribe,
    )


def test_verify_audit_prints_the_count_and_exits_zero_when_intact(chain: list[AuditEvent]) -> None:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "events checked: 6" in out.getvalue()
    assert "intact" in out.getvalue()


def test_verify_audit_prints_the_first_broken_entry_and_exits_one(chain: list[AuditEvent], tamperer: None) -> None:
    raw(f"UPDATE {table()} SET reason = 'x' WHERE id = %s", [2])
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit", stdout=out)
    assert failure.value.returncode == 1
    assert "first broken: event #2" in out.getvalue()


def test_verify_audit_refuses_an_unknown_actor(db: None) -> None:
    with pytest.raises(CommandError, match="No user named"):
        call_command("verify_audit", "--actor", "nobody")


# --- reconciliation ------------------------------------------------------------------


def test_it_reconciles_a_clean_database(sample_article: Article) -> None:
    assert list(audit.reconcile()) == []


def test_it_finds_a_live_row_changed_behind_historys_back(sample_article: Article) -> None:
    claim = first_claim(sample_article)
    raw("UPDATE content_claim SET text = 'changed by SQL' WHERE id = %s", [claim.pk])
    problems = [str(m) for m in audit.reconcile()]
    assert problems == [
        f"content.Claim #{claim.pk}: text is 'changed by SQL' but its latest history says {claim.text!r}"
    ]


def test_it_finds_a_citation_added_behind_historys_back(sample_article: Article) -> None:
    claim = Claim.objects.filter(article=sample_article, citations=None).first()
    assert claim is not None
    reference = sample_article.claims.exclude(citations=None).first().citations.first()  # type: ignore[attr-defined]
    claim.citations.through.objects.create(claim=claim, reference=reference)  # m2m rows are not governed
    problems = [str(m) for m in audit.reconcile()]
    assert problems == [f"content.Claim #{claim.pk}: citations is [{reference.pk}] but its latest history says []"]


def test_it_finds_a_row_without_any_history(db: None) -> None:
    tag = NuanceTag(slug="dose", name="Dose")
    tag.save_without_historical_record()  # type: ignore[attr-defined]
    assert [m.problem for m in audit.reconcile()] == ["has no history record (written without save())"]


def test_reconcile_history_exits_one_and_prints_each_mismatch(sample_article: Article) -> None:
    claim = first_claim(sample_article)
    raw("UPDATE content_claim SET status = 'approved', approved_version = 1 WHERE id = %s", [claim.pk])
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("reconcile_history", stdout=out)
    assert failure.value.returncode == 1
    assert f"content.Claim #{claim.pk}: status is 'approved'" in out.getvalue()


def test_reconcile_history_exits_zero_when_everything_matches(sample_article: Article) -> None:
    out = io.StringIO()
    call_command("reconcile_history", stdout=out)
    assert "matches" in out.getvalue()


def test_it_writes_a_readable_anchor(chain: list[AuditEvent], anchor_file: Path) -> None:
    data = json.loads(anchor_file.read_text())
    assert (data["head"], data["id"], data["count"]) == (chain[-1].hash, 6, 6)


def test_it_still_lets_flush_empty_the_database_and_keeps_the_triggers(transactional_db: None) -> None:
    NuanceTag.objects.create(slug="dose", name="Dose")
    call_command("flush", interactive=False, verbosity=0)
    assert not NuanceTag.history.exists()  # type: ignore[attr-defined]
    assert trigger_tables() == set(audit.append_only_tables())


# --- the anchor only moves forward -------------------------------------------------------------------------------


def test_it_refuses_to_anchor_a_chain_whose_tail_was_deleted(
    chain: list[AuditEvent], author: User, anchor_file: Path, tamperer: None
) -> None:
    raw(f"DELETE FROM {table()} WHERE id > %s", [3])
    before = anchor_file.read_text()
    audit.record(author, "auth.login_failed", reason="any later write")
    with pytest.raises(audit.AnchorError, match=r"deleted|rewritten"):
        audit.write_anchor()
    assert anchor_file.read_text() == before


def test_it_still_reports_a_truncated_chain_after_later_writes(
    chain: list[AuditEvent], author: User, tamperer: None
) -> None:
    raw(f"DELETE FROM {table()} WHERE id > %s", [3])
    audit.record(author, "auth.login_failed", reason="any later write")
    with pytest.raises(audit.AnchorError):
        audit.write_anchor()
    result = audit.verify_chain()
    assert (result.ok, result.first_broken) == (False, 5)
    assert "missing" in result.detail


def test_it_reports_a_chain_and_anchor_both_deleted_while_history_remains(
    author: User, anchor_file: Path, tamperer: None
) -> None:
    NuanceTag(slug="needs-dose", name="Needs the dose").save()  # a history row and its event
    audit.write_anchor()
    raw(f"DELETE FROM {table()}")
    anchor_file.unlink()
    result = audit.verify_chain()
    assert (result.ok, result.events_checked) == (False, 0)
    assert "no anchor" in result.detail.lower()


def test_it_detects_an_edited_checkpoint(chain: list[AuditEvent], anchor_file: Path) -> None:
    checkpoint = json.loads(anchor_file.read_text().splitlines()[-1])
    checkpoint["id"], checkpoint["count"] = 3, 3
    anchor_file.write_text(json.dumps(checkpoint) + "\n")
    result = audit.verify_chain()
    assert not result.ok
    assert "seal" in result.detail


def test_it_keeps_every_checkpoint_linked_to_the_one_before(chain: list[AuditEvent], author: User) -> None:
    audit.record(author, "note.written")
    audit.write_anchor()
    audit.record(author, "note.written")
    audit.write_anchor()
    rows = [json.loads(line) for line in Path(audit.anchor_path()).read_text().splitlines()]
    head = AuditEvent.objects.order_by("-id").first()
    assert head is not None
    assert len(rows) == 3 and rows[-1]["id"] == head.pk and rows[-1]["head"] == head.hash
    assert [r["prev"] for r in rows[1:]] == [r["mac"] for r in rows[:-1]]
    assert audit.verify_chain().ok


def test_it_shows_a_broken_anchor_on_the_health_check(chain: list[AuditEvent], tamperer: None) -> None:
    from django.test import Client

    assert Client().get("/healthz").json()["audit"] == "ok"
    raw(f"DELETE FROM {table()} WHERE id > %s", [3])
    assert Client().get("/healthz").json()["audit"] == "broken"


def test_it_sends_each_checkpoint_to_the_configured_receiver(author: User, settings: Any) -> None:
    import http.server
    import threading

    received: list[dict[str, Any]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.AUDIT_CHECKPOINT_URL = f"http://127.0.0.1:{server.server_port}/checkpoints"
        audit.record(author, "note.written")
        written = audit.write_anchor()
    finally:
        server.shutdown()
    assert received == [written]
    assert received[0]["id"] == AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    assert received[0]["mac"]


def test_it_checks_every_sealed_row_in_the_same_number_of_queries_however_many(author: User) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert list(broken_records()) == []
        return len(captured)

    import_text(author, numbered_text(2))
    few = queries()
    import_text(author, numbered_text(30, title="Walking and health"))
    assert queries() == few
