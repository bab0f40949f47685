"""Structured logs: one JSON object per line, each carrying the request id.

`RequestIdMiddleware` keeps the caller's X-Request-ID (a load balancer or another
service may have set it) when it looks like an id, else makes one, and echoes it in
the response, so a user's report can be matched to the server's lines.

State changes are logged from django-simple-history's `post_create_historical_record`:
which model and row, what kind of change, who and why. Never field values: a field
may hold anything, and logs are read by more people, and kept longer, than the rows.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators only: a forwarded id can then never break a
# log line or forge another one (no quotes, spaces or newlines).
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

request_id_var: ContextVar[str] = ContextVar("vetted_request_id", default="-")
changes_log = logging.getLogger("vetted.changes")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}
# An `extra` key naming one of these is never written out, whatever its value.
_SECRET_WORDS = ("password", "secret", "token", "authorization", "cookie", "credential")
HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        # Cleared on request_finished, not here: Django logs 4xx/5xx responses
        # after the middleware returns, and those lines need the id too.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def clear_request_id(**kwargs: Any) -> None:
    request_id_var.set("-")


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being served ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for key, value in vars(record).items():
            if key in _RECORD_ATTRS or key.startswith("_"):
                continue
            entry[key] = "[redacted]" if any(word in key.lower() for word in _SECRET_WORDS) else value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def log_history_record(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    """One line per state change: model, row, kind of change, who, why; never field values."""
    user = getattr(history_instance, "history_user", None)
    action = HISTORY_ACTIONS.get(history_instance.history_type, history_instance.history_type)
    changes_log.info(
        "%s %s %s",
        instance._meta.label,
        instance.pk,
        action,
        extra={
            "model": instance._meta.label,
            "object_id": str(instance.pk),
            "history_type": history_instance.history_type,
            "action": action,
            "user": user.get_username() if user is not None else None,
            "user_id": user.pk if user is not None else None,
            "change_reason": getattr(history_instance, "history_change_reason", None) or "",
        },
    )


def log_history_records(sender: Any, records: list[tuple[Any, Any]], **kwargs: Any) -> None:
    """log_history_record for each row that content.bulk wrote (content.signals.history_created_in_bulk)."""
    if changes_log.isEnabledFor(logging.INFO):
        for history_instance, instance in records:
            log_history_record(sender, instance, history_instance)
