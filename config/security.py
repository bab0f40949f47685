"""Login and password throttling: the lockout page, the client address django-axes counts by,
and the throttled password change (their audit events: review.audit.receivers)."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth.views import PasswordChangeView
from django.core.cache import cache
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


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for lockouts (AXES_CLIENT_IP_CALLABLE).

    With TRUSTED_PROXY_HEADER set, the address the proxy wrote into that header; a
    list (X-Forwarded-For: client, proxy1, ...) is read from the right, because the
    right-most entry is the one our proxy appended and the others are whatever the
    client sent. Without the setting, or when the header is missing or not an address,
    REMOTE_ADDR.
    """
    header = settings.TRUSTED_PROXY_HEADER
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        candidate = request.META.get(meta_key, "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")


PASSWORD_CHANGE_REFUSED = (
    "Too many wrong current passwords. Changing the password is paused for this account "
    "for 15 minutes; try again later, or ask an administrator."
)


class ThrottledPasswordChangeView(PasswordChangeView):
    """Django's password change, refusing with 429 after too many wrong old passwords for one user.

    django-axes only counts `authenticate()` calls, and this form checks the old password
    with `check_password`, so it keeps its own per-user counter in the cache (shared by all
    workers in production). Each POST is counted before the password is checked, so
    concurrent guesses cannot run past the limit; a right old password clears the count.
    The audit event of a successful change comes from the user's save
    (review.audit.receivers), like a change made in the admin or by a command.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        count_key, lock_key = f"vetted:pwchange:{request.user.pk}", f"vetted:pwchange-locked:{request.user.pk}"
        if cache.get(lock_key):
            return self.refused(request)
        cooloff = int(settings.PASSWORD_CHANGE_COOLOFF.total_seconds())
        cache.add(count_key, 0, cooloff)
        try:
            tries = cache.incr(count_key)
        except ValueError:  # expired between add and incr
            tries = 1
            cache.set(count_key, tries, cooloff)
        if tries > settings.PASSWORD_CHANGE_FAILURE_LIMIT:
            cache.set(lock_key, True, cooloff)
            return self.refused(request)
        response = super().post(request, *args, **kwargs)
        form = getattr(response, "context_data", {}).get("form") if response.status_code == 200 else None
        if form is None or "old_password" not in form.errors:
            cache.delete(count_key)  # the old password was right
        elif tries >= settings.PASSWORD_CHANGE_FAILURE_LIMIT:
            cache.set(lock_key, True, cooloff)
        return response

    def refused(self, request: HttpRequest) -> HttpResponse:
        context = {"title": "Too many attempts", "message": PASSWORD_CHANGE_REFUSED}
        return render(request, "error.html", context, status=429)
