"""One mapping from a refusal to the page a person sees, and one safe "back" redirect.

Views raise the domain's refusals (content.exceptions): `NotAllowed` is the wrong person
(403), `InvalidTransition` and `StaleVersion` the wrong state (409), `ValidationError` bad
input (400). The API maps the same exceptions to the same codes (DRF's handler and
content.api); pages get `error.html` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from config import retry
from content.exceptions import InvalidTransition, NotAllowed, StaleVersion
from content.locking import RETRY_AFTER_SECONDS, contention

TITLES = {
    400: "Not saved",
    403: "Not allowed",
    409: "That cannot be done now",
    429: "Too many attempts",
    503: "Busy: try again",
}


def error_page(request: HttpRequest, status: int, message: str, *, title: str = "") -> HttpResponse:
    return render(
        request, "error.html", {"title": title or TITLES.get(status, "Error"), "message": message}, status=status
    )


def busy_response(request: HttpRequest, why: str) -> HttpResponse:
    """503 with Retry-After: the database rolled the whole transaction back, so sending it again is safe."""
    message = f"Nothing was saved: the database was busy ({why}). Try again in a moment."
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "reason": why}, status=503)
    else:
        response = error_page(request, 503, message)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def refusal_page(request: HttpRequest, exc: Exception) -> HttpResponse | None:
    """The page for a refusal, or None when `exc` is not one."""
    if isinstance(exc, ValidationError):
        messages = getattr(exc, "message_dict", {"": exc.messages})
        return error_page(request, 400, " ".join(m for ms in messages.values() for m in ms))
    if isinstance(exc, (InvalidTransition, StaleVersion)):
        return error_page(request, 409, str(exc))
    if isinstance(exc, NotAllowed):
        return error_page(request, 403, str(exc) or "Not allowed.")
    return None


class RefusalMiddleware:
    """Refusals a view raises become their page (a ValidationError is left to the view's form).

    The last resort for contention: every writer takes the chain lock first
    (content.locking), so a deadlock should not happen; if one does, or SQLite stays
    busy past its timeout, the view runs once more in a fresh transaction when that is
    safe (config.retry), and the person gets a 503 saying to retry rather than a 500 if
    that loses too. The API's exceptions reach here too (DRF re-raises what its handler leaves).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not retry.keep_body(request):
            return self.get_response(request)
        watch = retry.CommitWatch()
        request._vetted_commits = watch  # type: ignore[attr-defined]
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(watch):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, ValidationError):
            return None
        if why := contention(exc):
            return self.retried(request, why)
        return refusal_page(request, exc)

    def retried(self, request: HttpRequest, why: str) -> HttpResponse:
        try:
            response = retry.run_again(request, getattr(request, "_vetted_commits", None), why)
        except Exception as again:
            if why_again := contention(again):
                return busy_response(request, why_again)
            if isinstance(again, ValidationError) or (page := refusal_page(request, again)) is None:
                raise
            return page
        return response if response is not None else busy_response(request, why)


def back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Redirect to the form's `next` when it is a URL of this site, else to `fallback`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)
