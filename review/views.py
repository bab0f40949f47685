"""Reviewer pages: the queue, the claim page and the review form."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.errors import error_page
from content import diffing
from content.evidence import cited_as_signed
from content.exceptions import InvalidTransition, NotAllowed, StaleVersion
from content.limits import is_id
from content.models import Claim, ClaimStatus
from content.permissions import get_claim_for_user, visible_articles
from content.roles import is_reviewer
from review import signing
from review.actions import ReviewInput, submit_review
from review.discussion.views import discussion_context
from review.forms import QueueFilterForm, ReviewForm
from review.models import (
    SIGNED_DECISIONS,
    ClaimOpen,
    Decision,
    EvidenceGrade,
    NuanceTag,
    Review,
    ReviewRefused,
    once_each,
)
from review.operations.views import assignment_context
from review.permissions import available_actions, can_sign
from review.queue import next_in_queue, queue_queryset, status_counts

QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueRow:
    """One row of the queue page, worked out in Python so that the template only prints it.

    With the template's own tags and filters ({% url %}, truncatechars, date, timesince) a row
    cost ~250 µs, and 50 rows a third of the page; done here, once per page where
    they can be, they cost a fraction of that.
    """

    claim: Claim
    url: str
    text: str
    article: str
    submitted: str  # ISO 8601 in the current time zone, as the `date:"c"` filter writes it
    waiting: str
    open_by: list[str]


def _truncate(text: str, length: int) -> str:
    """Django's truncatechars, minus its character-by-character walk when the text fits (most claims)."""
    if len(text) <= length and unicodedata.is_normalized("NFC", text):
        return text
    return Truncator(text).chars(length)


def _queue_rows(claims: list[Claim], opened: dict[int, list[str]]) -> list[QueueRow]:
    now = timezone.now()
    # One reverse() per page, not per row: the review links differ only in the claim id.
    link = reverse("claim_review", args=[0]).replace("/0/", "/{}/")
    titles = {a.pk: _truncate(a.title, 40) for a in {c.article for c in claims}}
    rows = []
    for c in claims:
        at = c.submitted_at
        rows.append(
            QueueRow(
                claim=c,
                url=link.format(c.pk),
                text=_truncate(c.text, 110),
                article=titles[c.article_id],
                submitted=timezone.localtime(at).isoformat() if at else "",
                waiting=timesince(at, now) if at else "",
                open_by=opened.get(c.pk, []),
            )
        )
    return rows


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    if not is_reviewer(request.user):
        raise NotAllowed("The review queue is for medical reviewers.")
    filters = QueueFilterForm(request.GET)
    filters.is_valid()  # Invalid filters are shown as errors and left out; the valid ones still apply.
    chosen = filters.cleaned_data
    counts = status_counts(request.user)
    # Only the columns the rows show: the article's title, not its whole source text (a
    # select_related would read ~10 kB per row), and no section, author or citations.
    listed = (
        queue_queryset(request.user, chosen)
        .prefetch_related(None)
        .select_related(None)
        .select_related("article")
        .only("text", "version", "approvals_needed", "submitted_at", "article__title")
    )
    paginator = Paginator(listed, QUEUE_PAGE_SIZE)
    if not filters.narrows():
        # Unfiltered, the queue is every in-review claim this user sees: the status counts
        # above already hold its length, so the paginator needs no COUNT of its own.
        paginator.count = next(n for value, _, n in counts if value == ClaimStatus.IN_REVIEW)
    page = paginator.get_page(request.GET.get("page"))
    claims = list(page.object_list)
    opened = ClaimOpen.open_by_others(claims, request.user)
    # The article filter offers the articles on this page and the one filtered on: a list of
    # every article would grow with the data (1,000 options at 100k claims, most of the render).
    offered = Q(pk__in={c.article_id for c in claims})
    if chosen.get("article"):
        offered |= Q(pk=chosen["article"])
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "review/queue.html",
        {
            "claims": claims,
            "rows": _queue_rows(claims, opened),
            "opened": opened,
            "page": page,
            "query": query.urlencode(),
            "filters": filters,
            "counts": counts,
            "articles": visible_articles(request.user).filter(offered).only("id", "title").order_by("title"),
            "grades": EvidenceGrade.choices,
            "tags": NuanceTag.objects.order_by("name").only("slug", "name"),
            "ages": [(1, "1 day"), (7, "7 days"), (30, "30 days")],
        },
        status=400 if filters.errors else 200,
    )


def _claim_context(request: HttpRequest, claim: Claim) -> dict[str, Any]:
    """The claim in its article (section, neighbours), citations, reviews, diff and signing progress."""
    user: Any = request.user
    reviews = list(claim.reviews.for_list().order_by("created_at", "id"))  # type: ignore[attr-defined]
    live = claim.article.claims.live()
    before = live.filter(position__lt=claim.position).select_related("section").order_by("-position").first()
    after = live.filter(position__gt=claim.position).select_related("section").order_by("position").first()
    # Diff against the last earlier version this reviewer reviewed, else anyone's.
    reviewed = [r for r in reviews if r.version < claim.version]
    mine = [r for r in reviewed if r.reviewer_id == user.pk]
    base_version = (mine or reviewed)[-1].version if (mine or reviewed) else None
    diff = None
    if base_version is not None:
        base = claim.versions.filter(version=base_version).only("text").first()
        if base is not None:
            diff = diffing.word_diff(base.text, claim.text)
    current = [r for r in reviews if r.version == claim.version]
    # Signatures from an earlier round (before a cited work was retracted) stay listed but do not count.
    approvals = [r for r in current if r.decision == Decision.APPROVE and r.round == claim.review_round]
    # What channels would append to this version: the wording its counting approvals signed.
    required_wording = once_each(w for r in approvals for w in r.signed_wording)
    return {
        "claim": claim,
        "reviews": reviews,
        "before": before,
        "after": after,
        # The version's snapshot, not the live rows: what its hash and its signatures cover.
        "citations": cited_as_signed(claim.pk, claim.version),
        "diff": diff,
        "diff_base": base_version,
        "approvals": approvals,
        "signed_by_me": any(r.reviewer_id == user.pk for r in approvals),
        "required_wording": required_wording,
        "actions": available_actions(claim, user),
        "opened_by": ClaimOpen.open_by_others([claim], user).get(claim.pk, []),
        **discussion_context(claim, user),
    }


