"""Compliance pages (read-only): timeline, point in time, claim dossier, integrity.

Everything here needs the Compliance role (`review.view_auditevent`); others
get 403. The pages change nothing except recording a verification run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from config.db_router import use_replica
from config.errors import error_page
from content import diffing
from content.exceptions import NotAllowed
from content.limits import is_id
from content.permissions import get_claim_for_user
from content.roles import is_compliance
from review import audit
from review.audit import anchor
from review.audit.names import named, names_for
from review.models import AuditEvent, AuditVerification, Channel, Publication

PAGE_SIZE = 50
FILTERS = ("claim", "article", "actor", "channel", "type", "since", "until")
# Common event type prefixes offered in the filter (any type or prefix can be typed).
TYPE_HINTS = (
    "claim",
    "claim.created",
    "claim.revised",
    "claim.status",
    "review.created",
    "review.refused",
    "signature.created",
    "publication",
    "channel",
    "auth.login",
    "auth.login_failed",
)


@dataclass
class ChangeRow:
    field: str
    old: Any
    new: Any
    diff: list[diffing.Piece] | None = None


@dataclass
class Entry:
    event: AuditEvent
    rows: list[ChangeRow] = field(default_factory=list)
    signature: dict[str, Any] | None = None


def entries(events: list[AuditEvent]) -> list[Entry]:
    """What each event changed, ready to render: long text changes as word diffs, signatures spelled out."""
    result = []
    labels = names_for(events)  # one query per related model for the whole page
    for event in events:
        entry = Entry(event)
        for name, pair in (event.changes or {}).items():
            old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
            old, new = named(event, name, old, labels), named(event, name, new, labels)
            diff = None
            if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > 40:
                diff = diffing.word_diff(old, new)
            entry.rows.append(ChangeRow(name, old, new, diff))
        if event.object_type == "signature" and event.type == "signature.created":
            new_values = {k: v[1] for k, v in event.changes.items() if isinstance(v, list) and len(v) == 2}
            entry.signature = {
                "printed_name": new_values.get("printed_name", ""),
                "signed_at": new_values.get("signed_at", ""),
                "meaning": new_values.get("meaning", ""),
                "claim_version": new_values.get("claim_version"),
            }
        result.append(entry)
    return result


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@use_replica
@require_GET
@login_required
def timeline(request: HttpRequest) -> HttpResponse:
    """Every event across all records, newest first, with the filters of the API and exports."""
    if not is_compliance(request.user):
        raise NotAllowed("The audit trail is for compliance staff.")
    try:
        events = audit.filter_events(request.GET)
    except audit.FilterError as exc:
        return error_page(request, 400, str(exc), title="Bad filter")
    events = events.select_related("actor").reverse()  # newest first
    page = Paginator(audit.page_ids(events), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "review/compliance_timeline.html",
        {
            "page": page,
            "entries": entries(audit.rows_of(events, page.object_list)),
            "filters": {name: request.GET.get(name, "") for name in FILTERS},
            "channels": Channel.objects.only("slug", "name").order_by("name"),
            "type_hints": TYPE_HINTS,
            "querystring": _querystring(request),
        },
    )


@use_replica
@require_GET
@login_required
def as_of(request: HttpRequest) -> HttpResponse:
    """A claim, an article or a channel feed as it stood at a chosen moment."""
    if not is_compliance(request.user):
        raise NotAllowed("The audit trail is for compliance staff.")
    kind = request.GET.get("what", "claim")
    ident = request.GET.get("id", "").strip()
    at_text = request.GET.get("at", "").strip()
    context: dict[str, Any] = {"what": kind, "ident": ident, "at_text": at_text, "channels": Channel.objects.all()}
    if not ident or not at_text:
        return render(request, "review/compliance_as_of.html", context)
    try:
        at = audit.parse_moment(at_text, end_of_day=True)
    except audit.FilterError as exc:
        return error_page(request, 400, str(exc), title="Bad filter")
    context["at"] = at
    snapshot: Any = None
    if kind == "channel":
        channel = Channel.objects.filter(pk=int(ident)).first() if is_id(ident) else None
        channel = channel or Channel.objects.filter(slug=ident).first()
        snapshot = audit.channel_feed_as_of(channel.pk, at) if channel else None
    elif kind in ("claim", "article") and is_id(ident):
        snapshot = (audit.claim_as_of if kind == "claim" else audit.article_as_of)(int(ident), at)
    elif kind not in ("claim", "article"):
        return error_page(request, 400, "Choose a claim, an article or a channel.", title="Bad filter")
    context["snapshot"] = snapshot
    return render(request, "review/compliance_as_of.html", context, status=200 if snapshot else 404)


@use_replica
@require_GET
@login_required
def dossier(request: HttpRequest, pk: int) -> HttpResponse:
    """One printable page: every version, review, signature, publication and event of a claim."""
    if not is_compliance(request.user):
        raise NotAllowed("The audit trail is for compliance staff.")
    claim = get_claim_for_user(request.user, pk)
    events = list(AuditEvent.objects.filter(claim_id=claim.pk).select_related("actor").order_by("id"))
    return render(
        request,
        "review/compliance_dossier.html",
        {
            "claim": claim,
            "versions": list(claim.versions.select_related("changed_by").order_by("version")),  # type: ignore[attr-defined]
            "reviews": list(claim.reviews.for_list().order_by("created_at")),  # type: ignore[attr-defined]
            "publications": list(
                Publication.objects.filter(claim=claim)
                .select_related("channel", "published_by", "withdrawn_by")
                .order_by("published_at")
            ),
            "entries": entries(events),
            "printed_at": timezone.now(),
        },
    )


def _integrity_context() -> dict[str, Any]:
    runs = list(AuditVerification.objects.select_related("run_by")[:20])
    return {
        "last": runs[0] if runs else None,
        "runs": runs,
        "event_count": AuditEvent.objects.count(),
        "anchor_problem": anchor.state(),
    }


@require_GET
@login_required
def integrity(request: HttpRequest) -> HttpResponse:
    if not is_compliance(request.user):
        raise NotAllowed("The audit trail is for compliance staff.")
    return render(request, "review/compliance_integrity.html", _integrity_context())


@require_POST
@login_required
def run_verify(request: HttpRequest) -> HttpResponse:
    """Verify the chain. An htmx request gets the updated panel back; a plain form post is redirected."""
    if not is_compliance(request.user):
        raise NotAllowed("The audit trail is for compliance staff.")
    result, _ = audit.run_verification(request.user)
    if getattr(request, "htmx", False):
        return render(request, "review/compliance_integrity_panel.html", _integrity_context())
    if result.ok:
        messages.success(request, f"The audit trail is intact: {result.events_checked} events checked.")
    else:
        messages.error(request, f"The audit trail is BROKEN: {result.detail}")
    return redirect("compliance_integrity")
