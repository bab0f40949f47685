"""An insider with database access, writing SQL around the app: every case blocked or detected, never missed.

Each case writes rows the way someone at a psql prompt would (raw SQL, no app code), twice
on PostgreSQL: as the app's own role (what the web and worker processes log in as:
`grant_app_role`, row rights only, so the append-only triggers hold) and as the tables'
owner, who first disables every trigger it may (`ALTER TABLE ... DISABLE TRIGGER USER`).
On SQLite, which has no roles, the owner's run is the one that applies. The outcome is:

- blocked: the database refused a statement of the case;
- detected: `verify_audit` (chain, anchor, seals, version hashes, one event per row both
  ways) or `reconcile_history` (live rows against their history) names it, with the reason
  pinned per case; where the case tries to get a claim out, the app also refuses to publish
  or serve it.

The table of cases and outcomes is in the README ("Tampering cases"); `CASES` is its source.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from content.models import Claim, ClaimVersion, Reference, version_hash
from review import audit
from review.actions import intact_approvals
from review.audit.verify import run_verification
from review.models import DEFAULT_MEANING, AuditEvent, Channel, Publication, Review, Signature
from review.publishing.actions import PolicyRefused, publish_claim
from review.publishing.feeds import servable_publications, serve
from tests.db_roles import acting_as, app_role
from tests.test_library import approve, claims_of, import_claims

__all__ = ["app_role"]  # the fixture, imported for the tests below

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


# --- raw SQL, as typed at a prompt ----------------------------------------------------------------------------------


def raw(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall() if cursor.description else []


def table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def claim_history() -> Any:
    return Claim.history.model  # type: ignore[attr-defined]


def moment(value: Any) -> Any:
    # What each backend stores for a datetime column (SQLite: naive UTC text).
    return value if POSTGRES else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def insert_history_like(hist: Any, object_id: int, **changes: Any) -> None:
    """INSERT a history row copied from the object's latest one, with `changes`: a forged snapshot."""
    columns = [f.column for f in hist._meta.concrete_fields if f.column != "history_id"]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    (latest,) = raw(
        f"SELECT {quoted} FROM {table(hist)} WHERE id = %s ORDER BY history_id DESC LIMIT 1",
        [object_id],
    )
    values = {**dict(zip(columns, latest, strict=True)), "history_date": moment(timezone.now()), **changes}
    marks = ", ".join(["%s"] * len(columns))
    raw(f"INSERT INTO {table(hist)} ({quoted}) VALUES ({marks})", [values[c] for c in columns])


def insert_event(prev: AuditEvent, *, sealed: Callable[[AuditEvent], str], **fields: Any) -> None:
    """INSERT an audit event after `prev`, its hash from `sealed` (a plain SHA-256, or the app's key)."""
    values: dict[str, Any] = {
        "id": prev.pk + 1,
        "at": prev.at,
        "actor_id": prev.actor_id,
        "actor_username": prev.actor_username,
        "type": "note.forged",
        "object_type": "note",
        "object_id": "",
        "changes": {},
        "reason": "inserted directly",
        "prev_hash": prev.hash,
    }
    event = AuditEvent(**{**values, **fields})
    event.hash = sealed(event)
    raw(
        f"INSERT INTO {table(AuditEvent)} (id, at, actor_id, actor_username, type, object_type, object_id, "
        "history_id, digest, changes, reason, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '{}', "
        "%s, %s, %s)",
        [
            event.pk,
            moment(event.at),
            event.actor_id,
            event.actor_username,
            event.type,
            event.object_type,
            event.object_id,
            event.history_id,
            event.digest,
            event.reason,
            event.prev_hash,
            event.hash,
        ],
    )


def unkeyed(event: AuditEvent) -> str:
    return hashlib.sha256(audit.canonical(event).encode("utf-8")).hexdigest()