@require_GET
@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    context = _claim_context(request, claim) | assignment_context(claim, request.user)
    return render(request, "review/claim_detail.html", context)


def _kept_form(claim: Claim, data: dict[str, Any]) -> ReviewForm:
    """A fresh form with what the reviewer entered (never the password), set to the current version."""
    kept = {k: v for k, v in data.items() if k not in {"password", "version"}}
    return ReviewForm(initial={**kept, "version": claim.version})


@require_http_methods(["GET", "POST"])
@login_required
def claim_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a review: approve and reject are e-signatures (password + meaning); request changes is not.

    GET changes nothing (the page's script posts the "open" mark to
    `claim_review_open`). A POST that meets a claim that moved on (another
    reviewer, a revision) re-renders with a 409 and keeps what the reviewer
    wrote, so nothing is lost.
    """
    claim = get_claim_for_user(request.user, pk)
    if not is_reviewer(request.user):
        raise NotAllowed("Only medical reviewers review claims.")
    if request.method == "GET" and claim.status != ClaimStatus.IN_REVIEW:
        return error_page(
            request,
            409,
            f"Claim #{claim.pk} is {claim.get_status_display().lower()}; there is nothing to review.",
            title="Not in review",
        )
    form = ReviewForm(request.POST or None, initial={"version": claim.version})
    status, conflict = 200, ""
    if request.method == "GET":
        pass  # showing the page changes nothing; see claim_review_open
    elif not form.is_valid():
        status = 400
        if claim.status != ClaimStatus.IN_REVIEW:
            # The state is the real problem: say so (409) and keep what they wrote on the page.
            conflict, status = str(InvalidTransition("review", claim.status)), 409
    else:
        data = form.cleaned_data
        try:
            review = submit_review(
                claim=claim,
                reviewer=request.user,
                submitted=ReviewInput.of(data),
                user_id_required=signing.user_id_required(request),
            )
        except ReviewRefused as exc:
            form.add_error("password" if exc.kind == "wrong_password" else None, str(exc))
            status = 403
        except (InvalidTransition, StaleVersion) as exc:
            claim = get_claim_for_user(request.user, pk)
            conflict, status = str(exc), 409
            form = _kept_form(claim, data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            status = 400
        else:
            if review.decision in SIGNED_DECISIONS:
                signing.remember_signed(request)
            ClaimOpen.close(claim, request.user)
            messages.success(request, _recorded_message(review))
            nxt = next_in_queue(request.user, claim)
            return redirect("claim_review", pk=nxt.pk) if nxt else redirect("review_queue")
    context = _claim_context(request, claim) | {
        "form": form,
        "conflict": conflict,
        "may_sign": can_sign(claim, request.user),
        "ask_user_id": signing.user_id_required(request),
        "kept_note": form["nuance_note"].value() if conflict else "",
    }
    return render(request, "review/claim_review.html", context, status=status)


@require_POST
@login_required
def claim_review_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the claim as open by this reviewer (204), so others see it in the queue.

    A POST, never part of the GET that shows the page: a page on another site can
    make a browser GET anything, but cannot POST past the CSRF check. review.js
    posts it when the review page loads; without JavaScript nobody is marked,
    which only loses the "also open by" hint.
    """
    claim = get_claim_for_user(request.user, pk)
    if not is_reviewer(request.user):
        raise NotAllowed("Only medical reviewers review claims.")
    if claim.status != ClaimStatus.IN_REVIEW:
        raise InvalidTransition("open", claim.status)
    ClaimOpen.touch(claim, request.user)
    return HttpResponse(status=204)


def _recorded_message(review: Review) -> str:
    claim = review.claim
    if review.decision == Decision.APPROVE and claim.status == ClaimStatus.IN_REVIEW:
        signed = Review.objects.counting(claim).count()
        return (
            f"Signed claim #{claim.pk} v{review.version}: {signed} of {claim.approvals_needed} signatures; "
            "it needs another reviewer."
        )
    return f"Recorded: {review.get_decision_display()} on claim #{claim.pk} v{review.version}."


@require_GET
@login_required
def next_claim(request: HttpRequest) -> HttpResponse:
    """The "next claim" shortcut: the oldest other claim waiting for this reviewer, else the queue."""
    if not is_reviewer(request.user):
        raise NotAllowed("The review queue is for medical reviewers.")
    after_id = request.GET.get("after", "")
    if is_id(after_id):
        nxt = next_in_queue(request.user, get_claim_for_user(request.user, int(after_id)))
    else:
        waiting = queue_queryset(request.user, {}).filter(signed_by_me=False)  # type: ignore[misc]
        nxt = waiting.first()
    if nxt is None:
        messages.info(request, "No other claim is waiting for your review.")
        return redirect("review_queue")
    return redirect("claim_review", pk=nxt.pk)
