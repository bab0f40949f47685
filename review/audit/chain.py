"""The audit trail: who changed, judged, signed and published what, when and why, provably unaltered.

Every governed model (each model with a django-simple-history manager in the
content and review apps, including ones added later) gets one `AuditEvent` per
history row (and every ClaimVersion one `claimversion.created`), carrying the row's
digest (`review.audit.rows`), derived in `post_create_historical_record` (for the rows that
content.bulk writes itself, in `history_created_in_bulk`): the actor is the
history user (the named system user when there is none), the changes are
`{field: [old, new]}` from `diff_against` the object's previous record, the
reason is the history change reason. Business events that are not row changes
(refused review attempts, logins, failed logins) go through `record()`.

Events form a hash chain (`compute_hash`, HMAC-SHA256 under settings.AUDIT_KEY,
so a database user without the key cannot seal a forged event): appending takes a lock in
the writer's own transaction (PostgreSQL: `pg_advisory_xact_lock`; SQLite:
the IMMEDIATE transaction already holds the write lock), allocates id =
previous + 1 and links `prev_hash` to the previous event; a unique constraint
on `prev_hash` makes the database refuse a fork as well. After each commit the
head (hash, id, count) is written to `settings.AUDIT_ANCHOR_PATH`, outside the
database, so `verify_chain` also catches a chain rebuilt inside it.

Database triggers refuse UPDATE and DELETE on every history table of the
governed models, on ClaimVersion, on the audit tables
(`install_append_only_triggers`, run by a migration and after every migrate).

Audit write paths (also in the README)
--------------------------------------

| write path                                | outcome  | how                                                         |
|-------------------------------------------|----------|-------------------------------------------------------------|
| web form (views -> verbs)                 | recorded | verbs set `_history_user`; else HistoryRequestMiddleware     |
| API (DRF views -> verbs)                  | recorded | same as web forms                                           |
| admin change form                         | recorded | the admin user (middleware, SimpleHistoryAdmin.save_model)  |
| admin history "revert"                    | off      | SIMPLE_HISTORY_REVERT_DISABLED hides it; a forced POST is an |
|                                           |          | ordinary admin change, recorded                              |
| deleting a claim or a user                | blocked  | Claim.delete and `_refuse_user_delete` raise NotAllowed      |
| management command                        | recorded | actor from --author/--actor, else the system user           |
| background task (django-tasks worker)     | recorded | no request: the system user unless the task sets the actor  |
| fixture `loaddata` (raw save)             | recorded | simple-history skips raw saves: `_record_raw_save` writes    |
|                                           |          | the history row and event, as the system user               |
| `QuerySet.update()`                       | blocked  | GovernedQuerySet (content/governance.py) raises NotAllowed  |
| `bulk_update()`, `bulk_create()`          | blocked  | GovernedQuerySet                                            |
| creating claims (content.bulk)            | recorded | it writes the history rows itself and sends                 |
|                                           |          | history_created_in_bulk: `record_histories`, one chain step |
| queryset `.delete()`                      | blocked  | GovernedQuerySet                                            |
| instance `.delete()` (other models)       | recorded | simple-history's "-" record -> `<model>.deleted`            |
| raw SQL UPDATE/DELETE on history,         | blocked  | database triggers (`install_append_only_triggers`)          |
| ClaimVersion or audit tables              |          |                                                             |
| raw SQL on live tables, data migrations   | detected | `reconcile_history` (live row != latest history snapshot)   |
| raw SQL INSERT into / edit of audit table | detected | `verify_audit` (hash, prev_hash, id gap, anchor)            |
| raw SQL INSERT of a history row or a      | detected | `verify_audit`: every such row has exactly one event whose  |
| ClaimVersion; edit/delete of one (triggers|          | digest matches it (review.audit.rows), checked both ways    |
| dropped by the owner)                     |          |                                                             |
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from content.locking import CHAIN_LOCK_KEY as CHAIN_LOCK_KEY
from content.locking import lock_chain
from review.audit.anchor import write_anchor
from review.models import AuditEvent

logger = logging.getLogger(__name__)


SYSTEM_USERNAME = "system"


GENESIS = "0" * 64


def system_user() -> Any:
    """The named actor for writes outside a request (commands, fixtures, tasks): inactive, no usable password."""
    user_model = get_user_model()
    user = user_model._default_manager.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user, _ = user_model._default_manager.get_or_create(
            username=SYSTEM_USERNAME,
            defaults={
                "first_name": "Vetted",
                "last_name": "system",
                "is_active": False,
                "password": make_password(None),
            },
        )
    return user


def actor_or_system(user: Any) -> Any:
    """A real, saved user; anything else (None, AnonymousUser) is the system user. Never null."""
    if user is None or not getattr(user, "pk", None):
        return system_user()
    return user


def user_by_name(username: str) -> Any:
    """For `--actor USERNAME` options: the user, or None."""
    return get_user_model()._default_manager.filter(username=username).first()


def jsonable(value: Any) -> Any:
    """A JSON value that reads back from the database exactly as written (what the hash covers)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, datetime):
        return iso(value) if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, models.Model):
        return jsonable(value.pk)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(event: AuditEvent) -> str:
    """The exact bytes hashed: every field of the event except its own hash, keys sorted."""
    payload = {
        "id": event.pk,
        "at": iso(event.at),
        "actor": {"id": event.actor_id, "username": event.actor_username},
        "type": event.type,
        "object": {
            "type": event.object_type,
            "id": event.object_id,
            "history_id": event.history_id,
            "digest": event.digest,
        },
        "claim": event.claim_id,
        "article": event.article_id,
        "channel": event.channel_id,
        "changes": event.changes,
        "reason": event.reason,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(event: AuditEvent) -> str:
    """HMAC-SHA256 of the canonical event under settings.AUDIT_KEY: only the app can seal an event."""
    return hmac.new(settings.AUDIT_KEY.encode("utf-8"), canonical(event).encode("utf-8"), hashlib.sha256).hexdigest()


def append_to_chain(events: list[AuditEvent]) -> None:
    """Link `events`, in order, to the head of the chain and insert them, inside the caller's transaction.

    1. Lock: PostgreSQL advisory transaction lock (held to the end of the
       writer's transaction, so the next writer reads these events' last as its head);
       on SQLite the IMMEDIATE transaction already holds the database write lock.
    2. Read the head; each event's id = previous id + 1, prev_hash = previous hash.
    3. Hash each event's canonical content and insert them all.
    4. After commit, write the anchor file.
    """
    with transaction.atomic():
        connection = transaction.get_connection()
        # A no-op when the writer took the lock first, as every writing verb does.
        lock_chain()
        head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        last_id, last_hash = head if head else (0, GENESIS)
        for event in events:
            event.id, event.prev_hash = last_id + 1, last_hash
            event.hash = compute_hash(event)
            last_id, last_hash = event.id, event.hash
        AuditEvent.objects.bulk_create(events, batch_size=1000)
        _anchor_after_commit(connection)


def _anchor_after_commit(connection: BaseDatabaseWrapper) -> None:
    # One anchor write per transaction is enough: it reads the head at that time.
    if any(entry[1] is write_anchor for entry in getattr(connection, "run_on_commit", [])):
        return
    transaction.on_commit(write_anchor, robust=True)


class AuditUnavailable(Exception):
    """The audit tables are missing (a command run before migrate)."""


def ensure_database_ready() -> None:
    try:
        AuditEvent.objects.exists()
    except DatabaseError as exc:
        raise AuditUnavailable(f"The audit tables are not there yet; run migrate first ({exc}).") from None