def disable_triggers() -> None:
    """What the tables' owner may do first: switch off the append-only triggers."""
    if POSTGRES:
        # ALTER TABLE waits for no deferred foreign-key check: run the pending ones first.
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        for name in audit.append_only_tables():
            raw(f"ALTER TABLE {connection.ops.quote_name(name)} DISABLE TRIGGER USER")
    else:
        audit.drop_append_only_triggers(connection)


# --- the record being attacked --------------------------------------------------------------------------------------


@dataclass
class World:
    published: Claim  # approved by the reviewer and on the website
    draft: Claim  # never reviewed
    reviewer: User
    publisher: User
    website: Channel
    anchor: Path

    def served(self) -> list[Any]:
        now = timezone.now()
        return serve(servable_publications(self.website, now), self.website, now)

    def refuses_to_publish_draft(self) -> None:
        self.draft.refresh_from_db()
        with pytest.raises(PolicyRefused):
            publish_claim(self.draft, self.website, by=self.publisher)


@pytest.fixture
def world(author: User, reviewer: User, publisher: User, settings: Any) -> World:
    website = Channel.objects.create(
        name="Website", slug="website", audience="patient", min_grade="low", signatures_required=1
    )
    published, draft = claims_of(
        import_claims(author, "Walking lowers blood pressure (Smith, 2019).", "Sleep helps memory (Jones, 2020).")
    )
    publish_claim(approve(published, reviewer), website, by=publisher)
    audit.write_anchor()  # as after the last commit
    return World(published, draft, reviewer, publisher, website, Path(settings.AUDIT_ANCHOR_PATH))


def detection(world: World) -> str:
    """What verify_audit, then reconcile_history, say about the record (empty: nothing found)."""
    result, _ = run_verification()
    if not result.ok:
        return result.detail
    return next((str(m) for m in audit.reconcile()), "")


# --- the cases ------------------------------------------------------------------------------------------------------


def forged_approval(w: World) -> None:
    """INSERT a review, a signature (old unkeyed seal) and a history row; mark the draft approved."""
    claim, signer, now = w.draft, w.reviewer, timezone.now()
    raw(
        f"INSERT INTO {table(Review)} (claim_id, version, round, content_hash, reviewer_id, evidence_grade, "
        "evidence_type, nuance_note, decision, created_at) VALUES (%s, %s, %s, %s, %s, 'high', '', '', 'approve', %s)",
        [claim.pk, claim.version, claim.review_round, claim.content_hash, signer.pk, moment(now)],
    )
    ((review_id,),) = raw(f"SELECT id FROM {table(Review)} WHERE claim_id = %s", [claim.pk])
    name = signer.get_full_name()
    payload = "|".join([str(signer.pk), name, str(claim.pk), str(claim.version), claim.content_hash, now.isoformat()])
    raw(
        f"INSERT INTO {table(Signature)} (review_id, signer_id, printed_name, meaning, meaning_code, signed_at, "
        "claim_version, content_hash, seal) VALUES (%s, %s, %s, %s, 'accurate', %s, %s, %s, %s)",
        [
            review_id,
            signer.pk,
            name,
            DEFAULT_MEANING,
            moment(now),
            claim.version,
            claim.content_hash,
            hashlib.sha256(payload.encode()).hexdigest(),
        ],
    )
    raw(
        f"UPDATE {table(Claim)} SET status = 'approved', approved_version = %s WHERE id = %s", [claim.version, claim.pk]
    )
    insert_history_like(claim_history(), claim.pk, status="approved", approved_version=claim.version)


def signature_renamed(w: World) -> None:
    raw(f"UPDATE {table(Signature)} SET printed_name = %s", ["Dr Sam Okafor"])


def claim_marked_approved(w: World) -> None:
    raw(f"UPDATE {table(Claim)} SET status = 'approved', approved_version = 1 WHERE id = %s", [w.draft.pk])


def review_grade_lowered(w: World) -> None:
    raw(f"UPDATE {table(Review)} SET evidence_grade = 'moderate'")


