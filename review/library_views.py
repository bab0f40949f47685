"""Triage and the claims library (issue 8): the library page, cited-work pages, and the reviewer's actions.

Who may do what:
- the library (approved claims) and cited works: anyone who reads claims
  (authors, reviewers, publishers, compliance). Approved wording is the
  organisation's vetted vocabulary, meant for reuse across articles; drafts
  and claims in review stay visible only through content.permissions.
- dismiss a risk flag: medical reviewers (with a reason, kept in history).
- mark a cited work retracted/superseded: medical reviewers; the claims citing
  it are flagged and go back to review (review.retraction).
- link a claim to an exactly matching approved claim: the article's author or a reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from content.evidence import MARKABLE, may_mark
from content.library import link_to_approved, search_filter
from content.models import (
    Claim,
    ClaimFlag,
    ClaimLink,
    ClaimStatus,
    InvalidTransition,
    LibraryMatch,
    NotAllowed,
    Reference,
    ReferenceStatus,
)
from content.permissions import get_claim_for_user, visible_claims
from review.models import GRADE_RANK, EvidenceGrade, Publication, Review
from review.retraction import retract_reference, withdrawal_reason

PAGE_SIZE = 50
READS_CLAIMS = "content.view_claim"


def reads_claims(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(READS_CLAIMS))


def _refuse(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def _refusal(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The same mapping as the API: bad input 400, wrong person 403, wrong state 409."""
    if isinstance(exc, ValidationError):
        message = " ".join(m for ms in getattr(exc, "message_dict", {"": exc.messages}).values() for m in ms)
        return _refuse(request, 400, "Not saved", message)
    if isinstance(exc, InvalidTransition):
        return _refuse(request, 409, "Not possible now", str(exc))
    return _refuse(request, 403, "Not allowed", str(exc) or "Not allowed.")


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


# --- The library ------------------------------------------------------------------------------------------------


@dataclass
class LibraryEntry:
    claim: Claim
    version: int
    text: str
    evidence_grade: str
    evidence_grade_label: str
    tags: list[tuple[str, str]]  # (slug, name)
    channels: list[tuple[str, str]]  # (slug, name)
    used_in: list[tuple[int, str]]  # (article id, title)


def library_queryset(q: str = "") -> QuerySet[Claim]:
    """Approved claims with their approvals, live publications and reuses, in a fixed number of queries."""
    approvals = Review.objects.approvals().prefetch_related("nuance_tags").order_by("created_at", "id")
    live = Publication.objects.filter(withdrawn_at__isnull=True).select_related("channel").order_by("channel__name")
    reuses = ClaimLink.objects.select_related("claim__article").order_by("id")
    return (
        Claim.objects.filter(status=ClaimStatus.APPROVED)
        .filter(search_filter(q))
        .select_related("article")
        .prefetch_related(Prefetch("reviews", queryset=approvals, to_attr="approval_reviews"))
        .prefetch_related(Prefetch("publications", queryset=live, to_attr="live_publications"))
        .prefetch_related(Prefetch("reused_by", queryset=reuses, to_attr="reuses"))
        .order_by("-pk")
    )


def library_entry(claim: Claim) -> LibraryEntry:
    """One library row from a library_queryset() claim (no queries)."""
    # The approvals that approved it: its approved version, this review round (not those voided by a retraction).
    approvals = [
        r
        for r in claim.approval_reviews  # type: ignore[attr-defined]
        if r.version == claim.approved_version and r.round == claim.review_round
    ]
    # The weakest grade any signer gave: the library never claims more certainty than a reviewer did.
    grade = min((r.evidence_grade for r in approvals), key=lambda g: GRADE_RANK[EvidenceGrade(g)], default="")
    tags = {t.slug: t.name for r in approvals for t in r.nuance_tags.all()}
    channels = {p.channel.slug: p.channel.name for p in claim.live_publications}  # type: ignore[attr-defined]
    used_in = {claim.article_id: claim.article.title}
    for link in claim.reuses:  # type: ignore[attr-defined]
        used_in.setdefault(link.claim.article_id, link.claim.article.title)
    return LibraryEntry(
        claim=claim,
        version=claim.approved_version or claim.version,
        text=claim.text,
        evidence_grade=grade,
        evidence_grade_label=EvidenceGrade(grade).label if grade else "",
        tags=sorted(tags.items(), key=lambda item: item[1]),
        channels=sorted(channels.items(), key=lambda item: item[1]),
        used_in=list(used_in.items()),
    )


@require_GET
@login_required
def library(request: HttpRequest) -> HttpResponse:
    if not reads_claims(request.user):
        return _refuse(request, 403, "Not allowed", "The claims library is for authors, reviewers and publishers.")
    q = request.GET.get("q", "").strip()
    page = Paginator(library_queryset(q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "review/library.html",
        {
            "q": q,
            "page": page,
            "entries": [library_entry(c) for c in page.object_list],
            "reads_all": request.user.has_perm("content.view_all_articles"),
        },
    )


# --- Cited works ------------------------------------------------------------------------------------------------


class MarkReferenceForm(forms.Form):
    status = forms.ChoiceField(choices=[(s.value, s.label) for s in ReferenceStatus if s in MARKABLE])
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="E.g. the retraction notice, or the work that supersedes it.",
    )


