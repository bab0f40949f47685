"""Reviewer pages: home, queue, the claim page and the review form."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET, require_http_methods

from content import diffing
from content.context_processors import roles
from content.flagging import with_risk  # triage (issue 8)
from content.models import Claim, ClaimStatus, InvalidTransition, StaleVersion
from content.permissions import get_claim_for_user, visible_articles, visible_claims
from review import dashboard
from review.forms import QueueFilterForm, ReviewForm
from review.models import ClaimOpen, Decision, EvidenceGrade, NuanceTag, Review, ReviewRefused, record_review
from review.permissions import available_actions, can_sign, is_reviewer

QUEUE_PAGE_SIZE = 50


def _status_counts(user: Any) -> list[tuple[str, str, int]]:
    # COUNT(*), not COUNT(id): PostgreSQL then answers from the (status, submitted_at) index
    # alone (an index-only scan, 27 ms at 100k claims) instead of reading every row (68 ms).
    counts = dict(visible_claims(user).values_list("status").annotate(n=Count("*")).order_by())
    return [(s.value, s.label, counts.get(s.value, 0)) for s in ClaimStatus]


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each person's open work first, then (for reviewers and compliance) the charts.

    A person with several roles gets every section that applies. An htmx request
    for another chart period gets only the charts back.
    """
    user: Any = request.user
    role = roles(request).get("role", {})
    weeks = dashboard.parse_weeks(request.GET.get("weeks"))
    context: dict[str, Any] = {"weeks": weeks, "periods": dashboard.PERIODS}
    now = timezone.now()
    # Read once for both the re-review list and the chart of what falls due.
    sees_due = role.get("reviewer") or role.get("publisher") or role.get("compliance")
    due = dashboard.upcoming_due(user, now) if sees_due else []
    if role.get("reviewer") or role.get("compliance"):
        context["figures"] = dashboard.figures(user, weeks, now, due)
        if getattr(request, "htmx", False):  # set by django_htmx.middleware.HtmxMiddleware
            return render(request, "review/home_charts.html", context)
    if role.get("author"):
        context |= dashboard.author_work(user)
    if role.get("reviewer"):
        context |= dashboard.queue_work(queue_queryset(user, {}))
    if role.get("reviewer") or role.get("publisher"):
        context |= dashboard.due_work(due, now)
    if role.get("publisher"):
        context |= dashboard.publisher_work(user)
    if role.get("compliance"):
        context |= dashboard.compliance_state()
    return render(request, "review/home.html", context)


def queue_queryset(user: Any, filters: dict[str, Any]) -> QuerySet[Claim]:
    """In-review claims, oldest submission first, with the queue's (already validated) filters.

    Each claim carries `approvals` (signatures on its current version) and
    `signed_by_me`, as subqueries, so the list costs the same for 2 or 200 rows.
    Grade and tag filters match the latest review of the current version (and review round).
    """
    approvals_of_current = (
        Review.objects.approvals()
        .filter(claim=OuterRef("pk"), version=OuterRef("version"), round=OuterRef("review_round"))
        .order_by()
        .values("claim")
        .annotate(n=Count("id"))
        .values("n")
    )
    mine = Review.objects.approvals().filter(
        claim=OuterRef("pk"), version=OuterRef("version"), round=OuterRef("review_round"), reviewer=user.pk
    )
    qs: QuerySet[Claim] = (
        visible_claims(user)
        .filter(status=ClaimStatus.IN_REVIEW)
        .for_list()
        .annotate(
            approvals=Coalesce(Subquery(approvals_of_current, output_field=IntegerField()), 0),
            signed_by_me=Exists(mine),
        )
        .order_by("submitted_at", "id")
    )
    if filters.get("article"):
        qs = qs.filter(article_id=filters["article"])
    if filters.get("grade") or filters.get("tag"):
        # Grade and tag describe the claim as it stands: the latest review of its current version in
        # its current round, not any review it ever had (v1's "low" says nothing about v2).
        latest = (
            Review.objects.filter(claim=OuterRef("pk"), version=OuterRef("version"), round=OuterRef("review_round"))
            .order_by("-created_at", "-id")
            .values("id")[:1]
        )
        qs = qs.annotate(latest_review=Subquery(latest))
    if filters.get("grade"):
        qs = qs.filter(Exists(Review.objects.filter(pk=OuterRef("latest_review"), evidence_grade=filters["grade"])))
    if filters.get("tag"):
        qs = qs.filter(Exists(Review.objects.filter(pk=OuterRef("latest_review"), nuance_tags__slug=filters["tag"])))
    if filters.get("older_than_days") is not None:
        qs = qs.filter(submitted_at__lte=timezone.now() - timedelta(days=filters["older_than_days"]))
    # triage (issue 8): `risk` counts open flags on the current version (a subquery); ?sort=risk orders by it.
    qs = with_risk(qs)
    if filters.get("sort") == "risk":
        qs = qs.order_by(F("risk").desc(), "submitted_at", "id")
    return qs


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "error.html", {"title": "Not allowed", "message": message}, status=403)


