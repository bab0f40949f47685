"""Re-certifying an approved claim unchanged: a new review round on the same version.

An approval falls due (each channel's review interval); the claim's words may still be right.
A reviewer opens a re-certification round on the approved version without anyone editing it.
While the round is open the live publications stay up until the approval's expiry; a new
approval (signed and sealed to the same content hash) extends every live publication's review
date; a request for changes or a rejection lets them expire on their old date.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from content.exceptions import InvalidTransition, NotAllowed
from content.locking import lock_chain
from content.models import Claim, ClaimStatus
from content.roles import is_reviewer
from review.models import Recertification


def recertify(claim: Claim, *, by: Any, reason: str = "") -> Recertification:
    """Open a re-certification round on the claim's approved version.

    1. Only medical reviewers (403).
    2. Only an approved claim whose current version is the approved one (409): a claim with a
       later draft or in review already has its round.
    3. Start the claim's next review round (Claim.start_new_round keeps the approved version)
       and record the round as a re-certification, in one transaction.
    """
    if not is_reviewer(by):
        raise NotAllowed("Only medical reviewers re-certify claims.")
    reason = reason.strip() or "The approval falls due; re-certifying the version unchanged"
    if len(reason) > 2000:
        raise ValidationError({"reason": "Keep the reason under 2,000 characters."})
    with transaction.atomic():
        lock_chain()
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.status != ClaimStatus.APPROVED:
            raise InvalidTransition("recertify", locked.status, "only an approved claim can be re-certified")
        if locked.approved_version != locked.version:
            raise InvalidTransition("recertify", locked.status, "a later version is waiting; review that instead")
        version = locked.version
        locked.start_new_round(by=by, reason=f"Re-certification of version {version}: {reason}")
        locked.refresh_from_db()
        recertification = Recertification(
            claim=locked,
            version=version,
            round=locked.review_round,
            reason=reason,
            started_by=by,
            started_at=timezone.now(),
        )
        recertification._history_user = by  # type: ignore[attr-defined]
        recertification._change_reason = f"Re-certification of version {version} started"  # type: ignore[attr-defined]
        recertification.save()
    claim.refresh_from_db()
    return recertification
