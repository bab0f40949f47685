"""What is said: articles, sections, claims, their versions and references (`claims`), and the advice
raised on them: triage flags and the claims library (`advice`). One app, label `content`.
"""

from content.models.advice import (
    ClaimFlag,
    ClaimFlagQuerySet,
    ClaimLink,
    ClaimWording,
    FlagAlreadyDismissed,
    FlagCode,
    FlagSeverity,
    LibraryMatch,
)
from content.models.claims import (
    RETURNABLE,
    REVISABLE,
    Article,
    ArticleFormat,
    Claim,
    ClaimQuerySet,
    ClaimStatus,
    ClaimVersion,
    Reference,
    ReferenceStatus,
    Section,
    content_hash,
    default_approvals_needed,
    source_fingerprint,
    unstorable,
    version_hash,
)

__all__ = [
    "RETURNABLE",
    "REVISABLE",
    "Article",
    "ArticleFormat",
    "Claim",
    "ClaimFlag",
    "ClaimFlagQuerySet",
    "ClaimLink",
    "ClaimQuerySet",
    "ClaimStatus",
    "ClaimVersion",
    "ClaimWording",
    "FlagAlreadyDismissed",
    "FlagCode",
    "FlagSeverity",
    "LibraryMatch",
    "Reference",
    "ReferenceStatus",
    "Section",
    "content_hash",
    "default_approvals_needed",
    "source_fingerprint",
    "unstorable",
    "version_hash",
]
