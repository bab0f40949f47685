"""What is said: articles, sections, claims, their versions and references.

A claim's *content* (text + citations) is versioned: every revision writes a new
immutable ClaimVersion row and bumps `Claim.version`. Status changes are not
content versions; simple-history records every field change of every row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from content import importing, roles, signals
from content.exceptions import InvalidTransition, NotAllowed, StaleVersion
from content.governance import GovernedQuerySet, save_as
from content.locking import lock_chain


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


def source_fingerprint(text: str) -> str:
    """SHA-256 of an article's source text in a normal form, to recognise the same text imported again.

    Line ends, trailing spaces and blank lines at either end are how the text was
    saved or pasted, not what it says.
    """
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return hashlib.sha256("\n".join(lines).strip().encode("utf-8")).hexdigest()


def version_hash(text: str, citations: Iterable[Any]) -> str:
    """A stored version's hash recomputed from what it holds: its text and its citations' keys."""
    return content_hash(text, [str(c.get("key", "")) for c in citations or [] if isinstance(c, dict)])


def cited_ids(citations: Iterable[Any] | None) -> list[int]:
    """The Reference ids a version's citation snapshot names, in its order."""
    return [int(c["id"]) for c in citations or [] if isinstance(c, dict) and c.get("id")]


def derivation(sources: Iterable[tuple[int, int]]) -> list[dict[str, int]]:
    """How a ClaimVersion records the claim versions its words came from: [{claim, version}], sorted, once each."""
    return [{"claim": claim, "version": version} for claim, version in sorted(set(sources))]


def contributors_of(wanted: Mapping[int, int | None]) -> dict[int, set[int]]:
    """Claim id -> the ids of everyone who contributed to its words up to a version (None: every version).

    Separation of duties follows the words, not the row they sit in now:
    1. the claim's author, and whoever wrote any of its versions up to that one;
    2. everyone who contributed to a version those words came from (a split, a merge, a
       re-import: ClaimVersion.derived_from), followed back to the first source;
    3. everyone who has owned the claim's article (Article history): an owner answers for
       all of an article's words and may edit any of them.
    Queries: two per step back along the derivations, one for the owners.
    """
    people: dict[int, set[int]] = {pk: set() for pk in wanted}
    articles: dict[int, set[int]] = {pk: set() for pk in wanted}
    frontier = {(root, root, up_to) for root, up_to in wanted.items()}
    seen: set[tuple[int, int, int | None]] = set()
    while frontier:
        seen |= frontier
        ids = {claim_id for _, claim_id, _ in frontier}
        claims = {
            pk: (author, article)
            for pk, author, article in Claim.objects.filter(pk__in=ids).values_list("pk", "author_id", "article_id")
        }
        versions: dict[int, list[tuple[int, int, Any]]] = {}
        rows = ClaimVersion.objects.filter(claim_id__in=ids).values_list(
            "claim_id", "version", "changed_by_id", "derived_from"
        )
        for claim_id, version, changed_by, derived in rows:
            versions.setdefault(claim_id, []).append((version, changed_by, derived))
        step: set[tuple[int, int, int | None]] = set()
        for root, claim_id, up_to in frontier:
            if claim_id not in claims:
                continue
            author, article = claims[claim_id]
            people[root].add(author)
            articles[root].add(article)
            for version, changed_by, derived in versions.get(claim_id, []):
                if up_to is not None and version > up_to:
                    continue
                people[root].add(changed_by)
                for source in derived or []:
                    step.add((root, int(source["claim"]), int(source["version"])))
        frontier = step - seen
    all_articles = {a for ids in articles.values() for a in ids}
    owners: dict[int, set[int]] = {}
    history = Article.history.filter(id__in=all_articles).values_list("id", "owner_id")  # type: ignore[attr-defined]
    for article_id, owner_id in [*history, *Article.objects.filter(pk__in=all_articles).values_list("pk", "owner_id")]:
        owners.setdefault(article_id, set()).add(owner_id)
    for root, ids in articles.items():
        for article_id in ids:
            people[root] |= owners.get(article_id, set())
    return people


