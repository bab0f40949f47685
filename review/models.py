"""Whether a claim may be said: evidence grades, nuance tags, reviews and signatures.

A review names the exact claim version and content hash it judged. Approvals
are counted per version; an approval of version n says nothing about n+1.

What the lifecycle fields on Claim mean (the review verbs write them):

- `status == approved`: the *current* version collected enough signatures.
- `approved_version`: the last version that was approved. It is set when a
  version collects enough signatures and is deliberately *not* cleared when the
  author revises: the claim goes back to draft at n+1 while approved_version
  stays n, so the last approved wording stays publishable (and on record) until
  a newer version is approved. Null until some version is approved.
- `review_round`: approvals count only within the claim's current round. Retracting a
  cited work starts a new round (review.retraction), so the signatures collected before
  the retraction stay on record but no longer approve; the earlier signers may sign again.
  A retraction also clears `approved_version` when that version cites the retracted work.
- `approvals_needed`: signatures the current version needs. Starts at
  VETTED_SIGNATURES_DEFAULT; an approving review of this version that carries a
  high-risk tag or grades the evidence below moderate raises it to
  VETTED_SIGNATURES_HIGH_RISK; a revision resets it (content.models.Claim.revise).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from content.governance import GovernedQuerySet
from content.models import Claim, ClaimStatus, InvalidTransition, NotAllowed, StaleVersion
from review import notifications
from review.permissions import is_reviewer


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


# Decisions that are e-signatures: they need the password and a meaning.
SIGNED_DECISIONS = {Decision.APPROVE, Decision.REJECT}
DEFAULT_MEANING = "I confirm this claim version is medically accurate as worded"
REJECT_MEANING = "I confirm this claim version is not medically acceptable as worded"
# The standard meaning of each signed decision. Signing one decision with the
# other's standard meaning would record the opposite of what was decided.
STANDARD_MEANINGS = {Decision.APPROVE: DEFAULT_MEANING, Decision.REJECT: REJECT_MEANING}


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
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReviewQuerySet(GovernedQuerySet["Review"]):
    def for_list(self) -> ReviewQuerySet:
        """Everything a review list renders (reviewer, signature, tags) in a fixed number of queries."""
        return self.select_related("reviewer", "signature").prefetch_related("nuance_tags")

    def approvals(self) -> ReviewQuerySet:
        return self.filter(decision=Decision.APPROVE)

    def counting(self, claim: Claim) -> ReviewQuerySet:
        """Approvals that count towards the claim's current version: this version, this review round."""
        return self.approvals().filter(claim=claim, version=claim.version, round=claim.review_round)


