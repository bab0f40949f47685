"""Conditional reads of what a channel serves: a strong ETag, a cheap 304, and headers caches obey."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags


def revalidated(response: HttpResponse, etag: str, *, public: bool = False) -> HttpResponse:
    """Headers every channel read carries: its strong ETag, and "store it, but ask again each time".

    `max-age=0, must-revalidate` (with `no-cache` for older caches) lets a CDN or a consumer keep
    the body and revalidate it with If-None-Match on every request, so a withdrawal or an expiry
    is seen by the next request while an unchanged body costs a 304. Keyed reads are `private`
    and vary on the credentials; the public website page may sit in a shared cache.
    """
    response["ETag"] = etag
    if public:
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True, no_cache=True)
    else:
        patch_cache_control(response, private=True, max_age=0, must_revalidate=True, no_cache=True)
        patch_vary_headers(response, ["Authorization", "Cookie"])
    return response


def not_modified(request: HttpRequest, etag: str, *, public: bool = False) -> HttpResponse | None:
    """A 304 when the client already holds the body tagged `etag` (If-None-Match), else None."""
    offered = {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}
    if etag in offered or "*" in offered:
        return revalidated(HttpResponse(status=304), etag, public=public)
    return None
