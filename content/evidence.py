"""Evidence that changes: a cited work marked retracted or superseded, and the flags that follow."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from content import flagging, triage
from content.exceptions import InvalidTransition, NotAllowed
from content.locking import lock_chain
from content.models import Claim, Reference, ReferenceStatus
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
