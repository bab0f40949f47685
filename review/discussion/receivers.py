"""Carry a claim's discussion to each new version, inside the transaction that writes it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from content import signals
from review.discussion.carry import carry_forward


@receiver(signals.version_written, dispatch_uid="vetted_discussion_carry_forward")
def _carry_forward(sender: Any, claim: Any, by: Any, previous: Any, version: Any, **kwargs: Any) -> None:
    carry_forward(claim=claim, previous=previous, version=version, by=by)
