"""The review page's triage block: risk flags, library matches and reuse provenance.

An inclusion tag, so _claim_context.html needs one line and the claim views no extra context.
"""

from __future__ import annotations

from typing import Any

from django import template

from content.diffing import word_diff
from content.evidence import cited_as_signed
from content.library import current_link, current_matches, may_link
from content.models import Claim, ClaimFlag, ClaimStatus, ClaimVersion, FlagSeverity
from content.roles import is_reviewer
from review.models import Review

register = template.Library()


@register.inclusion_tag("review/library_advice.html", takes_context=True)
def claim_advice(context: template.Context) -> dict[str, Any]:
    claim: Claim = context["claim"]
    request = context.get("request")
    user = getattr(request, "user", None)
    flags = sorted(
        ClaimFlag.objects.filter(claim=claim, version=claim.version).select_related("dismissed_by"),
        key=lambda f: (f.dismissed_at is not None, f.pk),
    )
    matches = current_matches(claim)
    sources = {
        c.pk: c for c in Claim.objects.filter(pk__in={m.matched_claim_id for m in matches}).select_related("article")
    }
    wanted = {(m.matched_claim_id, m.matched_version) for m in matches}
    texts = {
        (v.claim_id, v.version): v.text
        for v in ClaimVersion.objects.filter(claim_id__in={c for c, _ in wanted}).only("claim_id", "version", "text")
        if (v.claim_id, v.version) in wanted
    }
    approvals: dict[tuple[int, int], list[Review]] = {}
    rounds = {pk: c.review_round for pk, c in sources.items()}
    for review in Review.objects.approvals().filter(claim_id__in={c for c, _ in wanted}).for_list().order_by("id"):
        if review.round == rounds.get(review.claim_id):  # not signatures voided by a retraction
            approvals.setdefault((review.claim_id, review.version), []).append(review)
    rows = [
        {
            "match": m,
            "source": sources.get(m.matched_claim_id),
            "diff": None if m.exact else word_diff(texts.get((m.matched_claim_id, m.matched_version), ""), claim.text),
            "approvals": approvals.get((m.matched_claim_id, m.matched_version), []),
        }
        for m in matches
    ]
    link = current_link(claim)
    link_approvals = list(Review.objects.filter(pk__in=link.approval_ids).for_list()) if link else []
    risk = [f for f in flags if f.severity != FlagSeverity.INFO]
    return {
        "claim": claim,
        "flags": risk,
        # Context notes are folded away: a reviewer opens them when they want them.
        "info_flags": [f for f in flags if f.severity == FlagSeverity.INFO],
        "open_count": sum(1 for f in risk if f.is_open),
        "rows": rows,
        "link": link,
        "link_approvals": link_approvals,
        "may_dismiss": user is not None and is_reviewer(user),
        "may_link": user is not None and link is None and claim.status != ClaimStatus.RETIRED and may_link(user, claim),
        "citations": cited_as_signed(claim.pk, claim.version),
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