def publication_inserted(w: World) -> None:
    claim, now = w.draft, moment(timezone.now())
    raw(
        f"INSERT INTO {table(Publication)} (claim_id, version, content_hash, channel_id, published_by_id, "
        "published_at, approved_at, withdraw_reason) VALUES (%s, 1, %s, %s, %s, %s, %s, '')",
        [claim.pk, claim.content_hash, w.website.pk, w.publisher.pk, now, now],
    )


def live_text_edited(w: World) -> None:
    raw(f"UPDATE {table(Claim)} SET text = %s WHERE id = %s", ["Walking cures hypertension.", w.published.pk])


def live_text_with_matching_history(w: World) -> None:
    live_text_edited(w)
    insert_history_like(claim_history(), w.published.pk, text="Walking cures hypertension.")


def version_text_edited(w: World) -> None:
    raw(
        f"UPDATE {table(ClaimVersion)} SET text = %s WHERE claim_id = %s",
        ["Walking cures hypertension.", w.published.pk],
    )


def version_citation_relabelled(w: World) -> None:
    (cv,) = ClaimVersion.objects.filter(claim=w.published)
    relabelled = [{**c, "label": "Cochrane review (2019)"} for c in cv.citations]
    raw(f"UPDATE {table(ClaimVersion)} SET citations = %s WHERE id = %s", [json.dumps(relabelled), cv.pk])


def version_inserted(w: World) -> None:
    """A version 2 with a consistent content hash: only its missing event gives it away."""
    (cv,) = ClaimVersion.objects.filter(claim=w.published)
    text = cv.text + " Always."
    raw(
        f"INSERT INTO {table(ClaimVersion)} (claim_id, version, text, citations, content_hash, changed_by_id, "
        "changed_at, change_reason, derived_from) VALUES (%s, 2, %s, %s, %s, %s, %s, 'edited', '[]')",
        [
            cv.claim_id,
            text,
            json.dumps(cv.citations),
            version_hash(text, cv.citations),
            cv.changed_by_id,
            moment(timezone.now()),
        ],
    )


def version_text_and_hash_rewritten(w: World) -> None:
    """Edit a version's text and recompute its content hash (and the publication's) to match."""
    (cv,) = ClaimVersion.objects.filter(claim=w.published)
    text = "Walking cures hypertension."
    new_hash = version_hash(text, cv.citations)
    raw(f"UPDATE {table(ClaimVersion)} SET text = %s, content_hash = %s WHERE id = %s", [text, new_hash, cv.pk])
    raw(f"UPDATE {table(Publication)} SET content_hash = %s WHERE claim_id = %s", [new_hash, cv.claim_id])


def version_deleted(w: World) -> None:
    (cv,) = ClaimVersion.objects.filter(claim=w.draft)
    raw("DELETE FROM content_claimwording WHERE claim_version_id = %s", [cv.pk])
    raw(f"DELETE FROM {table(ClaimVersion)} WHERE id = %s", [cv.pk])


def older_history_edited(w: World) -> None:
    raw(
        f"UPDATE {table(claim_history())} SET text = %s WHERE history_id = "
        f"(SELECT MIN(history_id) FROM {table(claim_history())} WHERE id = %s)",
        ["Walking cures hypertension.", w.published.pk],
    )


def history_inserted(w: World) -> None:
    insert_history_like(claim_history(), w.published.pk, text="Walking may lower blood pressure.")


def history_deleted(w: World) -> None:
    raw(
        f"DELETE FROM {table(claim_history())} WHERE history_id = "
        f"(SELECT MAX(history_id) FROM {table(claim_history())} WHERE id = %s)",
        [w.published.pk],
    )


def citation_snapshot_edited(w: World) -> None:
    other = Reference.objects.exclude(pk__in=w.published.citations.values("pk")).first()
    assert other is not None
    snapshots = table(claim_history().citations.model)
    raw(f"UPDATE {snapshots} SET reference_id = %s WHERE claim_id = %s", [other.pk, w.published.pk])


