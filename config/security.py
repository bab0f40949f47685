"""Login lockout (django-axes) hooks: the page a locked-out person sees, and its audit event."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

log = logging.getLogger(__name__)

LOCKOUT_TITLE = "Too many failed logins"
LOCKOUT_MESSAGE = (
    "Logging in is paused for this account from your address after repeated failures. "
    "Try again in 15 minutes, or ask an administrator to unlock it."
)


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    # The same page whether or not the username exists: axes counts unknown names too.
    return render(request, "error.html", {"title": LOCKOUT_TITLE, "message": LOCKOUT_MESSAGE}, status=429)


def audit_lockout(sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any) -> None:
    """Every lockout is an audit event (the audit trail records logins and failures itself)."""
    from django.contrib.auth import get_user_model

    from review import audit

    attempted = (username or "")[:150]
    user_model = get_user_model()
    known = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: attempted}).first() if attempted else None
    log.warning("login locked out", extra={"username": attempted, "known_user": known is not None})
    audit.record(
        audit.system_user(),
        "auth.locked_out",
        None,
        {"username": [None, attempted]},
        "Too many failed logins",
        object_type="user",
        object_id=str(known.pk) if known else "",
    )
