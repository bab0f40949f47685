"""Login and password throttling: the lockout page, the client address django-axes counts by, the
paced login and the throttled password change (their audit events: review.audit.receivers)."""

from __future__ import annotations

import ipaddress
from typing import Any

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.core.cache import cache
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from content import pacing

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


def login_wait(request: HttpRequest) -> int:
    """Seconds before this username may try a password again from this address (0: now).

    Counted from django-axes' own records of failures, per username and client address as
    its lockout is, so one person's typos never slow anyone else down.
    """
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(
        username=get_client_username(request), ip_address=client_ip(request), attempt_time__gte=since
    ).aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
    return pacing.seconds_left(
        failures["n"] or 0, failures["last"], timezone.now(), settings.PASSWORD_PACING_FIRST_WAIT
    )


class PacedLoginView(LoginView):
    """Django's login, asking for a pause after each failure (content.pacing) before the lockout.

    A try inside the pause is answered 429 with Retry-After and the form again; the password
    is not checked, so the try is not counted as another failure.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = login_wait(request)
        if not wait:
            return super().post(request, *args, **kwargs)
        # An unbound form: validating the posted one would check the password after all.
        context = self.get_context_data(form=self.form_class(request), wait=wait)
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(wait)
        return response


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