def event_edited(w: World) -> None:
    raw(f"UPDATE {table(AuditEvent)} SET reason = 'nothing happened' WHERE id = 3")


def event_deleted(w: World) -> None:
    raw(f"DELETE FROM {table(AuditEvent)} WHERE id = 3")


def tail_deleted_then_a_write(w: World) -> None:
    head = AuditEvent.objects.order_by("-id").first()
    assert head is not None
    raw(f"DELETE FROM {table(AuditEvent)} WHERE id > %s", [head.pk - 3])
    audit.record(None, "auth.login_failed")  # any later write, as an anonymous failed login
    with pytest.raises(audit.AnchorError, match="events were deleted"):
        audit.write_anchor()


def everything_deleted(w: World) -> None:
    raw(f"DELETE FROM {table(AuditEvent)}")
    w.anchor.unlink()


def events_truncated(w: World) -> None:
    raw(f"TRUNCATE {table(AuditEvent)}")


def event_forged_without_key(w: World) -> None:
    insert_event(AuditEvent.objects.order_by("-id").first(), sealed=unkeyed)  # type: ignore[arg-type]


def chain_rewritten_with_key(w: World) -> None:
    """An insider holding AUDIT_KEY (not the anchor's): edit an event and re-seal every one after it."""
    raw(f"UPDATE {table(AuditEvent)} SET reason = 'rewritten' WHERE id = 2")
    prev = AuditEvent.objects.get(pk=1).hash
    for event in AuditEvent.objects.filter(id__gte=2).order_by("id"):
        event.prev_hash = prev
        event.hash = prev = audit.compute_hash(event)
        raw(
            f"UPDATE {table(AuditEvent)} SET prev_hash = %s, hash = %s WHERE id = %s",
            [event.prev_hash, event.hash, event.pk],
        )


def second_event_for_a_row(w: World) -> None:
    """A second, correctly keyed event naming a history row that already has one."""
    sealed = AuditEvent.objects.exclude(history_id=None).first()
    assert sealed is not None
    head = AuditEvent.objects.order_by("-id").first()
    insert_event(
        head,
        sealed=audit.compute_hash,
        object_type=sealed.object_type,
        history_id=sealed.history_id,  # type: ignore[arg-type]
        digest=sealed.digest,
    )


def checkpoint_edited(w: World) -> None:
    lines = w.anchor.read_text().splitlines()
    last = json.loads(lines[-1])
    last["id"] -= 1
    w.anchor.write_text("\n".join([*lines[:-1], json.dumps(last)]) + "\n")


@dataclass(frozen=True)
class Case:
    name: str
    tamper: Callable[[World], None]
    app_role: str  # "blocked" or the reason detection gives
    owner: str
    then: Callable[[World], None] | None = None  # what the app then refuses to do
    postgres_only: bool = False


def nothing_served(w: World) -> None:
    assert w.served() == []


def forged_signature_not_counted(w: World) -> None:
    w.published.refresh_from_db()
    assert intact_approvals(w.published) == 0


