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
  VETTED_SIGNATURES_HIGH_RISK; a revision resets it (content.models.Claim.revise)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from content.exceptions import InvalidTransition, NotAllowed
from content.governance import GovernedQuerySet
from content.models import Claim
from review import grades


class EvidenceGrade(models.TextChoices):
    HIGH = "high", "High certainty"
    MODERATE = "moderate", "Moderate certainty"
    LOW = "low", "Low certainty"
    VERY_LOW = "very_low", "Very low certainty"
    UNSUPPORTED = "unsupported", "Unsupported by the evidence"
    CONTRADICTED = "contradicted", "Contradicted by the evidence"


# Higher is stronger (review.grades): channel policies and the two-signature rule compare ranks.
GRADE_RANK = {EvidenceGrade(grade): rank for grade, rank in grades.RANK.items()}


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


class SignatureMeaning(models.TextChoices):
    """What a signature means (21 CFR 11.50(a)(3)): chosen by the server per decision, never free text."""

    ACCURATE = "accurate", DEFAULT_MEANING
    NOT_ACCEPTABLE = "not_acceptable", REJECT_MEANING


# The meanings a signer may choose for each signed decision. Signing one decision with a
# meaning of the other would record the opposite of what was decided.
MEANINGS = {
    Decision.APPROVE: (SignatureMeaning.ACCURATE,),
    Decision.REJECT: (SignatureMeaning.NOT_ACCEPTABLE,),
}
STANDARD_MEANINGS = {decision: meanings[0].label for decision, meanings in MEANINGS.items()}


def meaning_for(decision: str, given: str) -> SignatureMeaning | None:
    """The meaning `given` names for this decision, by its code or its exact text; None when it names none."""
    given = given.strip()
    for meaning in MEANINGS.get(Decision(decision), ()) if decision in Decision.values else ():
        if given in (meaning.value, meaning.label):
            return meaning
    return None


class NuanceTag(models.Model):
    """Managed vocabulary of what a claim needs (editable by staff in the admin)."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    # A template only: ticking the tag suggests it, and the reviewer signs the wording as it fits
    # the claim (Review.required_wording). Editing it here changes nothing already signed.
    required_wording = models.TextField(
        blank=True,
        help_text="Suggested wording for claims carrying this tag; the reviewer adapts it to each claim and signs it.",
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

    def counting_current(self) -> ReviewQuerySet:
        """`counting` for every claim at once: approvals of each claim's current version and round."""
        return self.approvals().filter(version=F("claim__version"), round=F("claim__review_round"))

    def counting_outer(self) -> ReviewQuerySet:
        """`counting` inside a subquery over claims: the outer row is the claim."""
        return self.approvals().filter(
            claim=OuterRef("pk"), version=OuterRef("version"), round=OuterRef("review_round")
        )


def serving_rounds(reviews: Iterable[Review]) -> dict[tuple[int, int], int]:
    """The review round that keeps each (claim, version)'s live publications served: its latest.

    Not the claim's current round (`counting`): a retraction or supersession starts a new round,
    and until someone reviews the version in it, the approvals of the round before still speak
    for what is live (a superseded work's claims stay on their channels). The first review in
    the new round, of any decision, takes over: approvals then come from the new round alone.
    A re-certification round is the exception: it takes over only once it approved the version
    again (reviews read with `held` annotated, see `Recertification`), so the approval it renews
    keeps serving until its own expiry whatever the round decides.
    """
    latest: dict[tuple[int, int], int] = {}
    for review in reviews:
        if getattr(review, "held", False):
            continue
        key = (review.claim_id, review.version)
        latest[key] = max(latest.get(key, 0), review.round)
    return latest


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
    # The sentences this reviewer signed to go with the version wherever it is published, as adapted
    # to this claim from the tags' templates. Null on reviews written before wording was signed: those
    # fall back to their tags' templates (signed_wording) and their seals never covered any wording.
    required_wording = models.JSONField(null=True, blank=True)
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

    @property
    def signed_wording(self) -> list[str]:
        """The wording this review puts with the version: what was signed, else (older reviews) the tags' templates."""
        if self.required_wording is not None:
            return list(self.required_wording)
        return suggested_wording(self.nuance_tags.all())


