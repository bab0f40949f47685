"""When cited evidence changes: claims citing a retracted or superseded work go back to review.

The approval of the old version stays on record (reviews and signatures are
never touched); the claim's status says it needs judging again, and the
retracted_citation flag (content.evidence) says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from content.evidence import mark_reference
from content.models import Claim, ClaimStatus, Reference

# Claims that are approved or being written go back to review; in review they already are;
# rejected and retired claims say nothing that needs re-judging.
RETURNABLE = {ClaimStatus.APPROVED, ClaimStatus.DRAFT, ClaimStatus.CHANGES_REQUESTED}


@dataclass
class RetractionResult:
    reference: Reference
    flagged: list[Claim] = field(default_factory=list)
    returned: list[Claim] = field(default_factory=list)


def return_to_review(claim: Claim, *, reason: str, by: Any) -> bool:
    """Put a claim back in the review queue (under its row lock). False if its state needs no return."""
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.status not in RETURNABLE:
            return False
        locked.status = ClaimStatus.IN_REVIEW
        locked.submitted_at = timezone.now()
        locked._save_as(by, reason)
    claim.refresh_from_db()
    return True


def retract_reference(reference: Reference, *, status: str, reason: str, by: Any) -> RetractionResult:
    """Mark a work retracted/superseded, flag every claim citing it and send those claims back to review.

    One transaction: either the mark, the flags and every return happen, or none.
    """
    with transaction.atomic():
        flagged = mark_reference(reference, status=status, reason=reason, by=by)
        why = f"Cited reference {status}: {reference.label} ({reason.strip()})"
        returned = [claim for claim in flagged if return_to_review(claim, reason=why, by=by)]
    return RetractionResult(reference=reference, flagged=flagged, returned=returned)
