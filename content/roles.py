"""The four people and what each may do, as predicates on a user (no queries).

A role is a Django permission granted through a group (`seed_demo` sets them up):
authors import and edit their own articles; medical reviewers judge, sign and mark
cited works; publishers put approved versions on channels; compliance reads the
audit trail. Every role check in the project asks one of these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from content.models import Article, Claim

READ_ALL = "content.view_all_articles"
AUTHOR = "content.add_article"
EDITS_CLAIMS = "content.change_claim"
READS_CLAIMS = "content.view_claim"
REVIEWER = "review.add_review"
PUBLISHER = "review.add_publication"
READS_PUBLICATIONS = "review.view_publication"
COMPLIANCE = "review.view_auditevent"


def _has(user: Any, perm: str) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(perm))


def is_author(user: Any) -> bool:
    return _has(user, AUTHOR)


def is_reviewer(user: Any) -> bool:
    return _has(user, REVIEWER)


def is_compliance(user: Any) -> bool:
    return _has(user, COMPLIANCE)


def reads_claims(user: Any) -> bool:
    return _has(user, READS_CLAIMS)


def can_import(user: Any) -> bool:
    return is_author(user)


def can_edit_article(user: Any, article: Article) -> bool:
    """The article's owner, while they hold the author role."""
    return bool(_has(user, EDITS_CLAIMS) and article.owner_id == user.pk)


def can_edit_claim(user: Any, claim: Claim) -> bool:
    return can_edit_article(user, claim.article)


def may_mark(user: Any) -> bool:
    """Medical reviewers judge evidence, so they mark cited works retracted or superseded."""
    return is_reviewer(user)


def may_dismiss_flags(user: Any) -> bool:
    """Triage flags are advice to reviewers; reviewers set them aside."""
    return is_reviewer(user)


def can_publish(user: Any) -> bool:
    return _has(user, PUBLISHER)


def can_see_publishing(user: Any) -> bool:
    """Publishers, reviewers and compliance read channel contents and the re-review list."""
    return can_publish(user) or _has(user, READS_PUBLICATIONS) or is_reviewer(user)


def navigation(user: Any) -> dict[str, bool]:
    """Which parts of the navigation a user gets."""
    return {
        "author": is_author(user),
        "reviewer": is_reviewer(user),
        "publisher": can_publish(user),
        "compliance": is_compliance(user),
    }


def may_comment(user: Any, claim: Claim) -> bool:
    """Who discusses a claim's words (once they may see it): its author, reviewers and publishers.

    Compliance reads everything and changes nothing, so it does not comment.
    """
    return can_edit_claim(user, claim) or is_reviewer(user) or can_publish(user)
