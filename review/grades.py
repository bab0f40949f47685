"""Evidence grades as plain values: their codes, weakest first (pure: the policy check and the models share it).

The labels live on `review.models.EvidenceGrade`; a test keeps the two in step.
"""

ORDER = ("contradicted", "unsupported", "very_low", "low", "moderate", "high")

# Higher is stronger. Channel policies and the two-signature rule compare ranks.
RANK = {grade: rank for rank, grade in enumerate(ORDER)}
