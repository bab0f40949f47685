"""Request-wide guards: bad input answered before any view, and no caching of personal answers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control

from config.errors import error_page

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def nul_field(request: HttpRequest) -> str | None:
    """The name of the first path, query or form field holding a NUL byte, if any.

    JSON bodies are checked by the API's parser (config.parsers), which has them decoded anyway.
    """
    if "\x00" in request.path:
        return "path"
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in v for v in values):
            return name
    # request.POST parses only form bodies; reading it here is what the view would do anyway.
    if request.method == "POST" and request.content_type in FORM_TYPES:
        for name, values in request.POST.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                return name
    return None


class RejectNulMiddleware:
    """A NUL byte in the path, the query string or a form field is a 400 naming the field.

    PostgreSQL cannot hold NUL in text, so such a value reaching a filter or a save is a 500;
    no one types one, so refusing it everywhere loses nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = nul_field(request)
        if field is None:
            return self.get_response(request)
        message = "Must not contain a NUL character."
        if request.path.startswith("/api/"):
            return JsonResponse({field: [message]}, status=400)
        return error_page(request, 400, f"{field}: {message}")


class PrivateCacheMiddleware:
    """`Cache-Control: no-store, private` on every answer to a signed-in user (session or token).

    A shared proxy or the browser's back button must not show one reviewer's pages to the
    next person. Views that set Cache-Control themselves (the channel feeds' ETag and
    no-cache) know better and are left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # DRF's token authentication sets request.user on this request too.
        user = getattr(request, "user", None)
        if not response.has_header("Cache-Control") and user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
