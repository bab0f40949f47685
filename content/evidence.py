"""Evidence that changes: a cited work marked retracted or superseded, and the flags that follow."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from content import flagging, triage
from content.exceptions import InvalidTransition, NotAllowed
from content.governance import save_as
from content.locking import lock_chain
from content.models import Claim, ClaimStatus, ClaimVersion, Reference, ReferenceStatus, cited_ids
from content.roles import may_mark

MARKABLE = {ReferenceStatus.RETRACTED, ReferenceStatus.SUPERSEDED}


class ReferenceAlreadyMarked(InvalidTransition):
    def __init__(self, reference: Reference) -> None:
        self.action = "mark"
        self.status = reference.status
        Exception.__init__(self, f"{reference.label} is already marked {reference.get_status_display().lower()}.")


def mark_reference(reference: Reference, *, status: str, reason: str, by: Any) -> list[Claim]:
    """Mark a cited work retracted or superseded and flag every live claim citing it.

    1. Validate (a known status, a reason); check the actor (reviewers; 403).
    2. Lock the reference; refuse if it is already marked (409).
    3. Record the status and reason (with history), then add a
       retracted_citation flag to the current version of every live claim
       citing it. Returns those claims; sending them back to review is the
       review app's part (review.retraction).
    """
    reason = reason.strip()
    errors = {}
    if status not in MARKABLE:
        errors["status"] = f"Must be one of {', '.join(sorted(MARKABLE))}."
    if not reason:
        errors["reason"] = "Say why this work is retracted or superseded (e.g. the retraction notice)."
    if errors:
        raise ValidationError(errors)
    if not may_mark(by):
        raise NotAllowed("Only medical reviewers mark cited works retracted or superseded.")
    with transaction.atomic():
        lock_chain()
        ref = Reference.objects.select_for_update().get(pk=reference.pk)
        if ref.status != ReferenceStatus.ACTIVE:
            raise ReferenceAlreadyMarked(ref)
        ref.status = status
        ref.status_reason = reason
        ref._history_user = by  # type: ignore[attr-defined]
        ref._change_reason = f"Marked {status}: {reason}"  # type: ignore[attr-defined]
        ref.save()
        claims = list(Claim.objects.live().filter(citations=ref).order_by("pk"))
        flag = triage.retracted_flag(triage.Cited(label=ref.label, year=ref.year, status=status, reason=reason))
        for claim in claims:
            flagging.save_flag(claim.pk, claim.version, flag, actor=by, reason=f"Cited work marked {status}")
    reference.refresh_from_db()
    return claims


class ReferenceNotMarked(InvalidTransition):
    def __init__(self, reference: Reference) -> None:
        self.action = "restore"
        self.status = reference.status
        Exception.__init__(self, f"{reference.label} is already active.")


def restore_reference(reference: Reference, *, reason: str, by: Any) -> None:
    """Mark a retracted or superseded work active again (a mark made in error, a retraction withdrawn).

    Only the mark changes: the claims it sent back to review stay there, and what it withdrew
    stays withdrawn, until reviewers approve and publishers publish again. Their earlier
    signatures rested on the work before it was cleared.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why this work is active again (e.g. the retraction was withdrawn)."})
    if not may_mark(by):
        raise NotAllowed("Only medical reviewers mark cited works retracted, superseded or active.")
    with transaction.atomic():
        lock_chain()
        ref = Reference.objects.select_for_update().get(pk=reference.pk)
        if ref.status == ReferenceStatus.ACTIVE:
            raise ReferenceNotMarked(ref)
        ref.status = ReferenceStatus.ACTIVE
        ref.status_reason = reason
        save_as(ref, by, f"Marked active: {reason}")
    reference.refresh_from_db()


# What a reference correction may change: how the work is described. Its key is its identity
# (what a version's hash covers); a different work is a different Reference.
CORRECTABLE = ("label", "authors", "year", "title", "doi", "pmid", "url")


