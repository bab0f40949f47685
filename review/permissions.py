"""One place answers "may this user do this to this claim"; views, templates and the API ask it."""

from __future__ import annotations

from typing import Any

from content.models import REVISABLE, Claim, ClaimStatus
from content.permissions import can_edit_claim

REVIEWER = "review.add_review"
PUBLISHER = "review.add_publication"
COMPLIANCE = "review.view_auditevent"


def is_reviewer(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(REVIEWER))


def available_actions(claim: Claim, user: Any) -> set[str]:
    """The actions the UI offers: revise, split, merge, submit, retire, review.

    "review" means the user may record a review of the current version. Whether
    they may *sign* it (approve/reject) also depends on separation of duties,
    which needs a query: see can_sign().
    """
    actions: set[str] = set()
    if can_edit_claim(user, claim):
        if claim.status in REVISABLE:
            actions |= {"revise", "split", "merge"}
        if claim.status == ClaimStatus.DRAFT:
            actions.add("submit")
        if claim.status != ClaimStatus.RETIRED:
            actions.add("retire")
    if is_reviewer(user) and claim.status == ClaimStatus.IN_REVIEW:
        actions.add("review")
    return actions


def can_sign(claim: Claim, user: Any) -> bool:
    """May approve or reject the current version: a reviewer who neither wrote nor edited it."""
    return (
        is_reviewer(user)
        and claim.status == ClaimStatus.IN_REVIEW
        and user.pk not in claim.contributors(up_to_version=claim.version)
    )
