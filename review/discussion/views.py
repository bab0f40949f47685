"""The discussion beside a claim's text (claim and review pages): what it shows and its form posts.

Each post goes through the same verb as the API, then back to the page it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import back, error_page, refusal_page
from content import roles
from content.models import Claim
from content.permissions import get_claim_for_user
from review.discussion import actions
from review.discussion.forms import CommentForm, DeclineForm, SuggestionForm, form_problems
from review.models import Comment, SignatureMeaning, Suggestion, SuggestionStatus
from review.permissions import get_comment_for_user, get_suggestion_for_user


@dataclass(frozen=True)
class Piece:
    text: str
    marked: bool


def pieces(text: str, spans: list[tuple[int, int]]) -> list[Piece]:
    """The text cut where commented spans start and end, each piece marked when a span covers it."""
    edges = sorted({0, len(text), *(e for span in spans for e in span if 0 <= e <= len(text))})
    return [Piece(text[a:b], any(s <= a and b <= e for s, e in spans)) for a, b in pairwise(edges) if a < b]


def discussion_context(claim: Claim, user: Any) -> dict[str, Any]:
    """The current version's threads (replies in them) and the claim's suggestions, for the pages."""
    threads = list(
        Comment.objects.threads()
        .filter(claim=claim, claim_version=claim.version)
        .select_related("author", "resolved_by")
        .prefetch_related("replies__author")
        .order_by("start", "created_at", "id")
    )
    suggestions = list(Suggestion.objects.filter(claim=claim).select_related("by").order_by("-created_at", "-id")[:20])
    spans = [(t.start, t.end) for t in threads if t.is_open and t.start is not None and t.end is not None]
    return {
        "discussion": {
            "pieces": pieces(claim.text, spans),
            "threads": threads,
            "suggestions": suggestions,
            "open_suggestions": [s for s in suggestions if s.status == SuggestionStatus.OPEN],
            "may_comment": roles.may_comment(user, claim),
            "may_suggest": roles.is_reviewer(user),
            "may_decide": roles.can_edit_claim(user, claim),
            "meaning": SignatureMeaning.ACCURATE,
            "length": len(claim.text),
        }
    }


def _back(request: HttpRequest, claim_id: int) -> HttpResponse:
    return back(request, reverse("claim_detail", args=[claim_id]) + "#discussion")


def _bad(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    page = refusal_page(request, exc)
    assert page is not None
    return page


@require_POST
@login_required
def comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return error_page(request, 400, form_problems(form))
    try:
        actions.comment(claim=claim, by=request.user, **form.action_kwargs())
    except ValidationError as exc:
        return _bad(request, exc)
    return _back(request, claim.pk)


@require_POST
@login_required
def comment_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_comment_for_user(request.user, pk)
    thread.resolve(by=request.user)
    return _back(request, thread.claim_id)


@require_POST
@login_required
def suggestion_create(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    form = SuggestionForm(request.POST)
    if not form.is_valid():
        return error_page(request, 400, form_problems(form))
    data = form.cleaned_data
    sign = None
    if data["sign"]:
        sign = actions.Signing(
            password=data["password"],
            signature_meaning=SignatureMeaning.ACCURATE.value,
            evidence_grade=data["evidence_grade"],
        )
    try:
        actions.suggest(
            claim=claim,
            by=request.user,
            version=data["version"],
            start=data["start"],
            end=data["end"],
            text=data["text"],
            sign=sign,
        )
    except ValidationError as exc:
        return _bad(request, exc)
    messages.success(
        request,
        "Suggestion signed: it approves the claim if the author accepts it unchanged."
        if sign
        else "Suggestion sent to the author.",
    )
    return _back(request, claim.pk)


@require_POST
@login_required
def suggestion_accept(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = get_suggestion_for_user(request.user, pk)
    claim = actions.accept(suggestion=suggestion, by=request.user)
    messages.success(
        request, f"Accepted: claim #{claim.pk} is now v{claim.version}, {claim.get_status_display().lower()}."
    )
    return _back(request, claim.pk)


@require_POST
@login_required
def suggestion_decline(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = get_suggestion_for_user(request.user, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return error_page(request, 400, form_problems(form))
    try:
        suggestion.decline(by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        return _bad(request, exc)
    return _back(request, suggestion.claim_id)
