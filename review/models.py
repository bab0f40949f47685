"""Whether a claim may be said: evidence grades, nuance tags, reviews and signatures.

A review names the exact claim version and content hash it judged. Approvals
are counted per version; an approval of version n says nothing about n+1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from content.models import Claim, ClaimStatus, InvalidTransition, NotAllowed, StaleVersion
from review import notifications


class EvidenceGrade(models.TextChoices):
    HIGH = "high", "High certainty"
    MODERATE = "moderate", "Moderate certainty"
    LOW = "low", "Low certainty"
    VERY_LOW = "very_low", "Very low certainty"
    UNSUPPORTED = "unsupported", "Unsupported by the evidence"
    CONTRADICTED = "contradicted", "Contradicted by the evidence"


# Higher is stronger. Channel policies and the two-signature rule compare ranks.
GRADE_RANK = {
    EvidenceGrade.HIGH: 5,
    EvidenceGrade.MODERATE: 4,
    EvidenceGrade.LOW: 3,
    EvidenceGrade.VERY_LOW: 2,
    EvidenceGrade.UNSUPPORTED: 1,
    EvidenceGrade.CONTRADICTED: 0,
}


class EvidenceType(models.TextChoices):
    SYSTEMATIC_REVIEW = "systematic_review", "Systematic review / meta-analysis"
    RCT = "rct", "Randomised controlled trial"
    OBSERVATIONAL = "observational", "Observational study"
    MECHANISTIC = "mechanistic", "Mechanistic / animal study"
    EXPERT_OPINION = "expert_opinion", "Expert opinion"
    NONE_CITED = "none_cited", "None cited"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REQUEST_CHANGES = "request_changes", "Request changes"
    REJECT = "reject", "Reject"


SIGNED_DECISIONS = {Decision.APPROVE, Decision.REJECT}
DEFAULT_MEANING = "I confirm this claim version is medically accurate as worded"
REJECT_MEANING = "I confirm this claim version is not medically acceptable as worded"


class NuanceTag(models.Model):
    """Managed vocabulary of what a claim needs (editable by staff in the admin)."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    required_wording = models.TextField(
        blank=True, help_text="Wording that must accompany the claim wherever it is published."
    )
    high_risk = models.BooleanField(default=False, help_text="Claims carrying it need two signatures.")
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReviewQuerySet(models.QuerySet["Review"]):
    def for_list(self) -> ReviewQuerySet:
        return self.select_related("reviewer", "signature").prefetch_related("nuance_tags")


