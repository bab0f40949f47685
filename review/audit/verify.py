"""Verifying the trail: every event's seal and link, and the chain against the anchor log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.text import capfirst

from content.locking import lock_chain
from content.models import ClaimVersion, version_hash
from review.audit.anchor import AnchorError, checkpoints
from review.audit.chain import GENESIS, actor_or_system, compute_hash
from review.audit.events import record
from review.audit.guards import governed_models, history_model
from review.audit.rows import CHUNK, sealed_rows, sealed_tables
from review.models import AuditEvent, AuditVerification, Rendition, Signature, Suggestion


@dataclass
class Verification:
    ok: bool
    events_checked: int
    first_broken: int | None
    head: str
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events_checked": self.events_checked,
            "first_broken": self.first_broken,
            "head": self.head,
        }


def verify_chain() -> Verification:
    """Check every event, streamed in id order (constant memory), and the anchor log beside it.

    Per event: the id follows the previous one (a gap is a deleted row), the prev_hash is the
    previous event's hash (a removed, inserted or altered predecessor), the hash matches the
    content (an altered event). The anchor log is read in step: each checkpoint's seal and link,
    and each checkpointed event must be in the chain with that hash (catches a chain recomputed
    inside the database, and rows removed from the end). Events after the last checkpoint were
    added outside the app. No log while the database holds history is a break.
    """
    checked, expected_id, prev_hash, head = 0, 1, GENESIS, ""
    first_broken: int | None = None
    detail = ""

    def broken(event_id: int | None, why: str) -> None:
        nonlocal first_broken, detail
        if first_broken is None and not detail:
            first_broken, detail = event_id, why

    anchored = checkpoints()
    pending: dict[str, Any] | None = None
    last_anchored: dict[str, Any] | None = None

    def next_checkpoint() -> dict[str, Any] | None:
        try:
            return next(anchored, None)
        except AnchorError as exc:
            broken(None, str(exc))
            return None

    pending = next_checkpoint()
    while pending is not None and int(pending["id"]) == 0:
        last_anchored, pending = pending, next_checkpoint()
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        checked += 1
        if event.pk != expected_id:
            missing = event.pk > expected_id
            broken(
                expected_id if missing else event.pk,
                f"Event #{expected_id} is missing (the next event is #{event.pk})."
                if missing
                else f"Event #{event.pk} is out of sequence.",
            )
        if event.prev_hash != prev_hash:
            broken(event.pk, f"Event #{event.pk} does not follow the event before it: its prev_hash differs.")
        if compute_hash(event) != event.hash:
            broken(event.pk, f"Event #{event.pk} was altered: its content does not match its hash.")
        while pending is not None and int(pending["id"]) == event.pk:
            if pending["head"] != event.hash:
                broken(event.pk, f"Event #{event.pk} differs from the anchored one: the chain was rewritten.")
            last_anchored, pending = pending, next_checkpoint()
        expected_id, prev_hash, head = event.pk + 1, event.hash, event.hash
    last_id = expected_id - 1

    if pending is not None:
        # An append committed while we streamed is fine; rows gone from the end are not.
        if not AuditEvent.objects.filter(pk=pending["id"], hash=pending["head"]).exists():
            broken(last_id + 1, f"The anchor records {pending['id']} events; events after #{last_id} are missing.")
    elif last_anchored is None:
        if not detail and (checked or _history_exists()):
            broken(None, "There is no anchor log, yet the database holds history: the head cannot be vouched for.")
    elif int(last_anchored["id"]) < last_id:
        broken(
            int(last_anchored["id"]) + 1,
            f"Events after #{last_anchored['id']} are not anchored: added outside the app.",
        )
    return Verification(ok=not detail, events_checked=checked, first_broken=first_broken, head=head, detail=detail)


def _history_exists() -> bool:
    return any(history_model(model).objects.exists() for model in governed_models())


def broken_records() -> Iterator[str]:
    """Governed rows whose own seal or hash no longer matches what they hold, streamed.

    Every signature's keyed seal (signer, claim, version, content hash, decision, meaning, time),
    every signed suggestion's seal and the hash its text was signed for, every claim version's
    content hash, recomputed from its text and citations, and every rendition's bytes: an edit of
    any of these tables from outside the app (triggers dropped by the table owner) shows here.
    Then every history row and version against the one event that sealed it (`unsealed_rows`).
    """
    for signature in Signature.objects.select_related("review").order_by("pk").iterator(chunk_size=2000):
        if not signature.is_intact():
            yield f"Signature #{signature.pk} does not match its seal: it was forged or altered."
    signed = Suggestion.objects.filter(signed_at__isnull=False).order_by("pk")
    for suggestion in signed.iterator(chunk_size=2000):
        if not suggestion.is_intact():
            yield f"Suggestion #{suggestion.pk}'s signature does not match its seal: it was forged or altered."
        elif suggestion.proposed_hash != _proposed_hash(suggestion):
            yield f"Suggestion #{suggestion.pk}'s text does not match the content hash it was signed for."
    versions = ClaimVersion.objects.order_by("pk").only("claim_id", "version", "text", "citations", "content_hash")
    for cv in versions.iterator(chunk_size=2000):
        if version_hash(cv.text, cv.citations) != cv.content_hash:
            yield f"Claim #{cv.claim_id} version {cv.version} does not match its content hash: its text was altered."
    yield from _broken_renditions()
    for object_type, table in sealed_tables():
        yield from unsealed_rows(object_type, table)


def unsealed_rows(object_type: str, table: Any) -> Iterator[str]:
    """Rows of `table` and their events compared both ways: one streamed query each, merged by row id.

    A row without its event was INSERTed around the app; an event whose row is gone, or whose
    digest the row no longer matches, means the row was deleted or edited (triggers dropped);
    a second event for one row is refused by a constraint, and named here if that was dropped.
    """
    name = capfirst(table._meta.verbose_name)
    rows = sealed_rows(table)
    # history_id is not null in these rows.
    events: Iterator[tuple[int, int, str]] = (
        AuditEvent.objects.filter(object_type=object_type, history_id__isnull=False)
        .order_by("history_id", "id")
        .values_list("history_id", "id", "digest")
        .iterator(chunk_size=CHUNK)  # type: ignore[assignment]
    )
    row, event = next(rows, None), next(events, None)
    while row is not None or event is not None:
        if event is None or (row is not None and row[0] < event[0]):
            assert row is not None
            yield f"{name} #{row[0]} has no audit event: it was written outside the app."
            row = next(rows, None)
        elif row is None or event[0] < row[0]:
            yield f"Event #{event[1]} seals {name.lower()} #{event[0]}, which is gone: it was deleted."
            event = next(events, None)
        else:
            if event[2] != row[1]:
                yield f"{name} #{row[0]} differs from what event #{event[1]} sealed: it was altered."
            event = next(events, None)
            while event is not None and event[0] == row[0]:
                yield f"Event #{event[1]} seals {name.lower()} #{row[0]} a second time: one row has one event."
                event = next(events, None)
            row = next(rows, None)


def _proposed_hash(suggestion: Suggestion) -> str:
    """The hash the suggested text has with the citations of the version it was made on."""
    cv = ClaimVersion.objects.filter(claim_id=suggestion.claim_id, version=suggestion.claim_version).first()
    return version_hash(suggestion.proposed_text, cv.citations if cv else [])


def _broken_renditions() -> Iterator[str]:
    """Each rendition's bytes against its hashes, and its hashes against those its history row sealed."""
    sealed = {
        row["id"]: tuple(row[f"{part}_sha256"] for part in Rendition.PARTS)
        for row in history_model(Rendition)
        .objects.filter(history_type="+")
        .values("id", *(f"{part}_sha256" for part in Rendition.PARTS))
        .iterator(chunk_size=2000)
    }
    for rendition in Rendition.objects.order_by("pk").iterator(chunk_size=500):
        if broken := rendition.broken_parts():
            parts = ", ".join(broken)
            yield f"Rendition #{rendition.pk} does not match its SHA-256 ({parts}): what it serves was altered."
        elif sealed.get(rendition.pk) != tuple(getattr(rendition, f"{part}_sha256") for part in Rendition.PARTS):
            yield f"Rendition #{rendition.pk} does not match the hashes its history sealed: it was rewritten."


def run_verification(actor: Any = None) -> tuple[Verification, AuditVerification]:
    """Verify the chain and the sealed records, and keep the result for the integrity page."""
    result = verify_chain()
    if result.ok:
        problem = next(broken_records(), "")
        if problem:
            result = Verification(False, result.events_checked, None, result.head, problem)
    with transaction.atomic():
        lock_chain()
        row = AuditVerification.objects.create(
            run_by=actor_or_system(actor),
            ok=result.ok,
            events_checked=result.events_checked,
            first_broken=result.first_broken,
            head=result.head,
            detail=result.detail,
        )
        # The run is an event too, appended after the events it checked: the next run checks it.
        record(
            row.run_by,
            "audit.verified",
            row,
            {
                "ok": [None, result.ok],
                "events_checked": [None, result.events_checked],
                "first_broken": [None, result.first_broken],
                "head": [None, result.head],
            },
            result.detail or "The audit trail is intact.",
            object_type="verification",
        )
    return result, row
