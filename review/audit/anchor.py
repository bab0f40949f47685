"""The chain's anchor: an append-only log of signed checkpoints, outside the database.

Each committed write appends one line `{"id", "head", "count", "written_at", "prev", "mac"}`:
the chain's head at that moment, linked to the checkpoint before it (`prev` is that one's
`mac`) and sealed with HMAC-SHA256 under settings.AUDIT_ANCHOR_KEY, which the database does
not hold. So the anchor only moves forward:

1. Before appending, the app checks that the database's chain still holds the last
   checkpoint's event (same id, same hash) and has not shrunk below it. If not, events were
   deleted or rewritten: it refuses, logs a critical alert and leaves the log as it is, so
   the break stays visible (`verify_audit`, the integrity page, `/healthz`).
2. `verify_chain` checks every checkpoint's seal and link, and that every checkpointed
   event is in the chain with that hash.
3. A missing log while the database holds history is a break, not "intact".

`AUDIT_CHECKPOINT_URL`, when set, receives each checkpoint as a JSON POST (to an object
store with object lock, a time-stamp authority's front end or a log host), so a copy lives
off this host too; a failed send is logged and never blocks the write.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import urllib.request
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from review.models import AuditEvent

logger = logging.getLogger(__name__)

FIELDS = ("id", "head", "count", "written_at", "prev")
# The last checkpoint is read from the end of the log; one line is far shorter than this.
TAIL_BYTES = 4096


class AnchorError(Exception):
    """The anchor log cannot be read or does not vouch for the chain."""


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_PATH)


def seal(checkpoint: dict[str, Any]) -> str:
    payload = json.dumps({k: checkpoint[k] for k in FIELDS}, sort_keys=True, separators=(",", ":"))
    return hmac.new(settings.AUDIT_ANCHOR_KEY.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def _parse(line: str, number: int) -> dict[str, Any]:
    try:
        checkpoint = json.loads(line)
    except ValueError:
        raise AnchorError(f"Line {number} of the anchor log is not a checkpoint.") from None
    if not isinstance(checkpoint, dict) or not {*FIELDS, "mac"} <= checkpoint.keys():
        raise AnchorError(f"Line {number} of the anchor log is not a checkpoint.")
    if not hmac.compare_digest(str(checkpoint["mac"]), seal(checkpoint)):
        raise AnchorError(f"Checkpoint {number} of the anchor log does not carry the app's seal: it was altered.")
    return checkpoint


def checkpoints() -> Iterator[dict[str, Any]]:
    """Every checkpoint, oldest first, each seal and link checked (AnchorError on the first bad one)."""
    path = anchor_path()
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        return
    except OSError as exc:
        # The reason, never the path: this message reaches the integrity page.
        raise AnchorError(f"The anchor log cannot be read: {exc.strerror}.") from None
    prev, last_id = "", 0
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            checkpoint = _parse(line, number)
            if checkpoint["prev"] != prev or int(checkpoint["id"]) < last_id:
                raise AnchorError(f"Checkpoint {number} of the anchor log does not follow the one before it.")
            prev, last_id = checkpoint["mac"], int(checkpoint["id"])
            yield checkpoint


def read_anchor() -> dict[str, Any] | None:
    """The last checkpoint (its seal checked), or None when there is no log yet."""
    path = anchor_path()
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AnchorError(f"The anchor log cannot be read: {exc.strerror}.") from None
    lines = [line for line in tail.splitlines() if line.strip()]
    if not lines:
        return None
    return _parse(lines[-1], 0)


def descends(checkpoint: dict[str, Any] | None, head: tuple[int, str] | None) -> str:
    """Why the database's chain does not continue from `checkpoint` (empty when it does)."""
    if checkpoint is None:
        return ""
    anchored = int(checkpoint["id"])
    if anchored == 0:
        return ""
    if head is None or head[0] < anchored:
        held = head[0] if head else 0
        return f"The anchor vouches for {anchored} events, the database holds {held}: events were deleted."
    if not AuditEvent.objects.filter(pk=anchored, hash=checkpoint["head"]).exists():
        return f"Event #{anchored} is not the one the anchor vouches for: the chain was rewritten."
    return ""


def write_anchor() -> dict[str, Any]:
    """Append a checkpoint of the committed head, if the chain still continues from the last one.

    Reads the head from the database under a file lock rather than trusting the caller, so two
    processes committing in one order and anchoring in the other never move it backwards.
    Raises AnchorError (after a critical log line) when the chain no longer descends from the
    last checkpoint; nothing is written then.
    """
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        last = read_anchor()
        head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        if problem := descends(last, head):
            logger.critical("audit anchor refused", extra={"detail": problem})
            raise AnchorError(problem)
        if last is not None and head is not None and (int(last["id"]), last["head"]) == head:
            return last
        # Ids are allocated 1, 2, 3 ... under the chain lock, so the head's id is the count.
        checkpoint: dict[str, Any] = {
            "id": head[0] if head else 0,
            "head": head[1] if head else "",
            "count": head[0] if head else 0,
            "written_at": timezone.now().astimezone(UTC).isoformat(timespec="microseconds"),
            "prev": last["mac"] if last else "",
        }
        checkpoint["mac"] = seal(checkpoint)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(checkpoint, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    ship(checkpoint)
    return checkpoint


def ship(checkpoint: dict[str, Any]) -> None:
    """Send a checkpoint to AUDIT_CHECKPOINT_URL, when set (a copy off this host)."""
    url = settings.AUDIT_CHECKPOINT_URL
    if not url:
        return
    if not url.startswith(("https://", "http://")):
        logger.error("audit checkpoint not sent: AUDIT_CHECKPOINT_URL must be an http(s) URL")
        return
    body = json.dumps(checkpoint, sort_keys=True).encode("utf-8")
    # The scheme is checked above: http(s) only.
    request = urllib.request.Request(  # noqa: S310
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.AUDIT_CHECKPOINT_TIMEOUT) as answer:  # noqa: S310
            if answer.status >= 300:
                logger.warning("audit checkpoint not accepted", extra={"status": answer.status})
    except OSError as exc:
        logger.warning("audit checkpoint not sent", extra={"error": type(exc).__name__})


def state() -> str:
    """Cheap check for /healthz and the integrity page: empty when the chain still continues from the anchor."""
    try:
        last = read_anchor()
    except AnchorError as exc:
        return str(exc)
    head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    if last is None:
        return "There is no anchor, yet the database holds audit events." if head else ""
    return descends(last, head)
