"""Login lockout (django-axes): the page a locked-out person sees (its audit event: review.audit.receivers)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKOUT_TITLE = "Too many failed logins"
LOCKOUT_MESSAGE = (
    "Logging in is paused for this account from your address after repeated failures. "
    "Try again in 15 minutes, or ask an administrator to unlock it."
)


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    # The same page whether or not the username exists: axes counts unknown names too.
    return render(request, "error.html", {"title": LOCKOUT_TITLE, "message": LOCKOUT_MESSAGE}, status=429)