class Signature(models.Model):
    """An e-signature sealed to one claim version (21 CFR Part 11 style manifest)."""

    review = models.OneToOneField(Review, on_delete=models.PROTECT, related_name="signature")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures")
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=300)
    # The code of the meaning chosen (SignatureMeaning); sealed with the rest.
    meaning_code = models.CharField(max_length=40, blank=True)
    signed_at = models.DateTimeField(default=timezone.now)
    claim_version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    seal = models.CharField(
        max_length=64, help_text="HMAC-SHA256 over signer, version hash, decision, meaning and time."
    )

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at"]

    def __str__(self) -> str:
        return f"{self.printed_name}, {self.signed_at:%Y-%m-%d %H:%M} UTC: {self.meaning}"

    def compute_seal(self) -> str:
        """HMAC-SHA256 under settings.AUDIT_KEY over what was signed and what the signature means.

        Keyed, so a database user without the key cannot seal a forged or altered signature:
        publishing and approval count only signatures whose seal verifies.
        """
        payload = "|".join(
            [
                str(self.signer_id),
                self.printed_name,
                str(self.review.claim_id),
                str(self.claim_version),
                self.content_hash,
                self.review.decision,
                self.meaning_code,
                self.meaning,
                self.signed_at.isoformat(),
            ]
        )
        wording = self.review.required_wording
        if wording is not None:
            # Seals made before reviewers signed wording (null) keep verifying as they were made;
            # from then on the signed list is part of what the seal covers, even when it is empty.
            payload += "|" + json.dumps(wording, ensure_ascii=False, separators=(",", ":"))
        return hmac.new(settings.AUDIT_KEY.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()

    def is_intact(self) -> bool:
        """The seal still matches the signed fields, and the review it belongs to judged the same content."""
        return (
            hmac.compare_digest(self.seal, self.compute_seal())
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


class SigningAttempts(models.Model):
    """Per signer: password checks for a signature under way, so the throttle counts them before they end.

    Not a governed record (no history): the Refusal rows are the record. This row is what
    makes "count, then check the password" atomic (review.signing): a check reserves a place
    here under the row's lock before it starts, so concurrent wrong passwords queue on the
    lock and no more of them are evaluated than the limit allows.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, primary_key=True, related_name="+")
    in_progress = models.PositiveSmallIntegerField(default=0)
    # A check that never finished (a killed worker) stops counting once this is older than the window.
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.in_progress} signing checks under way"


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


def once_each(sentences: Iterable[str]) -> list[str]:
    """The sentences stripped, blanks dropped, each kept once in first-seen order."""
    kept: list[str] = []
    for sentence in sentences:
        sentence = sentence.strip()
        if sentence and sentence not in kept:
            kept.append(sentence)
    return kept


def suggested_wording(tags: Iterable[NuanceTag]) -> list[str]:
    """What the tags' templates suggest, once each: the wording a reviewer starts from."""
    return once_each(tag.required_wording for tag in tags)


def needs_extra_signature(grade: str, tags: Sequence[NuanceTag]) -> bool:
    """Two signatures when a tag is high-risk or the evidence is below moderate."""
    return any(t.high_risk for t in tags) or GRADE_RANK[EvidenceGrade(grade)] < GRADE_RANK[EvidenceGrade.MODERATE]


def signatures_required(grade: str, tags: Sequence[NuanceTag]) -> int:
    if needs_extra_signature(grade, tags):
        return int(settings.VETTED_SIGNATURES_HIGH_RISK)
    return int(settings.VETTED_SIGNATURES_DEFAULT)
