"""Publishing's signal receivers: a retired claim leaves every channel."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from content import signals as content_signals
from content.models import Claim
from review.publishing.actions import withdraw_retired_claim


@receiver(content_signals.claim_retired, dispatch_uid="review.publishing.claim_retired")
def _on_claim_retired(sender: Any, claim: Claim, by: Any, **kwargs: Any) -> None:
    withdraw_retired_claim(claim, by=by)