def _citing(reference: Reference) -> QuerySet[Claim]:
    """Live claims any version of which cited the work (the citations' history keeps every version's set)."""
    through = Claim.history.model._meta.get_field("historicalclaim_citations").related_model  # type: ignore[attr-defined]
    ever = through.objects.filter(reference=reference).values("claim")
    return Claim.objects.live().filter(Q(pk__in=ever) | Q(citations=reference)).distinct().order_by("pk")


def guarding_claims(reference: Reference) -> list[Claim]:
    """Claims whose approved version, or whose version in review, cites the work: their signatures rest on it."""
    claims = list(_citing(reference))
    wanted = {
        (c.pk, v)
        for c in claims
        for v in (c.approved_version, c.version if c.status == ClaimStatus.IN_REVIEW else None)
        if v is not None
    }
    versions = ClaimVersion.objects.filter(claim_id__in={pk for pk, _ in wanted})
    versions = versions.only("claim_id", "version", "citations")
    citing = {
        cv.claim_id
        for cv in versions.iterator()
        if (cv.claim_id, cv.version) in wanted and reference.pk in cited_ids(cv.citations)
    }
    return [c for c in claims if c.pk in citing]


def correct_reference(reference: Reference, *, changes: dict[str, Any], reason: str, by: Any) -> list[Claim]:
    """Correct how a cited work is described, and send every live claim citing it back to review.

    1. Validate: a reason, only descriptive fields (CORRECTABLE), something changed.
    2. In one transaction: record the corrected row (with history and the reason), then start a
       new review round for each live claim whose current version cites it (Claim.start_new_round):
       its reviewers judged the work as it was described, so their signatures stop counting.
       Returns those claims.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say what was wrong with this record and where the correction comes from."})
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise ValidationError({field: "This field is not corrected here." for field in sorted(unknown)})
    with transaction.atomic():
        lock_chain()
        ref = Reference.objects.select_for_update().get(pk=reference.pk)
        changed = {f: v for f, v in changes.items() if getattr(ref, f) != v}
        if not changed:
            raise ValidationError({"reason": "Nothing changed: the record already reads so."})
        for field, value in changed.items():
            setattr(ref, field, value)
        ref.full_clean(exclude=["key"])
        names = ", ".join(sorted(changed))
        save_as(ref, by, f"Corrected ({names}): {reason}"[:1000])
        # Those whose approved or in-review version cites it, and those whose next version does.
        current = list(Claim.objects.live().filter(citations=ref).order_by("pk"))
        claims = sorted({c.pk: c for c in [*guarding_claims(ref), *current]}.values(), key=lambda c: c.pk)
        for claim in claims:
            claim.start_new_round(by=by, reason=f"Cited work {ref.label} corrected ({names}): {reason}"[:1000])
    reference.refresh_from_db()
    return claims


def cited_as_signed(claim_id: int, version: int) -> list[dict[str, Any]]:
    """A version's citations as its snapshot records them: what its hash and its signatures cover.

    Each carries the work's status now, and what the live record reads where it was corrected
    since (`now_labelled`, `now_titled`), so a reviewer judges the work the version names, not
    whatever the row says today.
    """
    cv = ClaimVersion.objects.filter(claim_id=claim_id, version=version).only("citations").first()
    snapshot = [c for c in (cv.citations if cv else []) if isinstance(c, dict) and c.get("id")]
    live = {ref.pk: ref for ref in Reference.objects.filter(pk__in=cited_ids(snapshot))}
    cited = []
    for c in snapshot:
        ref = live.get(int(c["id"]))
        label, title = c.get("label", ""), c.get("title", "")
        cited.append(
            {
                "pk": int(c["id"]),
                "label": label,
                "authors": c.get("authors", ""),
                "year": c.get("year"),
                "title": title,
                "doi": c.get("doi", ""),
                "status": ref.status if ref else "",
                "status_display": ref.get_status_display().lower() if ref else "",
                "now_labelled": ref.label if ref and ref.label != label else "",
                # Older snapshots kept no title: only a title that differs from a recorded one is news.
                "now_titled": ref.title if ref and "title" in c and ref.title != title else "",
            }
        )
    return cited
