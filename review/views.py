"""Reviewer pages: home, queue, the claim page and the review form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from content import diffing
from content.models import Claim, ClaimStatus
from content.permissions import get_claim_for_user, visible_articles, visible_claims
from review.forms import ReviewForm
from review.models import ClaimOpen, ReviewRefused, record_review
from review.permissions import available_actions, is_reviewer


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """My open work first."""
    user: Any = request.user
    claims = visible_claims(user)
    context = {
        "my_articles": visible_articles(user).filter(owner=user).order_by("-created_at")[:20],
        "needs_me": claims.filter(article__owner=user, status=ClaimStatus.CHANGES_REQUESTED)
        .select_related("article")
        .order_by("position")[:50],
        "queue_count": claims.filter(status=ClaimStatus.IN_REVIEW).count() if is_reviewer(user) else None,
        "status_counts": dict(claims.values_list("status").annotate(n=Count("id")).order_by()),
    }
    return render(request, "review/home.html", context)


def queue_queryset(user: object, params: dict[str, str]) -> QuerySet[Claim]:
    """In-review claims, oldest submission first, with the filters the queue offers."""
    qs = visible_claims(user).filter(status=ClaimStatus.IN_REVIEW).for_list().order_by("submitted_at", "id")
    if params.get("article", "").isdigit():
        qs = qs.filter(article_id=int(params["article"]))
    if params.get("tag"):
        qs = qs.filter(reviews__nuance_tags__slug=params["tag"]).distinct()
    if params.get("grade"):
        qs = qs.filter(reviews__evidence_grade=params["grade"]).distinct()
    if params.get("older_than_days", "").isdigit():
        qs = qs.filter(submitted_at__lte=timezone.now() - timedelta(days=int(params["older_than_days"])))
    return qs


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    if not is_reviewer(request.user):
        return render(
            request, "error.html", {"title": "Not allowed", "message": "The queue is for reviewers."}, status=403
        )
    claims = list(queue_queryset(request.user, request.GET.dict())[:200])
    fresh = timezone.now() - ClaimOpen.FRESH_FOR
    opened: dict[int, list[str]] = {}
    for row in (
        ClaimOpen.objects.filter(claim__in=claims, opened_at__gte=fresh)
        .exclude(user=request.user.pk)
        .select_related("user")
    ):
        opened.setdefault(row.claim_id, []).append(row.user.get_full_name() or row.user.get_username())
    counts = dict(visible_claims(request.user).values_list("status").annotate(n=Count("id")).order_by())
    return render(
        request,
        "review/queue.html",
        {
            "claims": claims,
            "opened": opened,
            "counts": counts,
            "articles": visible_articles(request.user).only("id", "title"),
        },
    )


def _claim_context(request: HttpRequest, claim: Claim) -> dict[str, object]:
    reviews = list(claim.reviews.for_list().order_by("created_at"))  # type: ignore[attr-defined]
    versions = list(claim.versions.select_related("changed_by").order_by("version"))
    neighbours = list(
        claim.article.claims.live().filter(position__in=[claim.position - 1, claim.position + 1]).order_by("position")
    )
    # Diff against the last version this reviewer reviewed, else anyone's.
    reviewed = [r for r in reviews if r.version < claim.version]
    mine = [r for r in reviewed if r.reviewer_id == request.user.pk]
    base_version = (mine or reviewed)[-1].version if (mine or reviewed) else None
    by_number = {v.version: v for v in versions}
    diff = diffing.word_diff(by_number[base_version].text, claim.text) if base_version in by_number else None
    return {
        "claim": claim,
        "reviews": reviews,
        "versions": versions,
        "before": [n for n in neighbours if n.position < claim.position],
        "after": [n for n in neighbours if n.position > claim.position],
        "citations": list(claim.citations.all()),
        "diff": diff,
        "diff_base": base_version,
        "actions": available_actions(claim, request.user),
    }


@require_GET
@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    return render(request, "review/claim_detail.html", _claim_context(request, claim))


@require_http_methods(["GET", "POST"])
@login_required
def claim_review(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    if "review" not in available_actions(claim, request.user):
        if not is_reviewer(request.user):
            return render(
                request,
                "error.html",
                {"title": "Not allowed", "message": "Only medical reviewers review claims."},
                status=403,
            )
        return render(
            request,
            "error.html",
            {
                "title": "Not in review",
                "message": f"This claim is {claim.get_status_display().lower()}; there is nothing to review.",
            },
            status=409,
        )
    form = ReviewForm(request.POST or None, initial={"version": claim.version})
    if request.method == "GET":
        ClaimOpen.touch(claim, request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = record_review(
                claim=claim,
                version=data["version"],
                reviewer=request.user,
                decision=data["decision"],
                evidence_grade=data["evidence_grade"],
                evidence_type=data["evidence_type"],
                nuance_tags=list(data["nuance_tags"]),
                nuance_note=data["nuance_note"],
                password=data["password"],
                signature_meaning=data["signature_meaning"],
            )
        except ReviewRefused as exc:
            form.add_error("password" if exc.kind != "separation_of_duties" else None, str(exc))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            ClaimOpen.objects.filter(claim=claim, user=request.user.pk).delete()
            messages.success(request, f"Recorded: {review.get_decision_display()} on v{review.version}.")
            nxt = _next_in_queue(request, claim)
            return redirect("claim_review", pk=nxt.pk) if nxt else redirect("review_queue")
    context = _claim_context(request, claim) | {"form": form}
    return render(request, "review/claim_review.html", context, status=400 if form.errors else 200)


def _next_in_queue(request: HttpRequest, after: Claim) -> Claim | None:
    return (
        queue_queryset(request.user, {})
        .exclude(pk=after.pk)
        .exclude(reviews__reviewer=request.user.pk, reviews__version=F("version"))
        .first()
    )
