"""The claims library: approved claims as entries (their wording, grade and signers), for the page and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from content.library import search_filter
from content.models import Claim, ClaimLink, ClaimStatus
from review.models import GRADE_RANK, EvidenceGrade, Publication, Review


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
