"""When cited evidence changes: claims citing a retracted or superseded work go back to review.

What a medical team expects, and what this module does:

- Both marks flag every live claim whose current version cites the work (content.evidence) and start a new
  review round for it: the signatures collected before stay on record (reviews and
  signatures are never touched) but no longer count, so the claim needs its full number
  of fresh signatures, judged after the mark. Its approved version is voided when that
  version cites the work, so nothing can be (re)published from the old approval.
- A *retracted* work is evidence that no longer exists: every live publication of a
  version citing it is withdrawn from every channel at once (patients and professionals
  alike), recorded with the reason and sent to the channel's webhooks. The publisher sees
  on the work's page which channels it was withdrawn from and re-publishes after the
  claim is approved again.
- A *superseded* work is older evidence, not wrong evidence: claims go back to review and
  are flagged, but stay on their channels; the work's page shows the publisher where they
  are live so they can withdraw them if the newer evidence says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from content.evidence import mark_reference, restore_reference
from content.locking import lock_chain
from content.models import Claim, ClaimVersion, Reference, ReferenceStatus, cited_ids
from review import notifications
from review.models import Publication
from review.publishing.actions import withdraw_publication


@dataclass
class RetractionResult:
    reference: Reference
    flagged: list[Claim] = field(default_factory=list)
    returned: list[Claim] = field(default_factory=list)
    withdrawn: list[Publication] = field(default_factory=list)


def withdrawal_reason(reference: Reference) -> str:
    return f"Cited reference {reference.status}: {reference.label} ({reference.status_reason.strip()})"


def _cites(claim_id: int, version: int | None, cited: Reference) -> bool:
    if version is None:
        return False
    cv = ClaimVersion.objects.filter(claim_id=claim_id, version=version).only("citations").first()
    return cv is not None and cited.pk in cited_ids(cv.citations)


def return_to_review(claim: Claim, *, reason: str, by: Any, cited: Reference | None = None) -> bool:
    """Start a new review round for a claim; True if it went back to the queue.

    The approved version is voided when it cites `cited` (Claim.start_new_round).
    """
    voids = None if cited is None else partial(_cites, claim.pk, cited=cited)
    return claim.start_new_round(by=by, reason=reason, voids=voids)


def ever_cited(reference: Reference) -> list[int]:
    """Ids of live claims any version of which cited the work (from the citations' history)."""
    through = Claim.history.model._meta.get_field("historicalclaim_citations").related_model  # type: ignore[attr-defined]
    ids = through.objects.filter(reference=reference).values("claim")
    return list(Claim.objects.live().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def _withdraw_citing(claim_ids: list[int], reference: Reference, by: Any, now: datetime) -> list[Publication]:
    """Withdraw every live publication of these claims whose pinned version cites the work."""
    withdrawn = []
    reason = withdrawal_reason(reference)
    live = (
        Publication.objects.select_for_update()
        .select_related("claim", "channel")
        .filter(claim_id__in=claim_ids, withdrawn_at__isnull=True)
        .order_by("claim_id", "channel__name")
    )
    for pub in live:
        if _cites(pub.claim_id, pub.version, reference):
            withdrawn.append(
                withdraw_publication(
                    pub, by=by, reason=reason, now=now, withdrawn_for=reference, skip_permission_checks=True
                )
            )
    return withdrawn


def retract_reference(reference: Reference, *, status: str, reason: str, by: Any) -> RetractionResult:
    """Mark a work retracted/superseded, flag every claim citing it and send those claims back to review.

    One transaction: either the mark, the flags, every new round and every withdrawal happen, or none.
    """
    with transaction.atomic():
        lock_chain()
        flagged = mark_reference(reference, status=status, reason=reason, by=by)
        why = withdrawal_reason(reference)
        returned = [claim for claim in flagged if return_to_review(claim, reason=why, by=by, cited=reference)]
        # Claims that cited the work in an earlier version only: their last approved (and maybe
        # published) wording may still rest on it.
        earlier = [pk for pk in ever_cited(reference) if pk not in {c.pk for c in flagged}]
        for older in Claim.objects.filter(pk__in=earlier).order_by("pk"):
            older.void_approval(by=by, reason=why, voids=partial(_cites, older.pk, cited=reference))
        withdrawn = []
        if reference.status == ReferenceStatus.RETRACTED:
            withdrawn = _withdraw_citing([c.pk for c in flagged] + earlier, reference, by, timezone.now())
        affected = [c.pk for c in flagged] + earlier
        if affected:
            transaction.on_commit(lambda: notifications.send_retraction_notice.enqueue(reference.pk, affected))
    return RetractionResult(reference=reference, flagged=flagged, returned=returned, withdrawn=withdrawn)


def set_reference_status(reference: Reference, *, status: str, reason: str, by: Any) -> RetractionResult:
    """A work's status as a reviewer sets it: retracted or superseded (with the cascade above), or active again.

    Back to active changes the mark only (content.evidence.restore_reference): nothing is flagged,
    sent back or withdrawn, and nothing the mark did before is undone.
    """
    if status == ReferenceStatus.ACTIVE:
        restore_reference(reference, reason=reason, by=by)
        return RetractionResult(reference=reference)
    return retract_reference(reference, status=status, reason=reason, by=by)