class Review(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="reviews")
    version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    evidence_grade = models.CharField(max_length=20, choices=EvidenceGrade.choices)
    evidence_type = models.CharField(max_length=30, choices=EvidenceType.choices, blank=True)
    nuance_tags = models.ManyToManyField(NuanceTag, blank=True, related_name="reviews")
    nuance_note = models.TextField(blank=True, help_text="Markdown.")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords(m2m_fields=[nuance_tags])
    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Reviews of one claim version: approval counting and the review page.
            models.Index(fields=["claim", "version"], name="review_claim_version_idx"),
        ]
        constraints = [
            # One approval per reviewer per version: concurrent double-clicks or
            # retries can never count one person's signature twice.
            models.UniqueConstraint(
                fields=["claim", "version", "reviewer"],
                condition=Q(decision="approve"),
                name="review_one_approval_per_reviewer",
            ),
            models.CheckConstraint(condition=Q(decision__in=Decision.values), name="review_decision_valid"),
            models.CheckConstraint(condition=Q(evidence_grade__in=EvidenceGrade.values), name="review_grade_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} of claim {self.claim_id} v{self.version}"

    @property
    def requires_two_signatures(self) -> bool:
        return needs_extra_signature(self.evidence_grade, list(self.nuance_tags.all()))


class Signature(models.Model):
    """An e-signature sealed to one claim version (21 CFR Part 11 style manifest)."""

    review = models.OneToOneField(Review, on_delete=models.PROTECT, related_name="signature")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures")
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=300)
    signed_at = models.DateTimeField(default=timezone.now)
    claim_version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    seal = models.CharField(max_length=64, help_text="SHA-256 over signer, version hash, meaning and time.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["signed_at"]

    def __str__(self) -> str:
        return f"{self.printed_name}, {self.signed_at:%Y-%m-%d %H:%M} UTC: {self.meaning}"

    def compute_seal(self) -> str:
        payload = "|".join(
            [
                str(self.signer_id),
                self.printed_name,
                str(self.review.claim_id),
                str(self.claim_version),
                self.content_hash,
                self.meaning,
                self.signed_at.isoformat(),
            ]
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def is_intact(self) -> bool:
        return self.seal == self.compute_seal() and self.content_hash == self.review.content_hash


class RefusalKind(models.TextChoices):
    WRONG_PASSWORD = "wrong_password", "Wrong password"
    SEPARATION_OF_DUTIES = "separation_of_duties", "Separation of duties"
    THROTTLED = "throttled", "Too many failed attempts"


class Refusal(models.Model):
    """A refused review attempt, kept for compliance and for throttling."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=30, choices=RefusalKind.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        indexes = [
            # Throttling counts a user's recent wrong passwords.
            models.Index(fields=["user", "kind", "at"], name="refusal_user_kind_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: user {self.user_id} on claim {self.claim_id} v{self.version}"


class ClaimOpen(models.Model):
    """Who has a claim's review page open, so two reviewers don't duplicate work."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["claim", "user"], name="claimopen_unique")]

    def __str__(self) -> str:
        return f"claim {self.claim_id} open by user {self.user_id}"

    FRESH_FOR = timedelta(minutes=15)

    @classmethod
    def touch(cls, claim: Claim, user: Any) -> None:
        cls.objects.update_or_create(claim=claim, user=user, defaults={"opened_at": timezone.now()})


class ReviewRefused(NotAllowed):
    """A refusal that is recorded (wrong password, separation of duties, throttle)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def needs_extra_signature(grade: str, tags: Sequence[NuanceTag]) -> bool:
    """Two signatures when a tag is high-risk or the evidence is below moderate."""
    return any(t.high_risk for t in tags) or GRADE_RANK[EvidenceGrade(grade)] < GRADE_RANK[EvidenceGrade.MODERATE]


def signatures_required(grade: str, tags: Sequence[NuanceTag]) -> int:
    if needs_extra_signature(grade, tags):
        return int(settings.VETTED_SIGNATURES_HIGH_RISK)
    return int(settings.VETTED_SIGNATURES_DEFAULT)


THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)


def _check_signer(claim: Claim, version: int, reviewer: Any, decision: str, password: str) -> None:
    """Person checks for a signed decision. Raises ReviewRefused (recorded by the caller)."""
    recent = Refusal.objects.filter(
        user=reviewer, kind=RefusalKind.WRONG_PASSWORD, at__gte=timezone.now() - THROTTLE_WINDOW
    ).count()
    if recent >= THROTTLE_FAILURES:
        raise ReviewRefused("Too many wrong passwords; signing is locked for 15 minutes.", RefusalKind.THROTTLED)
    if reviewer.pk in claim.contributors(up_to_version=version):
        raise ReviewRefused(
            "You wrote or edited this version, so you may not approve or reject it.",
            RefusalKind.SEPARATION_OF_DUTIES,
        )
    if not password or not reviewer.check_password(password):
        raise ReviewRefused("Wrong password: the signature was not applied.", RefusalKind.WRONG_PASSWORD)


def record_review(
    *,
    claim: Claim,
    version: int,
    reviewer: Any,
    decision: str,
    evidence_grade: str,
    nuance_tags: Sequence[NuanceTag] = (),
    nuance_note: str = "",
    evidence_type: str = "",
    password: str = "",
    signature_meaning: str = "",
) -> Review:
    """Judge one claim version.

    1. Validate the input (grade, decision, meaning for signed decisions).
    2. Check the person: reviewer role; for approve/reject, separation of duties
       and the password (refusals are recorded, outside the rolled-back work).
    3. Lock the claim; refuse a wrong state or a version that moved on (409).
    4. Write the review (+ signature), move the claim: request_changes and
       reject end the round; approve counts distinct approvals of this version
       and approves once enough have signed.
    """
    errors: dict[str, str] = {}
    if decision not in Decision.values:
        errors["decision"] = f"Must be one of {', '.join(Decision.values)}."
    if evidence_grade not in EvidenceGrade.values:
        errors["evidence_grade"] = f"Choose an evidence grade: {', '.join(EvidenceGrade.values)}."
    if evidence_type and evidence_type not in EvidenceType.values:
        errors["evidence_type"] = f"Must be one of {', '.join(EvidenceType.values)}."
    signed = decision in SIGNED_DECISIONS
    if signed and not signature_meaning.strip():
        errors["signature_meaning"] = "A signature needs its meaning."
    if errors:
        raise ValidationError(errors)
    if not reviewer.has_perm("review.add_review"):
        raise NotAllowed("Only medical reviewers review claims.")
    if signed:
        try:
            _check_signer(claim, version, reviewer, decision, password)
        except ReviewRefused as refusal:
            Refusal.objects.create(user=reviewer, claim=claim, version=version, kind=refusal.kind)
            raise

    try:
        with transaction.atomic():
            return _write_review(
                claim=claim,
                version=version,
                reviewer=reviewer,
                decision=decision,
                evidence_grade=evidence_grade,
                nuance_tags=nuance_tags,
                nuance_note=nuance_note,
                evidence_type=evidence_type,
                signature_meaning=signature_meaning.strip(),
            )
    except IntegrityError:
        # The unique approval constraint caught a concurrent duplicate.
        raise InvalidTransition("approve twice", "already signed by you") from None


def _write_review(
    *,
    claim: Claim,
    version: int,
    reviewer: Any,
    decision: str,
    evidence_grade: str,
    nuance_tags: Sequence[NuanceTag],
    nuance_note: str,
    evidence_type: str,
    signature_meaning: str,
) -> Review:
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    if locked.status != ClaimStatus.IN_REVIEW:
        raise InvalidTransition(decision, locked.status)
    if locked.version != version:
        raise StaleVersion(locked, version)
    if (
        decision == Decision.APPROVE
        and Review.objects.filter(claim=locked, version=version, reviewer=reviewer, decision=Decision.APPROVE).exists()
    ):
        raise InvalidTransition("approve twice", "already signed by you")

    now = timezone.now()
    review = Review(
        claim=locked,
        version=version,
        content_hash=locked.content_hash,
        reviewer=reviewer,
        evidence_grade=evidence_grade,
        evidence_type=evidence_type,
        nuance_note=nuance_note,
        decision=decision,
        created_at=now,
    )
    review._history_user = reviewer  # type: ignore[attr-defined]
    review.save()
    review.nuance_tags.set(nuance_tags)
    if decision in SIGNED_DECISIONS:
        signature = Signature(
            review=review,
            signer=reviewer,
            printed_name=reviewer.get_full_name() or reviewer.get_username(),
            meaning=signature_meaning,
            signed_at=now,
            claim_version=version,
            content_hash=locked.content_hash,
        )
        signature.seal = signature.compute_seal()
        signature._history_user = reviewer  # type: ignore[attr-defined]
        signature.save()

    if decision == Decision.REQUEST_CHANGES:
        locked.status = ClaimStatus.CHANGES_REQUESTED
        reason = f"Changes requested on version {version}"
    elif decision == Decision.REJECT:
        locked.status = ClaimStatus.REJECTED
        reason = f"Rejected version {version}"
    else:
        locked.approvals_needed = max(locked.approvals_needed, signatures_required(evidence_grade, nuance_tags))
        approvals = Review.objects.filter(claim=locked, version=version, decision=Decision.APPROVE).count()
        if approvals >= locked.approvals_needed:
            locked.status = ClaimStatus.APPROVED
            locked.approved_version = version
            reason = f"Approved version {version} ({approvals} of {locked.approvals_needed} signatures)"
        else:
            reason = f"Signed version {version} ({approvals} of {locked.approvals_needed} signatures)"
    locked._save_as(reviewer, reason)

    transaction.on_commit(lambda: notifications.review_recorded(review.pk))
    return review


class Audience(models.TextChoices):
    PROFESSIONAL = "professional", "Health professionals"
    PATIENT = "patient", "Patients and the public"


class Channel(models.Model):
    """Where approved claims go out, with the policy a version must meet."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    audience = models.CharField(max_length=20, choices=Audience.choices)
    min_grade = models.CharField(max_length=20, choices=EvidenceGrade.choices, default=EvidenceGrade.MODERATE)
    signatures_required = models.PositiveSmallIntegerField(default=1)
    blocking_tags = models.ManyToManyField(NuanceTag, blank=True, related_name="blocked_channels")
    max_length = models.PositiveIntegerField(null=True, blank=True, help_text="Characters, e.g. 280 for social.")
    review_interval_days = models.PositiveIntegerField(default=365)
    append_required_wording = models.BooleanField(default=True)

    history = HistoricalRecords(m2m_fields=[blocking_tags])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Publication(models.Model):
    """A claim version pinned to a channel, by whom and when."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="publications")
    version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="publications")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdraw_reason = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_at"]
        constraints = [
            # Publishing the same version to the same channel twice is one record.
            models.UniqueConstraint(fields=["claim", "version", "channel"], name="publication_unique_version"),
            # A channel carries at most one live version of a claim.
            models.UniqueConstraint(
                fields=["claim", "channel"],
                condition=Q(withdrawn_at__isnull=True),
                name="publication_one_live_per_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_id} v{self.version} on {self.channel_id}"


class AuditEvent(models.Model):
    """Append-only business event, chained by hash so tampering is detectable."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    changes = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} {self.object_type}:{self.object_id}"
