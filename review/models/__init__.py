"""The review app's models, one module per concern, all under the `review` app label.

- `reviews`: evidence grades, nuance tags, reviews and their e-signatures, refused attempts.
- `channels`: channels, publications, feed keys and webhooks.
- `audit`: the chained audit events and verification runs.
"""

from review.models.audit import AuditEvent, AuditVerification
from review.models.channels import (
    ArticlePublication,
    Audience,
    Channel,
    ChannelToken,
    DeliveryStatus,
    Publication,
    WebhookDelivery,
    WebhookEndpoint,
    hash_channel_key,
    new_webhook_secret,
)
from review.models.reviews import (
    DEFAULT_MEANING,
    GRADE_RANK,
    REJECT_MEANING,
    SIGNED_DECISIONS,
    STANDARD_MEANINGS,
    AlreadySigned,
    ClaimOpen,
    Decision,
    EvidenceGrade,
    EvidenceType,
    NuanceTag,
    Refusal,
    RefusalKind,
    Review,
    ReviewQuerySet,
    ReviewRefused,
    Signature,
    needs_extra_signature,
    serving_rounds,
    signatures_required,
)

__all__ = [
    "DEFAULT_MEANING",
    "GRADE_RANK",
    "REJECT_MEANING",
    "SIGNED_DECISIONS",
    "STANDARD_MEANINGS",
    "AlreadySigned",
    "ArticlePublication",
    "Audience",
    "AuditEvent",
    "AuditVerification",
    "Channel",
    "ChannelToken",
    "ClaimOpen",
    "Decision",
    "DeliveryStatus",
    "EvidenceGrade",
    "EvidenceType",
    "NuanceTag",
    "Publication",
    "Refusal",
    "RefusalKind",
    "Review",
    "ReviewQuerySet",
    "ReviewRefused",
    "Signature",
    "WebhookDelivery",
    "WebhookEndpoint",
    "hash_channel_key",
    "needs_extra_signature",
    "new_webhook_secret",
    "serving_rounds",
    "signatures_required",
]
