"""The one lock order for writing transactions: the audit chain's lock first, then rows.

Every write appends audit events, and appending takes the chain lock (held to the end
of the transaction). A transaction that locked a row (select_for_update) and then
waited for the chain lock could deadlock with one that held the chain lock and
waited for that row, or whose commit checks a deferred foreign key (FOR KEY SHARE)
on it. So each writing verb calls `lock_chain()` at the start of its
`transaction.atomic()` block, before any row lock: writers then queue on one lock
and can never wait for each other in a circle.

It lives here, in the floor package, because content's own verbs (import, revise,
split, merge, the claim transitions) take it too; review.audit.chain re-exports it.
"""

from __future__ import annotations

from django.db import DatabaseError, OperationalError, transaction

# Key of the PostgreSQL advisory lock that serialises appends ("VETTED" in ASCII).
CHAIN_LOCK_KEY = 0x564554544544


def lock_chain(using: str | None = None) -> None:
    """Take the audit chain lock in the current transaction (call inside `transaction.atomic()`).

    PostgreSQL: `pg_advisory_xact_lock`, released at commit or rollback, re-entrant in
    one transaction. SQLite: nothing to do; the IMMEDIATE transaction already holds
    the database write lock, which serialises writers the same way.
    """
    connection = transaction.get_connection(using)
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        # Outside a transaction the lock would be released at once (autocommit): a bug in the caller.
        raise RuntimeError("lock_chain() must run inside transaction.atomic().")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


# What a refused writer is told to wait before trying again (the Retry-After header).
RETRY_AFTER_SECONDS = 2

# PostgreSQL's SQLSTATEs for "your transaction lost a race and was rolled back whole".
_ROLLED_BACK = {"40001": "serialization failure", "40P01": "deadlock detected"}


def contention(exc: BaseException) -> str | None:
    """Why the database refused this transaction for contention, or None when `exc` is something else.

    A deadlock or serialization failure (PostgreSQL) and a busy database (SQLite,
    past its busy timeout) roll the whole transaction back, so nothing was
    half-written and the same request may simply be sent again.
    """
    if not isinstance(exc, DatabaseError):
        return None
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate in _ROLLED_BACK:
        return _ROLLED_BACK[sqlstate]
    if isinstance(exc, OperationalError) and "is locked" in str(exc):
        # SQLite: "database is locked" (another writer held it past the timeout) or
        # "database table is locked" (shared cache).
        return "database busy"
    return None