class Review(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="reviews")
    version = models.PositiveIntegerField()
    # The claim's review round when this was written (see Claim.review_round).
    round = models.PositiveIntegerField(default=1)
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
            # One approval per reviewer per version and round: concurrent double-clicks or
            # retries can never count one person's signature twice.
            models.UniqueConstraint(
                fields=["claim", "version", "round", "reviewer"],
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
    objects = GovernedQuerySet.as_manager()

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
        """The seal still matches the signed fields, and the review it belongs to judged the same content."""
        return (
            self.seal == self.compute_seal()
            and self.content_hash == self.review.content_hash
            and self.claim_version == self.review.version
        )


class RefusalKind(models.TextChoices):
    WRONG_PASSWORD = "wrong_password", "Wrong password"
    SEPARATION_OF_DUTIES = "separation_of_duties", "Separation of duties"
    THROTTLED = "throttled", "Too many failed attempts"


class Refusal(models.Model):
    """A refused signing attempt, kept for compliance and for throttling."""

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

    # A mark older than this is a tab someone forgot, not work in progress.
    FRESH_FOR = timedelta(minutes=15)

    @classmethod
    def touch(cls, claim: Claim, user: Any) -> None:
        cls.objects.update_or_create(claim=claim, user=user, defaults={"opened_at": timezone.now()})

    @classmethod
    def close(cls, claim: Claim, user: Any) -> None:
        cls.objects.filter(claim=claim, user=user.pk).delete()

    @classmethod
    def open_by_others(cls, claims: Iterable[Claim | int], user: Any) -> dict[int, list[str]]:
        """Claim id -> names of the other people who have it open right now (one query)."""
        ids = [c if isinstance(c, int) else c.pk for c in claims]
        opened: dict[int, list[str]] = {}
        rows = (
            cls.objects.filter(claim_id__in=ids, opened_at__gte=timezone.now() - cls.FRESH_FOR)
            .exclude(user=user.pk)
            .select_related("user")
            .order_by("opened_at")
        )
        for row in rows:
            opened.setdefault(row.claim_id, []).append(row.user.get_full_name() or row.user.get_username())
        return opened


class ReviewRefused(NotAllowed):
    """A refusal that is recorded (wrong password, separation of duties, throttle)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class AlreadySigned(InvalidTransition):
    """This reviewer already approved this version: a signature counts once (HTTP 409)."""

    def __init__(self, status: str, version: int) -> None:
        super().__init__("approve", status)
        self.args = (f"You already approved version {version}; each reviewer's signature counts once.",)


def needs_extra_signature(grade: str, tags: Sequence[NuanceTag]) -> bool:
    """Two signatures when a tag is high-risk or the evidence is below moderate."""
    return any(t.high_risk for t in tags) or GRADE_RANK[EvidenceGrade(grade)] < GRADE_RANK[EvidenceGrade.MODERATE]


def signatures_required(grade: str, tags: Sequence[NuanceTag]) -> int:
    if needs_extra_signature(grade, tags):
        return int(settings.VETTED_SIGNATURES_HIGH_RISK)
    return int(settings.VETTED_SIGNATURES_DEFAULT)


THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)


def signing_locked(user: Any) -> bool:
    """Five wrong passwords within 15 minutes lock the user's signing until the oldest ages out."""
    since = timezone.now() - THROTTLE_WINDOW
    recent = Refusal.objects.filter(user=user.pk, kind=RefusalKind.WRONG_PASSWORD, at__gte=since).count()
    return recent >= THROTTLE_FAILURES


def is_contributor(claim: Claim, version: int, user: Any) -> bool:
    """Did `user` write or edit any part of `claim` up to `version`? (Separation of duties.)"""
    return bool(user.pk in claim.contributors(up_to_version=version))


def _check_state(claim: Claim, version: int, decision: str) -> None:
    """The claim must be in review at exactly the version that was judged (409 otherwise)."""
    if claim.status != ClaimStatus.IN_REVIEW:
        raise InvalidTransition(decision, claim.status)
    if claim.version != version:
        raise StaleVersion(claim, version)


def _check_signer(claim: Claim, version: int, reviewer: Any, password: str) -> None:
    """Person checks for a signed decision. Raises ReviewRefused (recorded by the caller)."""
    if signing_locked(reviewer):
        raise ReviewRefused("Too many wrong passwords; signing is locked for 15 minutes.", RefusalKind.THROTTLED)
    if is_contributor(claim, version, reviewer):
        raise ReviewRefused(
            "You wrote or edited this version, so you may not approve or reject it.",
            RefusalKind.SEPARATION_OF_DUTIES,
        )
    if not password or not reviewer.check_password(password):
        raise ReviewRefused("Wrong password: the signature was not applied.", RefusalKind.WRONG_PASSWORD)


def validate_review(*, decision: str, evidence_grade: str, evidence_type: str, signature_meaning: str) -> None:
    """Input checks shared by the form, the API and the verb (ValidationError -> 400)."""
    errors: dict[str, str] = {}
    if decision not in Decision.values:
        errors["decision"] = f"Must be one of {', '.join(Decision.values)}."
    if evidence_grade not in EvidenceGrade.values:
        errors["evidence_grade"] = f"Choose an evidence grade: {', '.join(EvidenceGrade.values)}."
    if evidence_type and evidence_type not in EvidenceType.values:
        errors["evidence_type"] = f"Must be one of {', '.join(EvidenceType.values)}."
    meaning = signature_meaning.strip()
    if decision in SIGNED_DECISIONS:
        standard = STANDARD_MEANINGS[Decision(decision)]
        if not meaning:
            errors["signature_meaning"] = f"A signature needs its meaning, e.g. “{standard}”."
        elif any(meaning == m for d, m in STANDARD_MEANINGS.items() if d != decision):
            errors["signature_meaning"] = f"That meaning belongs to another decision; to {decision} sign “{standard}”."
    if errors:
        raise ValidationError(errors)


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
    """Judge one claim version: the verb behind approve, request_changes and reject.

    1. Validate the input (400).
    2. Check the state on a fresh read: in review, at the version judged (409).
    3. Check the person: the reviewer role (403); for approve/reject also the
       throttle, separation of duties and the password (403). These refusals are
       recorded as Refusal rows, outside any transaction, so they survive.
       The password hash is slow on purpose, so it runs before the row lock.
    4. Lock the claim row and check the state again: another reviewer may have
       moved it while the password was checked (409, nothing written).
    5. Write the review (+ its signature sealed to the version hash) and move the
       claim: request_changes and reject end the round; approve counts the
       distinct approvals of this version and approves once enough have signed.
    """
    validate_review(
        decision=decision,
        evidence_grade=evidence_grade,
        evidence_type=evidence_type,
        signature_meaning=signature_meaning,
    )
    current = Claim.objects.get(pk=claim.pk)
    _check_state(current, version, decision)
    if not is_reviewer(reviewer):
        raise NotAllowed("Only medical reviewers review claims.")
    if decision in SIGNED_DECISIONS:
        try:
            _check_signer(current, version, reviewer, password)
        except ReviewRefused as refusal:
            Refusal.objects.create(user=reviewer, claim=current, version=version, kind=refusal.kind)
            raise

    try:
        with transaction.atomic():
            return _write_review(
                claim=current,
                version=version,
                reviewer=reviewer,
                decision=decision,
                evidence_grade=evidence_grade,
                nuance_tags=list(nuance_tags),
                nuance_note=nuance_note.strip(),
                evidence_type=evidence_type,
                signature_meaning=signature_meaning.strip(),
            )
    except IntegrityError:
        # Belt and braces: the row lock already serialises approvals, but if two
        # approvals by one reviewer ever raced past it, the unique constraint
        # stops the second. Anything else is a real error.
        if decision == Decision.APPROVE and Review.objects.counting(current).filter(reviewer=reviewer.pk).exists():
            raise AlreadySigned(ClaimStatus.IN_REVIEW, version) from None
        raise


def _write_review(
    *,
    claim: Claim,
    version: int,
    reviewer: Any,
    decision: str,
    evidence_grade: str,
    nuance_tags: list[NuanceTag],
    nuance_note: str,
    evidence_type: str,
    signature_meaning: str,
) -> Review:
    # The row lock makes concurrent reviews of one claim take turns, so each
    # sees the approvals committed before it and exactly one turns it approved.
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    _check_state(locked, version, decision)
    if decision == Decision.APPROVE and Review.objects.counting(locked).filter(reviewer=reviewer.pk).exists():
        raise AlreadySigned(locked.status, version)

    now = timezone.now()
    review = Review(
        claim=locked,
        version=version,
        round=locked.review_round,
        content_hash=locked.content_hash,
        reviewer=reviewer,
        evidence_grade=evidence_grade,
        evidence_type=evidence_type,
        nuance_note=nuance_note,
        decision=decision,
        created_at=now,
    )
    review._history_user = reviewer  # type: ignore[attr-defined]
    review._change_reason = f"{Decision(decision).label} of version {version}"  # type: ignore[attr-defined]
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
        signature._change_reason = f"Signed version {version}"  # type: ignore[attr-defined]
        signature.save()
        if decision == Decision.APPROVE:
            _renew_publications(locked, version, reviewer, now)

    if decision == Decision.REQUEST_CHANGES:
        locked.status = ClaimStatus.CHANGES_REQUESTED
        reason = f"Changes requested on version {version}"
    elif decision == Decision.REJECT:
        locked.status = ClaimStatus.REJECTED
        reason = f"Rejected version {version}"
    else:
        locked.approvals_needed = max(locked.approvals_needed, signatures_required(evidence_grade, nuance_tags))
        approvals = Review.objects.counting(locked).count()
        if approvals >= locked.approvals_needed:
            locked.status = ClaimStatus.APPROVED
            locked.approved_version = version
            reason = f"Approved version {version} ({approvals} of {locked.approvals_needed} signatures)"
        else:
            reason = f"Signed version {version} ({approvals} of {locked.approvals_needed} signatures)"
    locked._save_as(reviewer, reason)

    transaction.on_commit(lambda: notifications.review_recorded(review.pk))
    return review


def _renew_publications(claim: Claim, version: int, by: Any, signed_at: Any) -> None:
    """A new approving signature on a version already published moves its live publications' approval time.

    This happens when a retraction's new round approves the same version again: the feed dates
    the approval from the latest signature, as `review.publishing.approved_at` does.
    """
    for pub in Publication.objects.filter(claim=claim, version=version, withdrawn_at__isnull=True):
        if pub.approved_at is None or pub.approved_at < signed_at:
            pub.approved_at = signed_at
            pub._history_user = by  # type: ignore[attr-defined]
            pub._change_reason = f"Version {version} approved again"  # type: ignore[attr-defined]
            pub.save(update_fields=["approved_at"])


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
    objects = GovernedQuerySet.as_manager()

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
    # When the pinned version was approved (its latest approving signature), copied here when it
    # is published and moved on when a later round approves the same version again. The feed
    # filters on it ("approval not expired") without joining signatures, reviews and claims for
    # every live publication; `serve` still re-checks each served item against the signatures.
    approved_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

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
            # A withdrawal always says who and why.
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | (Q(withdrawn_by__isnull=False) & ~Q(withdraw_reason="")),
                name="publication_withdrawal_has_reason",
            ),
        ]
        indexes = [
            # A channel's feed: its live publications in feed order. A page is a range scan of
            # this index that stops after LIMIT rows (no sort of every live publication); the
            # trailing columns are what the feed filters on (approval time, retired claims), so
            # both the page and its count read the index alone. withdrawn_at is always NULL
            # here, but SQLite counts an index as covering only if it holds that column too.
            # One index on purpose: given a second one on approved_at, SQLite's planner picks
            # it for the page and sorts all live publications again.
            models.Index(
                fields=["channel", "-published_at", "-id", "approved_at", "claim", "withdrawn_at"],
                condition=Q(withdrawn_at__isnull=True),
                name="publication_live_feed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_id} v{self.version} on {self.channel_id}"

    @property
    def is_live(self) -> bool:
        """Not withdrawn. Whether a feed serves it also depends on expiry (see review.publishing)."""
        return self.withdrawn_at is None


class ArticlePublication(models.Model):
    """An article put on a channel as a whole: the channel serves it assembled from its claims' publications."""

    article = models.ForeignKey("content.Article", on_delete=models.PROTECT, related_name="publications")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="article_publications")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdraw_reason = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at"]
        constraints = [
            # A channel carries an article at most once at a time; earlier rows are its publication history.
            models.UniqueConstraint(
                fields=["article", "channel"],
                condition=Q(withdrawn_at__isnull=True),
                name="articlepublication_one_live_per_channel",
            ),
            # A withdrawal always says who and why.
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | (Q(withdrawn_by__isnull=False) & ~Q(withdraw_reason="")),
                name="articlepublication_withdrawal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"article {self.article_id} on {self.channel_id}"

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None


def hash_channel_key(key: str) -> str:
    """Keys are 256-bit random strings, so a plain SHA-256 is enough to store and look them up."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ChannelToken(models.Model):
    """A consumer's key for one channel's feed. Only the hash is stored; the key is shown once."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="tokens")
    name = models.CharField(max_length=100, blank=True, help_text="Who holds this key.")
    # The first characters of the key let people recognise a key without it being stored.
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["key_hash"])
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["channel", "-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… for {self.channel_id}"

    @classmethod
    def issue(cls, channel: Channel, *, by: Any, name: str = "") -> tuple[ChannelToken, str]:
        """Create a token; returns it with the plain key, which is never stored and cannot be shown again."""
        import secrets

        key = secrets.token_urlsafe(32)
        token = cls(channel=channel, name=name, prefix=key[:8], key_hash=hash_channel_key(key), created_by=by)
        token._history_user = by  # type: ignore[attr-defined]
        token._change_reason = f"Issued a feed key for channel {channel.slug}"  # type: ignore[attr-defined]
        token.save()
        return token, key


def new_webhook_secret() -> str:
    import secrets

    return secrets.token_hex(32)


class WebhookEndpoint(models.Model):
    """A URL told about every publication and withdrawal on a channel."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=128, default=new_webhook_secret, help_text="Key for X-Vetted-Signature.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # The secret stays out of the history tables.
    history = HistoricalRecords(excluded_fields=["secret"])
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["channel", "url"]

    def __str__(self) -> str:
        return f"{self.url} ({self.channel_id})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one endpoint, and how its delivery went (the log itself; no separate history)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    event = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the current attempt began: a pending delivery whose attempt began long ago lost its worker
    # mid-send, and `manage.py requeue_webhooks` sends it again (review.webhooks.requeue_stale).
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            # The admin and operators look for what is still pending or failed, newest first.
            models.Index(fields=["status", "-created_at"], name="webhookdelivery_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="webhookdelivery_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to endpoint {self.endpoint_id}: {self.status}"

    @property
    def idempotency_key(self) -> str:
        """The same on every attempt of this delivery and different for every other: receivers dedupe on it."""
        return f"vetted-{self.pk}-{int(self.created_at.timestamp() * 1_000_000)}"


class AuditEvent(models.Model):
    """Append-only business event, chained by hash so tampering is detectable.

    Rows are written only by review.audit: ids are allocated there as
    previous id + 1 under a lock, so the chain is gap-free and starts at 1;
    `hash` is SHA-256 over the row's canonical content plus `prev_hash`.
    Database triggers refuse UPDATE and DELETE on this table.
    """

    # `id` is allocated by review.audit (previous + 1), never by the sequence: a gap means a deleted row.
    at = models.DateTimeField(default=timezone.now)
    # db_index off on the FKs below: the composite (fk, id) indexes in Meta serve both filter and order.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    # The username at the time, part of the hash: a later rename changes no sealed event.
    actor_username = models.CharField(max_length=150)
    type = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60, blank=True)
    # The simple-history row this event was derived from (None for business events such as logins).
    history_id = models.BigIntegerField(null=True, blank=True)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    article = models.ForeignKey(
        "content.Article", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    changes = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # Timeline and dossier of one claim, in chain order (?claim=).
            models.Index(fields=["claim", "id"], name="auditevent_claim_id_idx"),
            # Everything that happened to or inside one article (?article=).
            models.Index(fields=["article", "id"], name="auditevent_article_id_idx"),
            # A channel's configuration and publications (?channel=).
            models.Index(fields=["channel", "id"], name="auditevent_channel_id_idx"),
            # What one person did (?actor=).
            models.Index(fields=["actor", "id"], name="auditevent_actor_id_idx"),
            # One kind of event, e.g. every status change or failed login (?type=).
            models.Index(fields=["type", "id"], name="auditevent_type_id_idx"),
            # Date ranges (?since=&until=); with the id, a page of one day is cut from the index alone.
            models.Index(fields=["at", "id"], name="auditevent_at_idx"),
        ]
        constraints = [
            # Two events naming the same predecessor would fork the chain: the lock in
            # review.audit prevents it, this makes the database refuse it as well.
            models.UniqueConstraint(fields=["prev_hash"], name="auditevent_one_successor"),
            models.CheckConstraint(condition=~Q(type=""), name="auditevent_type_present"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise NotAllowed("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise NotAllowed("Audit events are append-only.")


class AuditVerification(models.Model):
    """One run of the chain verification, for the integrity page."""

    at = models.DateTimeField(default=timezone.now)
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ok = models.BooleanField()
    events_checked = models.PositiveBigIntegerField()
    first_broken = models.BigIntegerField(null=True, blank=True)
    head = models.CharField(max_length=64, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{'intact' if self.ok else 'BROKEN'}: {self.events_checked} events at {self.at:%Y-%m-%d %H:%M} UTC"
