"""What is said: articles, sections, claims, their versions and references.

A claim's *content* (text + citations) is versioned: every revision writes a new
immutable ClaimVersion row and bumps `Claim.version`. Status changes are not
content versions; simple-history records every field change of every row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from content import signals


class InvalidTransition(Exception):
    """The object is in the wrong state for this action (HTTP 409)."""

    def __init__(self, action: str, status: str) -> None:
        self.action = action
        self.status = status
        super().__init__(f"Cannot {action.replace('_', ' ')} a claim that is {status.replace('_', ' ')}.")


class NotAllowed(PermissionDenied):
    """The actor may not do this to this object (HTTP 403)."""


class StaleVersion(Exception):
    """Optimistic lock: the claim moved on since the editor loaded it (HTTP 409)."""

    def __init__(self, claim: Claim, expected_version: int) -> None:
        self.current_version = claim.version
        self.current_text = claim.text
        self.expected_version = expected_version
        super().__init__(
            f"This claim is at version {claim.version}; your edit started from version "
            f"{expected_version}. Nothing was saved."
        )


def content_hash(text: str, citation_keys: Iterable[str]) -> str:
    """SHA-256 over a canonical form of a version's content.

    Canonical: text with normalised newlines and no trailing whitespace, and the
    set of cited works by their stable key, sorted. Ordering of citations or
    CRLF line ends does not change what was said, so it does not change the hash.
    """
    canonical = json.dumps(
        {"text": text.replace("\r\n", "\n").strip(), "citations": sorted(set(citation_keys))},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def default_approvals_needed() -> int:
    return int(settings.VETTED_SIGNATURES_DEFAULT)


class ArticleFormat(models.TextChoices):
    TEXT = "text", "Plain text"
    MARKDOWN = "markdown", "Markdown"
    HTML = "html", "Saved web page (HTML)"


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RETIRED = "retired", "Retired"


# From which states a content revision is allowed. In review the text is frozen:
# reviewers must be judging exactly what they see.
REVISABLE = {ClaimStatus.DRAFT, ClaimStatus.APPROVED, ClaimStatus.CHANGES_REQUESTED, ClaimStatus.REJECTED}


class ReferenceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETRACTED = "retracted", "Retracted"
    SUPERSEDED = "superseded", "Superseded"


class Reference(models.Model):
    """One cited work, shared by every article that cites it."""

    # Identity of the work (doi:…, pmid:…, or "authors|year"): one row per work.
    key = models.CharField(max_length=500, unique=True)
    label = models.CharField(max_length=500, help_text="As first written in an article.")
    authors = models.CharField(max_length=500, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    title = models.CharField(max_length=1000, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    pmid = models.CharField("PMID", max_length=20, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    status = models.CharField(max_length=20, choices=ReferenceStatus.choices, default=ReferenceStatus.ACTIVE)
    status_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["authors", "year"]

    def __str__(self) -> str:
        return self.label

    def as_json(self) -> dict[str, Any]:
        return {"id": self.pk, "label": self.label, "authors": self.authors, "year": self.year}


class Article(models.Model):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=320, unique=True)
    source_text = models.TextField(help_text="The text as imported, kept for provenance.")
    format = models.CharField(max_length=10, choices=ArticleFormat.choices, default=ArticleFormat.TEXT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="articles")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("view_all_articles", "Can read every article")]
        indexes = [
            # "My articles": the author's home page lists their own, newest first.
            models.Index(fields=["owner", "-created_at"], name="article_owner_recent_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="sections")
    heading = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            # Sections are an article's outline: one per slot.
            models.UniqueConstraint(fields=["article", "position"], name="section_unique_position"),
        ]

    def __str__(self) -> str:
        return self.heading or "(introduction)"


class ClaimQuerySet(models.QuerySet["Claim"]):
    def live(self) -> ClaimQuerySet:
        return self.exclude(status=ClaimStatus.RETIRED)

    def for_list(self) -> ClaimQuerySet:
        """Everything a claim list renders, in a fixed number of queries."""
        return self.select_related("article", "section", "author").prefetch_related("citations")


class Claim(models.Model):
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="claims")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="claims")
    position = models.PositiveIntegerField(help_text="Order within the article, from 1.")
    text = models.TextField(help_text="Markdown.")
    status = models.CharField(max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    version = models.PositiveIntegerField(default=1)
    content_hash = models.CharField(max_length=64)
    citations = models.ManyToManyField(Reference, blank=True, related_name="claims")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims")
    # Lifecycle facts kept on the row so lists need no joins; the review app
    # writes them through its verbs, with their own history.
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    approvals_needed = models.PositiveSmallIntegerField(default=default_approvals_needed)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[citations])
    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["article", "position"]
        indexes = [
            # The article page and the API list read an article's claims in order.
            models.Index(fields=["article", "position"], name="claim_article_position_idx"),
            # The review queue: in_review claims, oldest submission first.
            models.Index(fields=["status", "submitted_at"], name="claim_status_submitted_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="claim_version_positive"),
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"),
            # An approved claim always names the version that was approved.
            models.CheckConstraint(
                condition=~Q(status=ClaimStatus.APPROVED) | Q(approved_version__isnull=False),
                name="claim_approved_has_version",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} v{self.version}: {self.text[:60]}"

    # --- queries -------------------------------------------------------------

    def citation_keys(self) -> list[str]:
        return [ref.key for ref in self.citations.all()]

    def contributors(self, up_to_version: int | None = None) -> set[int]:
        """Ids of everyone who wrote any part of this claim up to a version."""
        versions = self.versions.all()
        if up_to_version is not None:
            versions = versions.filter(version__lte=up_to_version)
        return {self.author_id, *versions.values_list("changed_by_id", flat=True)}

    # --- verbs ---------------------------------------------------------------

    def _save_as(self, actor: Any, reason: str, **kwargs: Any) -> None:
        """Save with simple-history attribution (who and why) for this row."""
        self._history_user = actor
        self._change_reason = reason
        self.save(**kwargs)

    @classmethod
    def create(
        cls,
        *,
        article: Article,
        section: Section,
        position: int,
        text: str,
        citations: Sequence[Reference],
        author: Any,
        reason: str = "Imported",
    ) -> Claim:
        """Create version 1 of a claim and its first ClaimVersion."""
        claim = cls(
            article=article,
            section=section,
            position=position,
            text=text,
            author=author,
            content_hash=content_hash(text, [r.key for r in citations]),
        )
        claim._save_as(author, reason)
        claim.citations.set(citations)
        ClaimVersion.record(claim, author, reason)
        return claim

    def revise(
        self,
        *,
        text: str,
        expected_version: int,
        reason: str,
        by: Any,
        citations: Sequence[Reference] | None = None,
    ) -> Claim:
        """Write version n+1.

        1. Validate the input (a reason is required; the text may not be empty).
        2. Lock the row; refuse if retired/in review (409) or not editable by `by` (403).
        3. Refuse if the claim moved on since `expected_version` (optimistic lock, 409).
        4. Bump the version, back to draft, record the version, send claim_revised.
        """
        from content.permissions import can_edit_claim

        reason = reason.strip()
        text = text.strip()
        if not reason:
            raise ValidationError({"change_reason": "Say why you are changing this claim."})
        if not text:
            raise ValidationError({"text": "A claim cannot be empty."})
        with transaction.atomic():
            claim = Claim.objects.select_for_update().get(pk=self.pk)
            if claim.status not in REVISABLE:
                raise InvalidTransition("revise", claim.status)
            if not can_edit_claim(by, claim):
                raise NotAllowed("Only the article's author may revise its claims.")
            if claim.version != expected_version:
                raise StaleVersion(claim, expected_version)
            refs = list(claim.citations.all()) if citations is None else list(citations)
            new_hash = content_hash(text, [r.key for r in refs])
            if new_hash == claim.content_hash:
                raise ValidationError({"text": "Nothing changed: the text and citations are the same."})
            previous_status = claim.status
            claim.text = text
            claim.content_hash = new_hash
            claim.version += 1
            claim.status = ClaimStatus.DRAFT
            # A new version starts a new review round with the default bar.
            claim.approvals_needed = default_approvals_needed()
            claim._save_as(by, reason)
            if citations is not None:
                claim._history_user = by
                claim.citations.set(refs)
            ClaimVersion.record(claim, by, reason)
            transaction.on_commit(
                lambda: signals.claim_revised.send(Claim, claim=claim, by=by, previous_status=previous_status)
            )
        self.refresh_from_db()
        return claim

    def submit(self, *, by: Any) -> Claim:
        """Send the current version to the review queue."""
        from content.permissions import can_edit_claim

        with transaction.atomic():
            claim = Claim.objects.select_for_update().get(pk=self.pk)
            if claim.status != ClaimStatus.DRAFT:
                raise InvalidTransition("submit", claim.status)
            if not can_edit_claim(by, claim):
                raise NotAllowed("Only the article's author may submit its claims.")
            claim.status = ClaimStatus.IN_REVIEW
            claim.submitted_at = timezone.now()
            claim._save_as(by, f"Submitted version {claim.version} for review")
            transaction.on_commit(lambda: signals.claim_submitted.send(Claim, claim=claim, by=by))
        self.refresh_from_db()
        return claim

    def retire(self, *, by: Any, reason: str) -> Claim:
        """Take a claim out of use for good; its history stays."""
        from content.permissions import can_edit_claim

        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": "Say why this claim is retired."})
        with transaction.atomic():
            claim = Claim.objects.select_for_update().get(pk=self.pk)
            if claim.status == ClaimStatus.RETIRED:
                raise InvalidTransition("retire", claim.status)
            if not can_edit_claim(by, claim):
                raise NotAllowed("Only the article's author may retire its claims.")
            claim.status = ClaimStatus.RETIRED
            claim._save_as(by, reason)
            transaction.on_commit(lambda: signals.claim_retired.send(Claim, claim=claim, by=by))
        self.refresh_from_db()
        return claim

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise NotAllowed("Claims are never deleted; retire the claim instead.")


class ClaimVersion(models.Model):
    """One immutable content version of a claim: what exactly was said."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    text = models.TextField()
    citations = models.JSONField(default=list, help_text="Cited works as [{id, key, label, authors, year}].")
    content_hash = models.CharField(max_length=64)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    change_reason = models.TextField()

    class Meta:
        ordering = ["claim", "version"]
        constraints = [
            # Two simultaneous revisions of the same version: exactly one wins.
            models.UniqueConstraint(fields=["claim", "version"], name="claimversion_unique"),
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_id} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise NotAllowed("A claim version is immutable once written.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise NotAllowed("A claim version is immutable once written.")

    @classmethod
    def record(cls, claim: Claim, by: Any, reason: str) -> ClaimVersion:
        refs = list(claim.citations.all())
        return cls.objects.create(
            claim=claim,
            version=claim.version,
            text=claim.text,
            citations=[{**ref.as_json(), "key": ref.key} for ref in refs],
            content_hash=claim.content_hash,
            changed_by=by,
            change_reason=reason,
        )
