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
    cited_ids,
    content_hash,
    default_approvals_needed,
    source_fingerprint,
    unstorable,
    version_hash,
)
from content.models.people import Profile, credentials_of

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
    "Profile",
    "Reference",
    "ReferenceStatus",
    "Section",
    "cited_ids",
    "content_hash",
    "credentials_of",
    "default_approvals_needed",
    "source_fingerprint",
    "unstorable",
    "version_hash",
]
