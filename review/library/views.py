"""Library pages: the claims library, cited works and their retraction, dismissing flags, reusing wording."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from config.errors import back, error_page, refusal_page
from content.evidence import MARKABLE
from content.exceptions import InvalidTransition, NotAllowed
from content.library import link_to_approved
from content.models import Claim, ClaimFlag, ClaimStatus, LibraryMatch, Reference, ReferenceStatus
from content.permissions import get_claim_for_user, visible_claims
from content.roles import may_mark, reads_claims
from review.library.entries import library_entry, library_queryset
from review.models import Publication, Review
from review.retraction import retract_reference

PAGE_SIZE = 50


@require_GET
@login_required
def library(request: HttpRequest) -> HttpResponse:
    if not reads_claims(request.user):
        return error_page(
            request, 403, title="Not allowed", message="The claims library is for authors, reviewers and publishers."
        )
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
        return error_page(
            request, 403, title="Not allowed", message="Cited works are for authors, reviewers and publishers."
        )
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
        Publication.objects.filter(withdrawn_at__isnull=False, withdrawn_for=reference)
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
        return error_page(
            request,
            403,
            title="Not allowed",
            message="Only medical reviewers mark cited works retracted or superseded.",
        )
    form = MarkReferenceForm(request.POST)
    if not form.is_valid():
        return _reference_page(request, reference, form, 400)
    try:
        result = retract_reference(
            reference, status=form.cleaned_data["status"], reason=form.cleaned_data["reason"], by=request.user
        )
    except (ValidationError, NotAllowed, InvalidTransition) as exc:
        return refusal_page(request, exc)  # type: ignore[return-value]  # exc is a refusal
    messages.success(
        request,
        f"Marked {reference.label} {result.reference.status}: {len(result.flagged)} claims flagged, "
        f"{len(result.returned)} sent back to review, {len(result.withdrawn)} publications withdrawn.",
    )
    return redirect("library_reference", pk=reference.pk)


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
        return refusal_page(request, exc)  # type: ignore[return-value]  # exc is a refusal
    messages.success(request, f"Dismissed the “{flag.get_code_display()}” flag on claim #{claim.pk}.")
    return back(request, reverse("claim_detail", args=[claim.pk]))


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
        return refusal_page(request, exc)  # type: ignore[return-value]  # exc is a refusal
    messages.success(request, f"Claim #{claim.pk} now records that it reuses approved claim #{match.matched_claim_id}.")
    return back(request, reverse("claim_detail", args=[claim.pk]))
