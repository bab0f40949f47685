"""Where approved claims go out: channels and their policies, publications, feed keys and webhooks."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from content.governance import GovernedQuerySet, save_as
from content.models import Claim
from review.models.reviews import EvidenceGrade, NuanceTag

logger = logging.getLogger(__name__)


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


class Withdrawable(models.Model):
    """Something put on a channel by a publisher, live until withdrawn (who, when and why).

    Publication (one claim version) and ArticlePublication (an article as a whole) share it.
    """

    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdraw_reason = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["-published_at"]
        constraints = [
            # A withdrawal always says who and why.
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | (Q(withdrawn_by__isnull=False) & ~Q(withdraw_reason="")),
                name="%(class)s_withdrawal_has_reason",
            ),
        ]

    @property
    def is_live(self) -> bool:
        """Not withdrawn. Whether a feed serves it also depends on expiry (review.publishing.feeds)."""
        return self.withdrawn_at is None

    def withdraw(self, *, by: Any, reason: str, now: datetime) -> None:
        """Record the withdrawal (the caller holds the row lock and has checked the person)."""
        self.withdrawn_at = now
        self.withdrawn_by = by
        self.withdraw_reason = reason
        save_as(self, by, reason)


def sha256_of(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class Rendition(models.Model):
    """The exact bytes a channel serves for a publication while it is live, each with its SHA-256.

    Written when the version goes live (or its approval is renewed) and never changed: the table
    is append-only in the database (review.audit.guards), its history row and audit event carry
    the hashes, and the publication's own event names the rendition it serves. Feeds, the article
    API and the public page send these bytes after checking the hash; "as of" recalls them.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The published text (Markdown) with the required wording the channel appends.
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64)
    # The feed item, as the JSON text the feed and the article API embed unchanged.
    item = models.TextField()
    item_sha256 = models.CharField(max_length=64)
    # The public page's fragment for the claim: its HTML and its provenance.
    html = models.TextField()
    html_sha256 = models.CharField(max_length=64)
    # Who vouched for it and on what evidence, as JSON the public page's schema.org data is made
    # of: the signers with their credentials, the cited works in full, the review dates.
    provenance = models.TextField()
    provenance_sha256 = models.CharField(max_length=64)

    # The bodies stay out of the history rows: the hashes there seal them, and the live table
    # itself is append-only.
    history = HistoricalRecords(excluded_fields=["text", "item", "html", "provenance"])
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"rendition {self.pk} of claim {self.claim_id} v{self.version} on {self.channel_id}"

    def seal(self) -> None:
        self.text_sha256 = sha256_of(self.text)
        self.item_sha256 = sha256_of(self.item)
        self.html_sha256 = sha256_of(self.html)
        self.provenance_sha256 = sha256_of(self.provenance)

    PARTS = ("text", "item", "html", "provenance")

    def matches(self, part: str) -> bool:
        """Whether the stored body of `part` (one of PARTS) still has the hash sealed with it."""
        return sha256_of(getattr(self, part)) == getattr(self, f"{part}_sha256")

    def broken_parts(self) -> list[str]:
        return [part for part in self.PARTS if not self.matches(part)]


class Publication(Withdrawable):
    """A claim version pinned to a channel, by whom and when."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="publications")
    version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="publications")
    # When the pinned version was approved (its latest approving signature), copied here when it
    # is published and moved on when a later round approves the same version again. The feed
    # filters on it ("approval not expired") without joining signatures, reviews and claims for
    # every live publication; `serve` still re-checks each served item against the signatures.
    approved_at = models.DateTimeField(null=True, blank=True)
    # The cited work whose retraction withdrew this publication (review.retraction), so the work's
    # page and the notice find what it pulled without reading reasons.
    withdrawn_for = models.ForeignKey(
        "content.Reference", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The bytes the channel serves for this publication now; each go-live or renewal points at a
    # new one, so the publication's history says which rendition was live when.
    rendition = models.ForeignKey(Rendition, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

    class Meta(Withdrawable.Meta):
        constraints = [
            *Withdrawable.Meta.constraints,
            # Publishing the same version to the same channel twice is one record.
            models.UniqueConstraint(fields=["claim", "version", "channel"], name="publication_unique_version"),
            # A channel carries at most one live version of a claim.
            models.UniqueConstraint(
                fields=["claim", "channel"],
                condition=Q(withdrawn_at__isnull=True),
                name="publication_one_live_per_channel",
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


class ArticlePublication(Withdrawable):
    """An article put on a channel as a whole: the channel serves it assembled from its claims' publications."""

    article = models.ForeignKey("content.Article", on_delete=models.PROTECT, related_name="publications")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="article_publications")
    # The words around the claims as they were published: the title and each section's heading
    # (by section id). The channel serves these, not the article's current ones, so a rename or a
    # re-import changes no channel until someone publishes the article again. Blank on rows made
    # before the outline was pinned; those show the article's current title and headings.
    title = models.CharField(max_length=300, blank=True)
    headings = models.JSONField(default=dict, blank=True)

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

    class Meta(Withdrawable.Meta):
        constraints = [
            *Withdrawable.Meta.constraints,
            # A channel carries an article at most once at a time; earlier rows are its publication history.
            models.UniqueConstraint(
                fields=["article", "channel"],
                condition=Q(withdrawn_at__isnull=True),
                name="articlepublication_one_live_per_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"article {self.article_id} on {self.channel_id}"

    @property
    def pins_outline(self) -> bool:
        return bool(self.title)

    def pinned_heading(self, section_id: int, current: str) -> str:
        """The heading served for a section: as published (none for a section added since), else the current one."""
        if not self.pins_outline:
            return current
        return str(self.headings.get(str(section_id), ""))


def renditions_live_at(channel: Channel, at: datetime) -> list[Rendition]:
    """The renditions a channel's feed carried at `at`, in feed order, recalled from history.

    A publication counts when its history row in force then was not withdrawn and its approval
    had not expired under the channel's interval of that moment; what it served is the rendition
    that row names. Read-time re-checks of the policy are not replayed: the result is the live
    set as the records held it, with the bytes as they were sealed. A rendition whose bytes no
    longer match their hash is left out and logged, as the live feed does.
    """
    policy = (
        Channel.history.filter(id=channel.pk, history_date__lte=at)  # type: ignore[attr-defined]
        .order_by("-history_date", "-history_id")
        .first()
    )
    if policy is None or policy.history_type == "-":
        return []
    cutoff = at - timedelta(days=policy.review_interval_days)
    live = (
        Publication.history.as_of(at)  # type: ignore[attr-defined]
        .filter(channel_id=channel.pk, withdrawn_at__isnull=True, approved_at__gt=cutoff, rendition__isnull=False)
        .order_by("-published_at", "-id")
        .values_list("rendition_id", flat=True)
    )
    ids = list(live)
    found = Rendition.objects.in_bulk(ids)
    served = []
    for pk in ids:
        rendition = found.get(pk)
        if rendition is None or rendition.broken_parts():
            logger.error("Rendition %s, live on %s at %s, is missing or altered: left out.", pk, channel.slug, at)
            continue
        served.append(rendition)
    return served


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
    # mid-send, and `manage.py requeue_webhooks` sends it again (review.publishing.webhooks.requeue_stale).
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