BLOCKED = "blocked"
# What blocks each kind of case (the refusal is part of the outcome, so a wrong refusal fails the test).
TRIGGER = "blocked: vetted:"  # an append-only trigger: "vetted: UPDATE on ... refused: the table is append-only"
NO_RIGHT = "blocked: permission denied"
ONE_EVENT_PER_ROW = (
    'blocked: duplicate key value violates unique constraint "auditevent_one_per_row"'
    if POSTGRES
    else "blocked: UNIQUE constraint failed: review_auditevent.object_type, review_auditevent.history_id"
)
CASES = [
    Case(
        "forged approval (INSERT review, signature, history)",
        forged_approval,
        "Signature #",
        "Signature #",
        then=World.refuses_to_publish_draft,
    ),
    Case(
        "signature's printed name edited",
        signature_renamed,
        "Signature #",
        "Signature #",
        then=forged_signature_not_counted,
    ),
    Case(
        "draft marked approved in the live row",
        claim_marked_approved,
        "status is",
        "status is",
        then=World.refuses_to_publish_draft,
    ),
    Case("review's grade edited in the live row", review_grade_lowered, "evidence_grade is", "evidence_grade is"),
    Case(
        "publication INSERTed for an unreviewed claim",
        publication_inserted,
        "has no history record",
        "has no history record",
        then=lambda w: assert_served_only(w, w.published),
    ),
    Case("live claim text edited", live_text_edited, "text is", "text is"),
    Case(
        "live text edited plus a matching history row",
        live_text_with_matching_history,
        "has no audit event",
        "has no audit event",
    ),
    Case(
        "published version's text edited",
        version_text_edited,
        TRIGGER,
        "does not match its content hash",
        then=nothing_served,
    ),
    Case("version's citation relabelled (keys kept)", version_citation_relabelled, TRIGGER, "differs from what event"),
    Case("version INSERTed", version_inserted, "Claim version #", "Claim version #"),
    Case("version deleted", version_deleted, TRIGGER, "which is gone"),
    Case("older history row edited (forges as-of)", older_history_edited, TRIGGER, "differs from what event"),
    Case("history row INSERTed", history_inserted, "has no audit event", "has no audit event"),
    Case("latest history row deleted", history_deleted, TRIGGER, "which is gone"),
    Case("history citation snapshot edited", citation_snapshot_edited, TRIGGER, "differs from what event"),
    Case("audit event edited", event_edited, TRIGGER, "was altered"),
    Case("audit event deleted from the middle", event_deleted, TRIGGER, "is missing"),
    Case("last events deleted, then any write", tail_deleted_then_a_write, TRIGGER, "events after"),
    Case("every event and the anchor deleted", everything_deleted, TRIGGER, "no anchor log"),
    Case("audit table truncated", events_truncated, NO_RIGHT, "events after", postgres_only=True),
    Case("event INSERTed without the key", event_forged_without_key, "was altered", "was altered"),
    Case("chain re-sealed with AUDIT_KEY", chain_rewritten_with_key, TRIGGER, "differs from the anchored one"),
    Case("second keyed event for one row", second_event_for_a_row, ONE_EVENT_PER_ROW, ONE_EVENT_PER_ROW),
    Case(
        "anchor checkpoint edited", checkpoint_edited, "does not carry the app's seal", "does not carry the app's seal"
    ),
    Case(
        "version's text and hash both rewritten",
        version_text_and_hash_rewritten,
        TRIGGER,
        "differs from what event",
        then=nothing_served,
    ),
]


def assert_served_only(w: World, claim: Claim) -> None:
    assert [s.publication.claim_id for s in w.served()] == [claim.pk]


def outcome(case: Case, world: World, role: str | None) -> str:
    """Run the case as `role` (None: the owner, triggers disabled first): "blocked" or what detection says."""
    try:
        # The savepoint rolls back before the role is reset: a refused statement aborts it.
        with acting_as(role), transaction.atomic():
            if role is None:
                disable_triggers()
            case.tamper(world)
    except DatabaseError as refusal:
        return f"{BLOCKED}: {refusal}"
    with acting_as(role):
        if case.then is not None:
            case.then(world)
            # What the app then wrote (a refused publication's event) is anchored when it commits,
            # which a test transaction never does: anchor it here, as the commit would.
            with contextlib.suppress(audit.AnchorError):
                audit.write_anchor()
        return detection(world) or "missed"


def test_it_starts_from_a_record_that_verifies(world: World) -> None:
    assert detection(world) == ""
    assert len(world.served()) == 1


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_it_blocks_or_detects_the_owner(case: Case, world: World) -> None:
    if case.postgres_only and not POSTGRES:
        pytest.skip("PostgreSQL only")
    assert case.owner in outcome(case, world, None)


@pytest.mark.skipif(not POSTGRES, reason="database roles are PostgreSQL's")
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_it_blocks_or_detects_the_app_role(case: Case, world: World, app_role: str) -> None:
    assert case.app_role in outcome(case, world, app_role)
