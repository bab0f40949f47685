"""Advice on claims, never a block: triage flags and the claims library.

Flags are content.triage's rules, stored per claim version (content.flagging); wordings,
matches and reuse links are the library's (content.library).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from content import roles
from content.exceptions import InvalidTransition, NotAllowed
from content.governance import GovernedQuerySet
from content.locking import lock_chain
from content.models.claims import Claim, ClaimVersion


class FlagCode(models.TextChoices):
    """The rule families of content.triage (a test keeps the two in step)."""

    ABSOLUTE_LANGUAGE = "absolute_language", "Absolute or certainty language"
    OVERREACH = "overreach", "Causal or restorative overreach"
    ADVERSE_EFFECT_MINIMISATION = "adverse_effect_minimisation", "Minimises adverse effects"
    EXTRAPOLATION = "extrapolation", "Extrapolation"
    NO_CITATION = "no_citation", "No citation"
    OLD_CITATION = "old_citation", "Old citation"
    UNSOURCED_NUMBER = "unsourced_number", "Number without a source"
    RETRACTED_CITATION = "retracted_citation", "Retracted or superseded citation"
    CAUSAL_CLAIM = "causal_claim", "Causal claim"
    HYPE = "hype", "Sensational wording"
    HARMS_OMITTED = "harms_omitted", "Benefits without harms"
    # Raised by the import, not by a triage rule: the citation names no entry of the article's reference list.
    UNRESOLVED_CITATION = "unresolved_citation", "Citation not in the article's reference list"


class FlagSeverity(models.TextChoices):
    """How loudly a flag speaks (content.triage.Severity): risk stops a reviewer, info is folded away."""

    RISK = "risk", "Risk"
    INFO = "info", "Info"


class FlagAlreadyDismissed(InvalidTransition):
    def __init__(self) -> None:
        self.action = "dismiss"
        self.status = "dismissed"
        Exception.__init__(self, "This flag is already dismissed.")


class ClaimFlagQuerySet(GovernedQuerySet["ClaimFlag"]):
    def open(self) -> ClaimFlagQuerySet:
        return self.filter(dismissed_at__isnull=True)

    def risks(self) -> ClaimFlagQuerySet:
        """Flags a reviewer should stop at (info flags are context, folded away)."""
        return self.filter(severity=FlagSeverity.RISK)


class ClaimFlag(models.Model):
    """Advice raised by a triage rule on one claim version: what triggered it and why. Never blocks."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="flags")
    version = models.PositiveIntegerField()
    code = models.CharField(max_length=40, choices=FlagCode.choices)
    # Rows written before severities existed were all shown as risks; they keep that default.
    severity = models.CharField(max_length=10, choices=FlagSeverity.choices, default=FlagSeverity.RISK)
    evidence = models.CharField(max_length=500, help_text="The words that triggered the rule, as written.")
    why = models.CharField(max_length=300)
    rules_version = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_reason = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = ClaimFlagQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "version", "id"]
        indexes = [
            # Claim lists and the review page read the flags of each claim's current version.
            models.Index(fields=["claim", "version"], name="claimflag_claim_version_idx"),
        ]
        constraints = [
            # The same advice is recorded once per version: re-running triage or a second
            # retraction of the same work never duplicates a flag (or resurrects a dismissed one).
            models.UniqueConstraint(fields=["claim", "version", "code", "evidence"], name="claimflag_unique_advice"),
            models.CheckConstraint(condition=Q(code__in=FlagCode.values), name="claimflag_code_valid"),
            models.CheckConstraint(condition=Q(severity__in=FlagSeverity.values), name="claimflag_severity_valid"),
            # A dismissal always says who, when and why; an open flag has none of them.
            models.CheckConstraint(
                condition=Q(dismissed_at__isnull=True, dismissed_by__isnull=True, dismissed_reason="")
                | (Q(dismissed_at__isnull=False, dismissed_by__isnull=False) & ~Q(dismissed_reason="")),
                name="claimflag_dismissal_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} on claim {self.claim_id} v{self.version}"

    @property
    def is_open(self) -> bool:
        return self.dismissed_at is None

    def dismiss(self, *, by: Any, reason: str) -> ClaimFlag:
        """A reviewer sets the advice aside, saying why (kept in history; the flag stays visible as dismissed)."""
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": "Say why this flag does not apply."})
        with transaction.atomic():
            lock_chain()
            flag = ClaimFlag.objects.select_for_update().get(pk=self.pk)
            if flag.dismissed_at is not None:
                raise FlagAlreadyDismissed()
            if not roles.may_dismiss_flags(by):
                raise NotAllowed("Only medical reviewers dismiss risk flags.")
            flag.dismissed_by = by
            flag.dismissed_at = timezone.now()
            flag.dismissed_reason = reason
            flag._history_user = by  # type: ignore[attr-defined]
            flag._change_reason = f"Dismissed {flag.code} flag: {reason}"  # type: ignore[attr-defined]
            flag.save()
        self.refresh_from_db()
        return flag


class ClaimWording(models.Model):
    """The normalised wording of each claim version, hashed for the library's exact matching.

    Derived from ClaimVersion (recomputable), so no history. `sort_key` is the
    normalised words in sorted order: near matching compares these with one
    C++ pass per imported claim (rapidfuzz), with nothing re-normalised at import.
    """

    claim_version = models.OneToOneField(ClaimVersion, on_delete=models.PROTECT, related_name="wording")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    norm_hash = models.CharField(max_length=64)
    sort_key = models.TextField()

    class Meta:
        indexes = [
            # Exact library matches: approved wordings with the same normalised hash.
            models.Index(fields=["norm_hash"], name="claimwording_hash_idx"),
            # The library corpus joins approved claims to the wording of their approved version.
            models.Index(fields=["claim", "version"], name="claimwording_claim_version_idx"),
        ]

    def __str__(self) -> str:
        return f"wording of claim {self.claim_id} v{self.version}"


class LibraryMatch(models.Model):
    """A claim version whose wording matches an approved version of another article's claim.

    Stored at import (one rapidfuzz pass per imported article) rather than
    computed per request: claim lists then read matches with one prefetch.
    Derived advice, recomputable, so no history.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="library_matches")
    version = models.PositiveIntegerField()
    matched_claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="+")
    matched_version = models.PositiveIntegerField()
    similarity = models.FloatField(help_text="0..1; 1 for an exact (normalised) match.")
    exact = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["claim", "version", "-exact", "-similarity", "id"]
        indexes = [models.Index(fields=["claim", "version"], name="librarymatch_claim_version_idx")]
        constraints = [
            # Matching a version twice (a retried import) records each pair once.
            models.UniqueConstraint(
                fields=["claim", "version", "matched_claim", "matched_version"], name="librarymatch_unique_pair"
            ),
            models.CheckConstraint(
                condition=Q(similarity__gte=0) & Q(similarity__lte=1), name="librarymatch_similarity_range"
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_id} v{self.version} ~ claim {self.matched_claim_id} v{self.matched_version}"


class ClaimLink(models.Model):
    """Provenance: this claim version reuses the exact wording of an approved claim version.

    It names the approval it reuses (the review ids and content hash it was
    sealed to) but is not an approval: the claim still needs its own signature
    if its context differs, and reviewers see both.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="library_links")
    version = models.PositiveIntegerField()
    source_claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="reused_by")
    source_version = models.PositiveIntegerField()
    source_hash = models.CharField(max_length=64, help_text="Content hash the reused approval is sealed to.")
    # review.Review ids of the approving reviews (content does not import review, so no foreign key).
    approval_ids = models.JSONField(default=list)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "version"]
        constraints = [
            # One provenance per claim version: a double click links once.
            models.UniqueConstraint(fields=["claim", "version"], name="claimlink_one_per_version"),
            # A claim cannot reuse itself.
            models.CheckConstraint(condition=~Q(claim=models.F("source_claim")), name="claimlink_not_self"),
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_id} v{self.version} reuses claim {self.source_claim_id} v{self.source_version}"
