"""One more try for a request whose write lost a lock race: the same request, in a fresh transaction.

A deadlock, a serialization failure or SQLite staying busy past its timeout rolls the whole
transaction back (content.locking.contention), so running the view again is safe, and usually
wins: the other writer has finished by then. It is safe only if nothing the request wrote
before was committed (a view with two transactions would otherwise do the first one twice),
so `CommitWatch` notes every write that reaches a commit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException

logger = logging.getLogger(__name__)

_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class CommitWatch:
    """An execute wrapper on the request's connection: has this request committed any write yet?

    A write in autocommit mode is committed at once; one inside a transaction is committed
    only if that transaction commits, which `on_commit` tells us (a rolled-back transaction
    or savepoint drops the callback with the writes).
    """

    def __init__(self) -> None:
        self.committed = False

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if not self.committed and _WRITE.match(sql):
            db = context["connection"]
            if db.in_atomic_block:
                db.on_commit(self.mark)
            else:
                self.committed = True
        return result

    def mark(self) -> None:
        self.committed = True


def keep_body(request: HttpRequest) -> bool:
    """Read the body now, so a retried API request can be parsed again (DRF reads the stream once).

    Form bodies are kept by Django itself (request.POST and request.FILES); a body too large
    to hold makes the request one that is not retried.
    """
    if request.method in {"GET", "HEAD", "OPTIONS"} or request.content_type == "multipart/form-data":
        return True
    try:
        request.body  # noqa: B018 (reading caches it)
    except (RequestDataTooBig, RawPostDataException):
        return False
    return True


def run_again(request: HttpRequest, watch: CommitWatch | None, why: str) -> HttpResponse | None:
    """The view's second answer, or None when a second try is not safe (the caller answers 503).

    Raises whatever the second try raises; the caller maps it as it would the first.
    """
    match = request.resolver_match
    if watch is None or watch.committed or match is None or transaction.get_connection().in_atomic_block:
        return None
    logger.warning("%s %s met %s; trying once more", request.method, request.path, why)
    if request.content_type == "multipart/form-data":
        for _name, uploads in request.FILES.lists():
            for upload in uploads:
                upload.seek(0)  # the form reads each upload from the start again
    response: HttpResponse = match.func(request, *match.args, **match.kwargs)
    return response
