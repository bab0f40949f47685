"""One place answers "may this user do this to this object": views, templates and the API ask it.

Role predicates are content.roles; the object getters here give outsiders 404.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import Http404

from content.models import REVISABLE, Claim, ClaimStatus
from content.permissions import visible_articles, visible_claims
from content.roles import can_edit_claim, is_reviewer
from review.models import ArticlePublication, Comment, Publication, Suggestion, Withdrawable

W = TypeVar("W", bound=Withdrawable)


def available_actions(claim: Claim, user: Any) -> set[str]:
    """The actions the UI offers: revise, split, merge, submit, recall, retire, review, recertify.

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
        if claim.status == ClaimStatus.IN_REVIEW:
            # Offered while in review; Claim.recall refuses (409) once a reviewer opened it,
            # which costs queries the page need not spend for every claim.
            actions.add("recall")
        if claim.status != ClaimStatus.RETIRED:
            actions.add("retire")
    if is_reviewer(user) and claim.status == ClaimStatus.IN_REVIEW:
        actions.add("review")
    if is_reviewer(user) and claim.status == ClaimStatus.APPROVED and claim.approved_version == claim.version:
        actions.add("recertify")
    return actions


def can_sign(claim: Claim, user: Any) -> bool:
    """May approve or reject the current version: a reviewer who neither wrote nor edited it."""
    return (
        is_reviewer(user)
        and claim.status == ClaimStatus.IN_REVIEW
        and user.pk not in claim.contributors(up_to_version=claim.version)
    )


def get_publication_for_user(user: Any, pk: int) -> Publication:
    """404 unless the user may see the publication's claim."""
    pubs = Publication.objects.filter(claim__in=visible_claims(user)).select_related("claim")
    return _publication(pubs, pk, "No such publication.")


def get_article_publication_for_user(user: Any, pk: int) -> ArticlePublication:
    """404 unless the user may see the article."""
    pubs = ArticlePublication.objects.filter(article__in=visible_articles(user)).select_related("article")
    return _publication(pubs, pk, "No such article publication.")


def _publication(pubs: QuerySet[W], pk: int, missing: str) -> W:
    found = pubs.filter(pk=pk).select_related("channel", "published_by", "withdrawn_by").first()
    if found is None:
        raise Http404(missing)
    return found


def get_comment_for_user(user: Any, pk: int) -> Comment:
    """404 unless the user may see the comment's claim."""
    found = Comment.objects.filter(claim__in=visible_claims(user), pk=pk).select_related("claim__article").first()
    if found is None:
        raise Http404("No such comment.")
    return found


def get_suggestion_for_user(user: Any, pk: int) -> Suggestion:
    """404 unless the user may see the suggestion's claim."""
    found = Suggestion.objects.filter(claim__in=visible_claims(user), pk=pk).select_related("claim__article").first()
    if found is None:
        raise Http404("No such suggestion.")
    return found
