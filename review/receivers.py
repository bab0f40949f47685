"""The review app's own signal receivers (loaded by the app config)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from content import signals
from review import notifications


@receiver(signals.claim_submitted, dispatch_uid="review.receivers.claim_submitted")
def on_claim_submitted(sender: Any, claim: Any, **kwargs: Any) -> None:
    # Only a claim that was reviewed before has anyone to tell; skip the task otherwise.
    if claim.version > 1:
        notifications.send_resubmission_notice.enqueue(claim.pk, claim.version)
