"""Discussion of a claim's words: comment threads on a span of a version, and suggested wording.

A thread is a root Comment on a span (start, end, the quoted words) of one version's text;
replies point at the root. While a thread is open it follows the claim from version to
version (review.discussion.carry); once resolved it stays on the version it was resolved on.

A Suggestion is a reviewer's exact replacement for a span (or the whole text). Signed
("approve as suggested"), it carries an e-signature sealed to the content hash the
suggested text will have; when the author accepts it unchanged, that signature becomes an
approval of the new version (review.discussion.actions). Any other new version voids it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from content import roles
from content.exceptions import InvalidTransition, NotAllowed
from content.governance import GovernedQuerySet, save_as
from content.locking import lock_chain
from content.models import Claim


class Closed(InvalidTransition):
    """A thread or suggestion is in the wrong state for this (HTTP 409), said in its own words."""

    def __init__(self, action: str, status: str, message: str) -> None:
        super().__init__(action, status)
        self.args = (message,)


class CommentQuerySet(GovernedQuerySet["Comment"]):
    def threads(self) -> CommentQuerySet:
        return self.filter(parent__isnull=True)

    def open(self) -> CommentQuerySet:
        return self.threads().filter(resolved_at__isnull=True)

    def blocking(self) -> CommentQuerySet:
        """Open blocking threads, outdated ones too: their concern has not been answered."""
        return self.open().filter(blocking=True)


class Comment(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="comments")
    # The version whose text the span is in. An open thread moves to each new version.
    claim_version = models.PositiveIntegerField()
    # Offsets in characters of that version's text; empty on replies and on outdated threads.
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    # The words commented on, kept when the thread is outdated so it can show what it was about.
    quote = models.TextField(blank=True)
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies")
    blocking = models.BooleanField(default=False)
    # The words are no longer in the version the thread is on.
    outdated = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # A version's threads (the claim and review pages, the API list) and the approval's blocking check.
            models.Index(fields=["claim", "claim_version"], name="comment_claim_version_idx"),
        ]
        constraints = [
            # A thread on words has a real span; an outdated one has none (its words are gone).
            models.CheckConstraint(
                condition=Q(parent__isnull=False)
                | Q(outdated=True, start__isnull=True, end__isnull=True)
                | Q(outdated=False, start__isnull=False, end__gt=models.F("start")),
                name="comment_thread_span",
            ),
            # A reply is part of its thread: no span, no blocking flag, no resolution of its own.
            models.CheckConstraint(
                condition=Q(parent__isnull=True)
                | Q(start__isnull=True, end__isnull=True, blocking=False, resolved_at__isnull=True),
                name="comment_reply_plain",
            ),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on claim {self.claim_id} v{self.claim_version}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def resolve(self, *, by: Any) -> Comment:
        """Close the thread. A blocking thread is closed by a reviewer: the author cannot wave off a reviewer's stop.

        1. Lock the row; only a thread, and only an open one (409).
        2. Anyone who may comment resolves a plain thread; a blocking one needs a reviewer (403).
        """
        with transaction.atomic():
            lock_chain()
            thread = Comment.objects.select_for_update().select_related("claim__article").get(pk=self.pk)
            if thread.parent_id is not None:
                raise Closed("resolve", "reply", "A reply is resolved with the thread it belongs to.")
            if thread.resolved_at is not None:
                raise Closed("resolve", "resolved", "This thread is already resolved.")
            if not roles.may_comment(by, thread.claim):
                raise NotAllowed("You may read this claim's discussion, not change it.")
            if thread.blocking and not roles.is_reviewer(by):
                raise NotAllowed("A blocking thread is resolved by a medical reviewer.")
            thread.resolved_at = timezone.now()
            thread.resolved_by = by
            save_as(thread, by, f"Resolved on version {thread.claim_version}")
        self.refresh_from_db()
        return thread

    def move(self, *, version: int, start: int | None, end: int | None, by: Any, reason: str) -> None:
        """Put an open thread on a new version: on its words there (start, end), or outdated (None, None).

        Called by the carry-forward inside the revising transaction, which holds the locks.
        """
        if self.parent_id is not None or self.resolved_at is not None:
            raise Closed("move", "resolved", "Only an open thread moves to a new version.")
        self.claim_version = version
        self.start, self.end = start, end
        self.outdated = start is None
        save_as(self, by, reason)


class SuggestionStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    # Another version was written first: the suggestion no longer applies and its signature is void.
    SUPERSEDED = "superseded", "Superseded"


class Suggestion(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="suggestions")
    claim_version = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    quote = models.TextField(help_text="The words replaced.")
    text = models.TextField(blank=True, help_text="The replacement wording.")
    # The whole claim text once accepted, and the content hash it will have (with the version's citations).
    proposed_text = models.TextField()
    proposed_hash = models.CharField(max_length=64)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN)
    reason = models.TextField(blank=True, help_text="Why it was declined or superseded.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    accepted_version = models.PositiveIntegerField(null=True, blank=True)
    # "Approve as suggested": the signature over the proposed text, empty when unsigned.
    evidence_grade = models.CharField(max_length=20, blank=True)
    printed_name = models.CharField(max_length=200, blank=True)
    meaning = models.CharField(max_length=300, blank=True)
    meaning_code = models.CharField(max_length=40, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    # The claim's review round when signed: a retraction or supersession since starts a new round,
    # and a signature from before it counts no more than an approval from before it would.
    signed_round = models.PositiveIntegerField(null=True, blank=True)
    seal = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["claim", "status"], name="suggestion_claim_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="suggestion_span_ordered"),
            models.CheckConstraint(condition=Q(status__in=SuggestionStatus.values), name="suggestion_status_valid"),
            # Accepted names the version it became; nothing else does.
            models.CheckConstraint(
                condition=Q(status="accepted", accepted_version__isnull=False)
                | (~Q(status="accepted") & Q(accepted_version__isnull=True)),
                name="suggestion_accepted_has_version",
            ),
            # A signature is whole or absent: time, meaning and seal together.
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, seal="") | (Q(signed_at__isnull=False) & ~Q(seal="")),
                name="suggestion_signature_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"suggestion {self.pk} on claim {self.claim_id} v{self.claim_version}"

    @property
    def signed(self) -> bool:
        return self.signed_at is not None

    def compute_seal(self) -> str:
        """HMAC-SHA256 under settings.AUDIT_KEY over the signer, the proposed content hash and the meaning.

        As Signature.compute_seal, keyed: a signature written around the app cannot be sealed,
        and an altered proposed text or hash no longer matches.
        """
        assert self.signed_at is not None
        payload = "|".join(
            [
                str(self.by_id),
                self.printed_name,
                str(self.claim_id),
                str(self.claim_version),
                str(self.signed_round),
                self.proposed_hash,
                self.evidence_grade,
                self.meaning_code,
                self.meaning,
                self.signed_at.isoformat(),
            ]
        )
        return hmac.new(settings.AUDIT_KEY.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()

    def is_intact(self) -> bool:
        return self.signed_at is not None and hmac.compare_digest(self.seal, self.compute_seal())

    def decline(self, *, by: Any, reason: str) -> Suggestion:
        """The author says no, and why; a signature on it is void with it."""
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": "Say why you decline the suggestion."})
        with transaction.atomic():
            lock_chain()
            suggestion = Suggestion.objects.select_for_update().select_related("claim__article").get(pk=self.pk)
            if suggestion.status != SuggestionStatus.OPEN:
                raise Closed(
                    "decline", suggestion.status, f"This suggestion is {suggestion.get_status_display().lower()}."
                )
            if not roles.can_edit_claim(by, suggestion.claim):
                raise NotAllowed("Only the article's author accepts or declines suggestions.")
            suggestion.status = SuggestionStatus.DECLINED
            suggestion.reason = reason
            suggestion.decided_by, suggestion.decided_at = by, timezone.now()
            save_as(suggestion, by, reason)
        self.refresh_from_db()
        return suggestion

    def supersede(self, *, version: int, by: Any) -> None:
        """Version `version` was written some other way: this suggestion (and its signature) no longer applies.

        Called by the carry-forward inside the revising transaction.
        """
        if self.status != SuggestionStatus.OPEN:
            raise Closed("supersede", self.status, "Only an open suggestion is superseded.")
        self.status = SuggestionStatus.SUPERSEDED
        self.reason = f"Version {version} was written without it; a signature on it no longer counts."
        self.decided_at = timezone.now()
        save_as(self, by, self.reason)
