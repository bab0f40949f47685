"""Publishing's signal receivers: a retired claim leaves every channel; a renewed approval is rendered anew."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from content import signals as content_signals
from content.models import Claim
from review.actions import publication_renewed
from review.models import Publication
from review.publishing import renditions
from review.publishing.actions import withdraw_retired_claim


@receiver(content_signals.claim_retired, dispatch_uid="review.publishing.claim_retired")
def _on_claim_retired(sender: Any, claim: Claim, by: Any, **kwargs: Any) -> None:
    withdraw_retired_claim(claim, by=by)


@receiver(publication_renewed, dispatch_uid="review.publishing.publication_renewed")
def _on_publication_renewed(sender: Any, publication: Publication, by: Any, now: datetime, **kwargs: Any) -> None:
    renditions.renew(publication, by=by, now=now)