@dataclass(frozen=True)
class QueueRow:
    """One row of the queue page, worked out in Python so that the template only prints it.

    With the template's own tags and filters ({% url %}, truncatechars, date, timesince) a row
    cost ~250 µs, and 50 rows a third of the page (issue 6); done here, once per page where
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
        return _forbidden(request, "The review queue is for medical reviewers.")
    filters = QueueFilterForm(request.GET)
    filters.is_valid()  # Invalid filters are shown as errors and left out; the valid ones still apply.
    chosen = filters.cleaned_data
    counts = _status_counts(request.user)
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
    required_wording = {
        t.pk: t for r in reviews if r.version == claim.version for t in r.nuance_tags.all() if t.required_wording
    }
    return {
        "claim": claim,
        "reviews": reviews,
        "before": before,
        "after": after,
        "citations": list(claim.citations.all()),
        "diff": diff,
        "diff_base": base_version,
        "approvals": approvals,
        "signed_by_me": any(r.reviewer_id == user.pk for r in approvals),
        "required_wording": list(required_wording.values()),
        "actions": available_actions(claim, user),
        "opened_by": ClaimOpen.open_by_others([claim], user).get(claim.pk, []),
    }


@require_GET
@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    return render(request, "review/claim_detail.html", _claim_context(request, claim))


def _kept_form(claim: Claim, data: dict[str, Any]) -> ReviewForm:
    """A fresh form with what the reviewer entered (never the password), set to the current version."""
    kept = {k: v for k, v in data.items() if k not in {"password", "version"}}
    return ReviewForm(initial={**kept, "version": claim.version})


@require_http_methods(["GET", "POST"])
@login_required
def claim_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a review: approve and reject are e-signatures (password + meaning); request changes is not.

    GET marks the claim as open by this reviewer. A POST that meets a claim
    that moved on (another reviewer, a revision) re-renders with a 409 and
    keeps what the reviewer wrote, so nothing is lost.
    """
    claim = get_claim_for_user(request.user, pk)
    if not is_reviewer(request.user):
        return _forbidden(request, "Only medical reviewers review claims.")
    if request.method == "GET" and claim.status != ClaimStatus.IN_REVIEW:
        return render(
            request,
            "error.html",
            {
                "title": "Not in review",
                "message": f"Claim #{claim.pk} is {claim.get_status_display().lower()}; there is nothing to review.",
            },
            status=409,
        )
    form = ReviewForm(request.POST or None, initial={"version": claim.version})
    status, conflict = 200, ""
    if request.method == "GET":
        ClaimOpen.touch(claim, request.user)
    elif not form.is_valid():
        status = 400
        if claim.status != ClaimStatus.IN_REVIEW:
            # The state is the real problem: say so (409) and keep what they wrote on the page.
            conflict, status = str(InvalidTransition("review", claim.status)), 409
    else:
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
            ClaimOpen.close(claim, request.user)
            messages.success(request, _recorded_message(review))
            nxt = _next_in_queue(request, claim)
            return redirect("claim_review", pk=nxt.pk) if nxt else redirect("review_queue")
    context = _claim_context(request, claim) | {
        "form": form,
        "conflict": conflict,
        "may_sign": can_sign(claim, request.user),
        "kept_note": form["nuance_note"].value() if conflict else "",
    }
    return render(request, "review/claim_review.html", context, status=status)


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
        return _forbidden(request, "The review queue is for medical reviewers.")
    after_id = request.GET.get("after", "")
    if after_id.isdigit():
        nxt = _next_in_queue(request, get_claim_for_user(request.user, int(after_id)))
    else:
        waiting = queue_queryset(request.user, {}).filter(signed_by_me=False)  # type: ignore[misc]
        nxt = waiting.first()
    if nxt is None:
        messages.info(request, "No other claim is waiting for your review.")
        return redirect("review_queue")
    return redirect("claim_review", pk=nxt.pk)


def _next_in_queue(request: HttpRequest, after: Claim) -> Claim | None:
    """The oldest other claim waiting that this reviewer has not already signed."""
    signed = (
        Review.objects.approvals()
        .filter(reviewer=request.user.pk, version=F("claim__version"), round=F("claim__review_round"))
        .values("claim")
    )
    return queue_queryset(request.user, {}).exclude(pk=after.pk).exclude(pk__in=signed).first()