def unstorable(text: str) -> str | None:
    """Why the database cannot store `text` as it is, or None.

    PostgreSQL refuses NUL characters and text that is not valid UTF-8 (a lone
    surrogate from a broken JSON escape); left unchecked, either fails the save.
    """
    if "\x00" in text:
        return "The text contains a NUL character."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"The text is not valid Unicode (a lone surrogate at position {exc.start})."
    return None


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


# Which states a new review round sends back to the queue (Claim.start_new_round).
RETURNABLE = {ClaimStatus.APPROVED, ClaimStatus.DRAFT, ClaimStatus.CHANGES_REQUESTED}


class ReferenceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETRACTED = "retracted", "Retracted"
    SUPERSEDED = "superseded", "Superseded"


class Reference(models.Model):
    """One cited work, shared by every article that cites it."""

    # Identity of the work (doi:…, pmid:…, or "authors|year"): one row per work.
    key = models.CharField(max_length=500, unique=True)
    label = models.CharField(
        max_length=500, help_text='Its bibliographic form ("Smith et al., 2019"), else as first written in an article.'
    )
    authors = models.CharField(max_length=500, blank=True)
    # Casefolded first surname, kept by save(): with `year`, how a citation finds the work it names.
    first_author = models.CharField(max_length=100, blank=True, editable=False)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    title = models.CharField(max_length=1000, blank=True)
    journal = models.CharField(max_length=300, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    pmid = models.CharField("PMID", max_length=20, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    status = models.CharField(max_length=20, choices=ReferenceStatus.choices, default=ReferenceStatus.ACTIVE)
    status_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["authors", "year"]
        indexes = [
            # An import looks up the works its author-year citations may name: same first author and year.
            models.Index(fields=["first_author", "year"], name="reference_author_year_idx"),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.first_author = importing.first_surname(self.authors)[:100]
        super().save(*args, **kwargs)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.pk, "label": self.label, "authors": self.authors, "year": self.year}

    def as_citation(self) -> dict[str, Any]:
        """How a ClaimVersion records this work among its citations: what its reviewers saw of it."""
        return {**self.as_json(), "key": self.key, "title": self.title, "doi": self.doi}


class Article(models.Model):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=320, unique=True)
    source_text = models.TextField(help_text="The text as imported, kept for provenance.")
    source_hash = models.CharField(max_length=64, blank=True, help_text="source_fingerprint(source_text).")
    format = models.CharField(max_length=10, choices=ArticleFormat.choices, default=ArticleFormat.TEXT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="articles")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Archived: put away by its author before anything of it went to review (an import
    # made by mistake); kept, with its history, out of the lists.
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    archive_reason = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("view_all_articles", "Can read every article")]
        constraints = [
            # An archived article always says who put it away and why.
            models.CheckConstraint(
                condition=Q(archived_at__isnull=True) | (Q(archived_by__isnull=False) & ~Q(archive_reason="")),
                name="article_archive_has_reason",
            ),
        ]
        indexes = [
            # "My articles": the author's home page lists their own, newest first.
            models.Index(fields=["owner", "-created_at"], name="article_owner_recent_idx"),
            # An import asks whether its author already imported the very same text.
            models.Index(fields=["owner", "source_hash"], name="article_owner_source_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def rename(self, *, title: str, by: Any, reason: str = "") -> Article:
        """Change the title (the slug stays, so links keep working); recorded in history with a reason."""
        title = " ".join(title.split())
        if not title:
            raise ValidationError({"title": "An article needs a title."})
        if len(title) > 300:
            raise ValidationError({"title": "A title has at most 300 characters."})
        with transaction.atomic():
            article = Article.objects.select_for_update().get(pk=self.pk)
            if not roles.can_edit_article(by, article):
                raise NotAllowed("Only the article's author may rename it.")
            if article.title != title:
                why = reason.strip() or "Title changed after import"
                previous = article.title
                article.title = title
                save_as(article, by, f"{why} (was: {previous})"[:1000])
        self.refresh_from_db()
        return self

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def ever_submitted(self) -> bool:
        """Has any claim of this article ever been sent to review (its history says so, recalls included)?"""
        return Claim.history.filter(article_id=self.pk, status=ClaimStatus.IN_REVIEW).exists()

    def archive(self, *, by: Any, reason: str) -> Article:
        """Put away an article none of whose claims was ever submitted; its live claims are retired with it.

        1. Validate the reason; lock the chain, then the article.
        2. Refuse if already archived or ever submitted (409), or not the owner (403).
        3. Retire each live claim (reason: the archive's), then stamp the article.
        """
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": "Say why this article is archived."})
        with transaction.atomic():
            lock_chain()
            article = Article.objects.select_for_update().get(pk=self.pk)
            if article.archived_at is not None:
                raise InvalidTransition("archive", "archived", subject="an article")
            if not roles.can_edit_article(by, article):
                raise NotAllowed("Only the article's author may archive it.")
            if article.ever_submitted():
                raise InvalidTransition(
                    "archive",
                    "under review",
                    "a claim of it was submitted; retire its claims instead",
                    subject="an article",
                )
            for claim in article.claims.live().order_by("position"):
                claim.retire(by=by, reason=f"Article archived: {reason}")
            article.archived_at = timezone.now()
            article.archived_by = by
            article.archive_reason = reason
            save_as(article, by, reason)
        self.refresh_from_db()
        return self


class Section(models.Model):
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="sections")
    heading = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField()

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            # Sections are an article's outline: one per slot.
            models.UniqueConstraint(fields=["article", "position"], name="section_unique_position"),
        ]

    def __str__(self) -> str:
        return self.heading or "(introduction)"


class ClaimQuerySet(GovernedQuerySet["Claim"]):
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
    # Which review round counts: only approvals of the current version *in this round* approve it.
    # A retracted citation starts a new round, so earlier signatures of the same version stop counting.
    review_round = models.PositiveIntegerField(default=1)
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
        """Ids of everyone who contributed to this claim's words up to a version (contributors_of)."""
        return contributors_of({self.pk: up_to_version})[self.pk]

    # --- verbs ---------------------------------------------------------------

    def _save_as(self, by: Any, reason: str, **kwargs: Any) -> None:
        save_as(self, by, reason, **kwargs)

    def revise(
        self,
        *,
        text: str,
        expected_version: int,
        reason: str,
        by: Any,
        citations: Sequence[Reference] | None = None,
        derived_from: Sequence[tuple[int, int]] = (),
    ) -> Claim:
        """Write version n+1 (`derived_from`: other claims' versions whose words it takes in, see contributors_of).

        1. Validate the input (a reason is required; the text may not be empty).
        2. Lock the row; refuse if retired/in review (409) or not editable by `by` (403).
        3. Refuse if the claim moved on since `expected_version` (optimistic lock, 409).
        4. Bump the version, back to draft, record the version, send claim_revised.
        """
        reason = reason.strip()
        text = text.strip()
        if not reason:
            raise ValidationError({"change_reason": "Say why you are changing this claim."})
        if not text:
            raise ValidationError({"text": "A claim cannot be empty."})
        if problem := unstorable(text):
            raise ValidationError({"text": problem})
        with transaction.atomic():
            lock_chain()
            claim = Claim.objects.select_for_update().get(pk=self.pk)
            if claim.status not in REVISABLE:
                raise InvalidTransition("revise", claim.status)
            if not roles.can_edit_claim(by, claim):
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
                claim._history_user = by  # type: ignore[attr-defined]  # the m2m history row's actor
                claim.citations.set(refs)
            previous = ClaimVersion.objects.filter(claim=claim, version=expected_version).first()
            written = ClaimVersion.record(claim, by, reason, derived_from=derived_from)
            signals.version_written.send(Claim, claim=claim, by=by, previous=previous, version=written)
            transaction.on_commit(
                lambda: signals.claim_revised.send(Claim, claim=claim, by=by, previous_status=previous_status)
            )
        self.refresh_from_db()
        return claim

    def submit(self, *, by: Any) -> Claim:
        """Send the current version to the review queue."""
        with transaction.atomic():
            lock_chain()
            claim = Claim.objects.select_for_update().get(pk=self.pk)
            if claim.status != ClaimStatus.DRAFT:
                raise InvalidTransition("submit", claim.status)
            if not roles.can_edit_claim(by, claim):
                raise NotAllowed("Only the article's author may submit its claims.")
            claim.status = ClaimStatus.IN_REVIEW
            claim.submitted_at = timezone.now()
            claim._save_as(by, f"Submitted version {claim.version} for review")
            transaction.on_commit(lambda: signals.claim_submitted.send(Claim, claim=claim, by=by))
        self.refresh_from_db()
        return claim

    def latest_feedback(self) -> Any:
        """The newest review that sent this claim back (changes requested or rejected), or None.

        What the author revises against: its note and nuance tags (with their required
        wording), its reviewer and the version it judged. Read by name: content never imports review.
        """
        reviews = apps.get_model("review", "Review").objects.filter(
            claim_id=self.pk, decision__in=["request_changes", "reject"]
        )
        return reviews.select_related("reviewer").prefetch_related("nuance_tags").order_by("-created_at", "-pk").first()

    def opened_in_review(self) -> bool:
        """Has a reviewer started on this submission: opened its review page, or reviewed this version this round?

        Review's tables are read by name (content never imports review): a ClaimOpen mark
        made since the submission, or any Review of the current version in the current round.
        An older mark is a tab left open in an earlier round, not work on this submission.
        """
        claim_open = apps.get_model("review", "ClaimOpen")
        marks = claim_open.objects.filter(claim_id=self.pk)
        if self.submitted_at is not None:
            marks = marks.filter(opened_at__gte=self.submitted_at)
        reviews = apps.get_model("review", "Review").objects.filter(
            claim_id=self.pk, version=self.version, round=self.review_round
        )
        return bool(marks.exists() or reviews.exists())

    def recall(self, *, by: Any) -> Claim:
        """Take a submission back to draft while no reviewer has started on it.

        1. Lock the row; refuse unless in review (409), or if `by` may not edit it (403).
        2. Refuse once a reviewer opened it or reviewed this version (409): their work would be lost.
        3. Back to draft, no submission time; send claim_recalled.
        """
        with transaction.atomic():
            lock_chain()
            claim = Claim.objects.select_for_update().get(pk=self.pk)
            if claim.status != ClaimStatus.IN_REVIEW:
                raise InvalidTransition("recall", claim.status)
            if not roles.can_edit_claim(by, claim):
                raise NotAllowed("Only the article's author may recall its claims.")
            # Read under the row lock: a review recorded meanwhile locks the same row first.
            if claim.opened_in_review():
                raise InvalidTransition("recall", claim.status, "a reviewer has already opened it")
            claim.status = ClaimStatus.DRAFT
            claim.submitted_at = None
            claim._save_as(by, f"Recalled version {claim.version} from review")
            transaction.on_commit(lambda: signals.claim_recalled.send(Claim, claim=claim, by=by))
        self.refresh_from_db()
        return claim

    def retire(self, *, by: Any, reason: str) -> Claim:
        """Take a claim out of use for good; its history stays."""
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": "Say why this claim is retired."})
        with transaction.atomic():
            lock_chain()
            claim = Claim.objects.select_for_update().get(pk=self.pk)
            if claim.status == ClaimStatus.RETIRED:
                raise InvalidTransition("retire", claim.status)
            if not roles.can_edit_claim(by, claim):
                raise NotAllowed("Only the article's author may retire its claims.")
            claim.status = ClaimStatus.RETIRED
            claim._save_as(by, reason)
            transaction.on_commit(lambda: signals.claim_retired.send(Claim, claim=claim, by=by))
        self.refresh_from_db()
        return claim

    # Review verbs: review.actions records the review and its signature, then moves the claim
    # through one of these, on the row it locked (select_for_update) in the same transaction.

    def check_in_review(self, action: str, version: int) -> None:
        """The claim must be in review at exactly the version that was judged (409 otherwise)."""
        if self.status != ClaimStatus.IN_REVIEW:
            raise InvalidTransition(action, self.status)
        if self.version != version:
            raise StaleVersion(self, version)

    def request_changes(self, *, by: Any, version: int) -> None:
        """A reviewer sends the version back to its author."""
        self.check_in_review("request_changes", version)
        self.status = ClaimStatus.CHANGES_REQUESTED
        self._save_as(by, f"Changes requested on version {version}")

    def reject(self, *, by: Any, version: int) -> None:
        """A reviewer signs that the version is not acceptable as worded."""
        self.check_in_review("reject", version)
        self.status = ClaimStatus.REJECTED
        self._save_as(by, f"Rejected version {version}")

    def approve(self, *, by: Any, version: int, signatures: int, needed: int) -> bool:
        """One more approving signature on the version; approved once `signatures` reach the bar.

        `signatures` counts the approvals of this version in this round, the new one included;
        `needed` is what the new approval asks for. The bar only rises within a round (a
        high-risk tag or a low grade on any approval asks for two). Returns whether approved.
        """
        self.check_in_review("approve", version)
        self.approvals_needed = max(self.approvals_needed, needed)
        tally = f"{signatures} of {self.approvals_needed} signatures"
        if signatures >= self.approvals_needed:
            self.status = ClaimStatus.APPROVED
            self.approved_version = version
            self._save_as(by, f"Approved version {version} ({tally})")
            return True
        self._save_as(by, f"Signed version {version} ({tally})")
        return False

    def start_new_round(self, *, by: Any, reason: str, voids: Callable[[int], bool] | None = None) -> bool:
        """Start a new review round: earlier signatures stop counting. True if it went back to the queue.

        Approved, draft and changes-requested claims go back to in_review; rejected claims stay
        rejected (the rejection stands) and retired claims are left alone. When `voids(approved
        version)` says so (read under the row lock), the approved version is cleared too, so
        nothing is (re)published from it.
        """
        with transaction.atomic():
            lock_chain()
            claim = Claim.objects.select_for_update().get(pk=self.pk)
            if claim.status == ClaimStatus.RETIRED:
                return False
            returned = claim.status in RETURNABLE
            claim.review_round += 1
            if claim.approved_version is not None and voids is not None and voids(claim.approved_version):
                claim.approved_version = None
            if returned:
                claim.status = ClaimStatus.IN_REVIEW
                claim.submitted_at = timezone.now()
            claim._save_as(by, reason)
        self.refresh_from_db()
        return returned

    def void_approval(self, *, by: Any, reason: str, voids: Callable[[int], bool]) -> None:
        """The last approved version no longer stands when `voids(approved version)` (read under the lock)."""
        with transaction.atomic():
            lock_chain()
            claim = Claim.objects.select_for_update().get(pk=self.pk)
            if claim.approved_version is not None and voids(claim.approved_version):
                claim.approved_version = None
                claim._save_as(by, reason)
        self.refresh_from_db()

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
    # Where its words came from besides the claim's own earlier versions (a split, a merge, a
    # re-import that moved a sentence): [{claim, version}]. Whoever contributed to those
    # contributed to this (contributors_of), so nobody signs words they wrote elsewhere.
    derived_from = models.JSONField(default=list, blank=True)

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
    def record(
        cls, claim: Claim, by: Any, reason: str, *, derived_from: Sequence[tuple[int, int]] = ()
    ) -> ClaimVersion:
        refs = list(claim.citations.all())
        return cls.objects.create(
            derived_from=derivation(derived_from),
            claim=claim,
            version=claim.version,
            text=claim.text,
            citations=[ref.as_citation() for ref in refs],
            content_hash=claim.content_hash,
            changed_by=by,
            change_reason=reason,
        )
