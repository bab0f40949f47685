"""Read replica routing: reads of marked GET views go to the "replica" database alias.

Use: decorate a read-only view with `use_replica` (for a DRF view class:
`method_decorator(use_replica, name="get")`, or wrap `View.as_view()` in urls).
While such a view runs, reads go to "replica"; writes always go to the primary.

A replica lags the primary by a little, so only views where a second's staleness
is harmless are marked: channel feeds and audit reads. Anything that reads in order
to write (verbs, forms) stays on the primary.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_read_only: ContextVar[bool] = ContextVar("vetted_read_only", default=False)

V = TypeVar("V", bound=Callable[..., Any])


def use_replica(view: V) -> V:
    """Serve this view's reads from the replica when the request is a GET or HEAD."""

    @wraps(view)
    def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method not in READ_METHODS:
            return view(request, *args, **kwargs)
        token = _read_only.set(True)
        try:
            return view(request, *args, **kwargs)
        finally:
            _read_only.reset(token)

    return wrapper  # type: ignore[return-value]


def reading_from_replica() -> bool:
    return _read_only.get()


# Who is asking is always read from the primary: a session, account or lockout the
# replica has not caught up with would log the person out or let a locked one in.
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "authtoken", "axes"})


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        # Inside an open transaction on the primary, read your own writes there:
        # the replica cannot see them yet. (This also keeps ordinary tests, which
        # run each test inside a transaction, on one connection.)
        if (
            _read_only.get()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Both aliases hold the same data, so a row read from one may point at a row from the other.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # The replica copies the primary's schema; it is never migrated itself.
        return db == DEFAULT_DB_ALIAS
