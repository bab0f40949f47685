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
from typing import Any

from django.db import transaction
from django.utils import timezone

from content.evidence import mark_reference
from content.models import Claim, ClaimStatus, ClaimVersion, Reference, ReferenceStatus
from review import notifications
from review.models import Publication
from review.publishing import _withdraw

# Claims that are approved or being written go back to review; in review they already are
# (their round still restarts); rejected claims stay rejected (the rejection stands) and
# retired claims say nothing that needs re-judging.
RETURNABLE = {ClaimStatus.APPROVED, ClaimStatus.DRAFT, ClaimStatus.CHANGES_REQUESTED}


@dataclass
class RetractionResult:
    reference: Reference
    flagged: list[Claim] = field(default_factory=list)
    returned: list[Claim] = field(default_factory=list)
    withdrawn: list[Publication] = field(default_factory=list)


def withdrawal_reason(reference: Reference) -> str:
    return f"Cited reference {reference.status}: {reference.label} ({reference.status_reason.strip()})"


def _cites(claim_id: int, version: int | None, reference: Reference) -> bool:
    if version is None:
        return False
    cv = ClaimVersion.objects.filter(claim_id=claim_id, version=version).only("citations").first()
    return cv is not None and any(c.get("id") == reference.pk for c in cv.citations or [])


def return_to_review(claim: Claim, *, reason: str, by: Any, cited: Reference | None = None) -> bool:
    """Start a new review round for a claim (under its row lock); True if it went back to the queue.

    Every live claim gets the new round, so earlier signatures stop counting. Approved, draft and
    changes-requested claims go back to in_review. The approved version is voided when it cites `cited`.
    """
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.status == ClaimStatus.RETIRED:
            return False
        returned = locked.status in RETURNABLE
        locked.review_round += 1
        if cited is not None and _cites(locked.pk, locked.approved_version, cited):
            locked.approved_version = None
        if returned:
            locked.status = ClaimStatus.IN_REVIEW
            locked.submitted_at = timezone.now()
        locked._save_as(by, reason)
    claim.refresh_from_db()
    return returned


def ever_cited(reference: Reference) -> list[int]:
    """Ids of live claims any version of which cited the work (from the citations' history)."""
    through = Claim.history.model._meta.get_field("historicalclaim_citations").related_model  # type: ignore[attr-defined]
    ids = through.objects.filter(reference=reference).values("claim")
    return list(Claim.objects.live().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def _void_older_approval(claim_id: int, reference: Reference, by: Any) -> None:
    """A claim that no longer cites the work, but whose last approved version did: that approval is void."""
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim_id)
        if _cites(locked.pk, locked.approved_version, reference):
            locked.approved_version = None
            locked._save_as(by, withdrawal_reason(reference))


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
            _withdraw(pub, by, reason, now)
            withdrawn.append(pub)
    return withdrawn


def retract_reference(reference: Reference, *, status: str, reason: str, by: Any) -> RetractionResult:
    """Mark a work retracted/superseded, flag every claim citing it and send those claims back to review.

    One transaction: either the mark, the flags, every new round and every withdrawal happen, or none.
    """
    with transaction.atomic():
        flagged = mark_reference(reference, status=status, reason=reason, by=by)
        why = withdrawal_reason(reference)
        returned = [claim for claim in flagged if return_to_review(claim, reason=why, by=by, cited=reference)]
        # Claims that cited the work in an earlier version only: their last approved (and maybe
        # published) wording may still rest on it.
        earlier = [pk for pk in ever_cited(reference) if pk not in {c.pk for c in flagged}]
        for pk in earlier:
            _void_older_approval(pk, reference, by)
        withdrawn = []
        if reference.status == ReferenceStatus.RETRACTED:
            withdrawn = _withdraw_citing([c.pk for c in flagged] + earlier, reference, by, timezone.now())
        affected = [c.pk for c in flagged] + earlier
        if affected:
            transaction.on_commit(lambda: notifications.send_retraction_notice.enqueue(reference.pk, affected))
    return RetractionResult(reference=reference, flagged=flagged, returned=returned, withdrawn=withdrawn)