@require_GET
@login_required
def reference_list(request: HttpRequest) -> HttpResponse:
    if not reads_claims(request.user):
        return _refuse(request, 403, "Not allowed", "Cited works are for authors, reviewers and publishers.")
    q = request.GET.get("q", "").strip()
    refs = Reference.objects.annotate(
        citing=Count("claims", filter=~Q(claims__status=ClaimStatus.RETIRED), distinct=True)
    ).order_by("status", "label")
    if q:
        refs = refs.filter(Q(label__icontains=q) | Q(title__icontains=q) | Q(doi__icontains=q))
    page = Paginator(refs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "review/library_references.html", {"q": q, "page": page})


def _get_reference(request: HttpRequest, pk: int) -> Reference:
    reference = Reference.objects.filter(pk=pk).first() if reads_claims(request.user) else None
    if reference is None:
        raise Http404("No such cited work.")
    return reference


def _reference_page(request: HttpRequest, reference: Reference, form: MarkReferenceForm, status: int) -> HttpResponse:
    """The work, and every claim citing it with the channels that carry it now (what a publisher must act on)."""
    live = Publication.objects.filter(withdrawn_at__isnull=True).select_related("channel").order_by("channel__name")
    # What a retraction took off the channels (review.retraction): the publisher re-publishes after re-approval.
    pulled = (
        Publication.objects.filter(withdrawn_at__isnull=False, withdraw_reason=withdrawal_reason(reference))
        .select_related("channel")
        .order_by("channel__name")
    )
    claims = list(
        visible_claims(request.user)
        .filter(citations=reference)
        .exclude(status=ClaimStatus.RETIRED)
        .select_related("article")
        .prefetch_related(
            Prefetch("publications", queryset=live, to_attr="live_publications"),
            Prefetch("publications", queryset=pulled, to_attr="withdrawn_publications"),
        )
        .order_by("article__title", "position")
    )
    return render(
        request,
        "review/library_reference.html",
        {
            "reference": reference,
            "claims": claims,
            "carried": sum(1 for c in claims if getattr(c, "live_publications", None)),
            "pulled": sum(1 for c in claims if getattr(c, "withdrawn_publications", None)),
            "form": form,
            "may_mark": may_mark(request.user) and reference.status == ReferenceStatus.ACTIVE,
        },
        status=status,
    )


@require_GET
@login_required
def reference_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reference = _get_reference(request, pk)
    return _reference_page(request, reference, MarkReferenceForm(), 200)


@require_POST
@login_required
def reference_mark(request: HttpRequest, pk: int) -> HttpResponse:
    reference = _get_reference(request, pk)
    if not may_mark(request.user):
        return _refuse(request, 403, "Not allowed", "Only medical reviewers mark cited works retracted or superseded.")
    form = MarkReferenceForm(request.POST)
    if not form.is_valid():
        return _reference_page(request, reference, form, 400)
    try:
        result = retract_reference(
            reference, status=form.cleaned_data["status"], reason=form.cleaned_data["reason"], by=request.user
        )
    except (ValidationError, NotAllowed, InvalidTransition) as exc:
        return _refusal(request, exc)
    messages.success(
        request,
        f"Marked {reference.label} {result.reference.status}: {len(result.flagged)} claims flagged, "
        f"{len(result.returned)} sent back to review, {len(result.withdrawn)} publications withdrawn.",
    )
    return redirect("library_reference", pk=reference.pk)


# --- Actions on a claim -----------------------------------------------------------------------------------------


@require_POST
@login_required
def flag_dismiss(request: HttpRequest, pk: int, flag_id: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    flag = ClaimFlag.objects.filter(claim=claim, pk=flag_id).first()
    if flag is None:
        raise Http404("No such flag on this claim.")
    try:
        flag.dismiss(by=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, NotAllowed, InvalidTransition) as exc:
        return _refusal(request, exc)
    messages.success(request, f"Dismissed the “{flag.get_code_display()}” flag on claim #{claim.pk}.")
    return _back(request, reverse("claim_detail", args=[claim.pk]))


@require_POST
@login_required
def claim_link(request: HttpRequest, pk: int, match_id: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    match = LibraryMatch.objects.filter(claim=claim, pk=match_id).select_related("claim__article").first()
    if match is None:
        raise Http404("No such library match for this claim.")
    source = Claim.objects.filter(pk=match.matched_claim_id).only("review_round").first()
    approvals = Review.objects.approvals().filter(
        claim_id=match.matched_claim_id,
        version=match.matched_version,
        round=source.review_round if source else 0,  # signatures voided by a retraction are no provenance
    )
    try:
        link_to_approved(
            match, by=request.user, approval_ids=list(approvals.order_by("id").values_list("id", flat=True))
        )
    except (NotAllowed, InvalidTransition) as exc:
        return _refusal(request, exc)
    messages.success(request, f"Claim #{claim.pk} now records that it reuses approved claim #{match.matched_claim_id}.")
    return _back(request, reverse("claim_detail", args=[claim.pk]))
