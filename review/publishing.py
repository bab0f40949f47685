"""Publishing: which approved claim versions go out to which channels, and what a channel serves.

Three layers, each usable on its own:

1. Policy (pure, no database): `check_policy(policy, candidate, now)` takes plain values and
   names every rule a claim version fails on a channel.
2. Facts: `version_facts(pairs)` reads what the policy needs about claim versions (text, hash,
   grades, signatures, tags) in a fixed number of queries, whatever the number of versions.
3. Verbs (`publish_claim`, `publish_article`, `withdraw_publication`, `withdraw_article_publication`)
   and the read side (`servable_publications`, `serve`, `served_article`, `due_for_review`).

A channel serves a publication only while it is live: not withdrawn, the claim not retired, and
the approval not expired. Expiry is decided at read time, so no scheduled job is needed for a
feed to drop an expired approval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.dispatch import receiver
from django.http import Http404
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from content import markdown
from content import signals as content_signals
from content.models import Article, Claim, ClaimStatus, ClaimVersion, InvalidTransition, NotAllowed
from content.permissions import visible_claims
from review import webhooks
from review.models import (
    GRADE_RANK,
    ArticlePublication,
    Channel,
    Decision,
    EvidenceGrade,
    Publication,
    Review,
    Signature,
)
from review.permissions import PUBLISHER, is_reviewer

# --- refusals ------------------------------------------------------------------------------------


class PublishingConflict(InvalidTransition):
    """Wrong state for a publishing action (HTTP 409), with a message of its own."""

    def __init__(self, message: str, status: str) -> None:
        Exception.__init__(self, message)
        self.action = "publish"
        self.status = status


class PolicyRefused(PublishingConflict):
    """The version (or an article's claims) does not meet the channel's policy (HTTP 409)."""

    def __init__(self, message: str, failed_rules: list[str], claims: dict[int, list[str]] | None = None) -> None:
        super().__init__(message, "policy_failed")
        self.failed_rules = failed_rules
        self.claims = claims or {}


# --- policy (pure) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    user_id: int
    name: str
    signed_at: datetime


@dataclass(frozen=True)
class Tag:
    slug: str
    name: str
    required_wording: str = ""


@dataclass(frozen=True)
class Policy:
    """A channel's rules as plain values."""

    min_grade: str
    signatures_required: int
    blocking_tags: frozenset[str] = frozenset()  # tag slugs
    max_length: int | None = None
    review_interval_days: int = 365
    append_required_wording: bool = True


@dataclass(frozen=True)
class Candidate:
    """One claim version offered to a channel, as plain values."""

    version: int
    approved_version: int | None
    retired: bool
    text: str
    grades: tuple[str, ...] = ()  # of the version's approving reviews
    signers: tuple[Signer, ...] = ()  # signatures on the version's approving reviews
    tags: tuple[Tag, ...] = ()  # nuance tags on any review of the version


def _words(value: str) -> str:
    return value.replace("_", " ")


def lowest_grade(grades: Iterable[str]) -> str | None:
    """The weakest grade any approving reviewer gave: a channel is only as sure as its least sure reviewer."""
    ranked = [g for g in grades if g in EvidenceGrade.values]
    return min(ranked, key=lambda g: GRADE_RANK[EvidenceGrade(g)]) if ranked else None


def grade_label(grade: str | None) -> str:
    return EvidenceGrade(grade).label if grade in EvidenceGrade.values else "not graded"


def approved_at(signers: Iterable[Signer]) -> datetime | None:
    """When the version became approved: the latest signature among its approvals."""
    times = [s.signed_at for s in signers]
    return max(times) if times else None


def review_due(approved: datetime | None, interval_days: int) -> datetime | None:
    return approved + timedelta(days=interval_days) if approved is not None else None


def required_wording(tags: Iterable[Tag]) -> list[str]:
    """Wording the tags require, once each, in tag order."""
    seen: list[str] = []
    for tag in tags:
        wording = tag.required_wording.strip()
        if wording and wording not in seen:
            seen.append(wording)
    return seen


def published_text(text: str, tags: Iterable[Tag], append: bool) -> str:
    """The text exactly as a channel publishes it (Markdown), required wording appended if the channel does."""
    body = text.strip()
    wording = required_wording(tags) if append else []
    return "\n\n".join([body, *wording])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def check_policy(policy: Policy, candidate: Candidate, now: datetime, *, live: bool = False) -> list[str]:
    """Every rule the candidate fails on this channel; empty means it may go out.

    `live=False` is the publish-time check: only the claim's last approved version may go out.
    `live=True` is the read-time check of a version already published: it must have been approved
    (a later approval does not unpublish it; only publishing the newer version replaces it).
    """
    failed: list[str] = []
    if candidate.retired:
        failed.append("the claim is retired")
    approved = candidate.approved_version
    if live:
        if approved is None or candidate.version > approved:
            failed.append(f"version {candidate.version} is not approved")
    elif approved != candidate.version:
        failed.append(f"version {candidate.version} is not approved")

    grade = lowest_grade(candidate.grades)
    if grade is None:
        failed.append(f"no approving review grades the evidence (needs {_words(policy.min_grade)})")
    elif GRADE_RANK[EvidenceGrade(grade)] < GRADE_RANK[EvidenceGrade(policy.min_grade)]:
        failed.append(f"grade {_words(grade)} is below {_words(policy.min_grade)}")

    signatures = len({s.user_id for s in candidate.signers})
    if signatures < policy.signatures_required:
        failed.append(f"needs {_plural(policy.signatures_required, 'signature')}, has {signatures}")

    seen_tags: set[str] = set()
    for tag in candidate.tags:
        if tag.slug in policy.blocking_tags and tag.slug not in seen_tags:
            seen_tags.add(tag.slug)
            failed.append(f"blocked by tag {tag.name}")

    if policy.max_length is not None:
        length = len(published_text(candidate.text, candidate.tags, policy.append_required_wording))
        if length > policy.max_length:
            failed.append(f"{policy.max_length} characters allowed, {length} given")

    due = review_due(approved_at(candidate.signers), policy.review_interval_days)
    if due is not None and now >= due:
        failed.append(f"approval expired on {due:%Y-%m-%d}; the claim is due for re-review")
    return failed


# --- facts (database) ----------------------------------------------------------------------------


@dataclass
class VersionFacts:
    """What the policy and a feed need to know about one claim version."""

    claim_id: int
    version: int
    text: str
    content_hash: str
    citations: list[dict[str, Any]]
    grades: list[str] = field(default_factory=list)
    signers: list[Signer] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)

    @property
    def grade(self) -> str | None:
        return lowest_grade(self.grades)

    @property
    def grade_label(self) -> str:
        return grade_label(self.grade)

    @property
    def approved_at(self) -> datetime | None:
        return approved_at(self.signers)

    @property
    def required_wording(self) -> list[str]:
        return required_wording(self.tags)

    def candidate(self, claim: Claim) -> Candidate:
        return Candidate(
            version=self.version,
            approved_version=claim.approved_version,
            retired=claim.status == ClaimStatus.RETIRED,
            text=self.text,
            grades=tuple(self.grades),
            signers=tuple(self.signers),
            tags=tuple(self.tags),
        )


def version_facts(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], VersionFacts]:
    """Facts for (claim id, version) pairs in three queries, however many pairs."""
    wanted = set(pairs)
    if not wanted:
        return {}
    claim_ids = {c for c, _ in wanted}
    versions = {v for _, v in wanted}
    facts: dict[tuple[int, int], VersionFacts] = {}
    # claim_id__in + version__in may over-fetch a few rows; the index on (claim, version) keeps it cheap.
    for cv in ClaimVersion.objects.filter(claim_id__in=claim_ids, version__in=versions).only(
        "claim_id", "version", "text", "content_hash", "citations"
    ):
        key = (cv.claim_id, cv.version)
        if key in wanted:
            facts[key] = VersionFacts(cv.claim_id, cv.version, cv.text, cv.content_hash, list(cv.citations or []))
    reviews = list(
        Review.objects.filter(claim_id__in=claim_ids, version__in=versions)
        .select_related("signature")
        .prefetch_related("nuance_tags")
        .order_by("created_at", "id")
    )
    # Only the latest review round of a version speaks for it: a retracted citation starts a new
    # round, and the signatures before it no longer count (review.retraction).
    latest_round: dict[tuple[int, int], int] = {}
    for review in reviews:
        key = (review.claim_id, review.version)
        latest_round[key] = max(latest_round.get(key, 0), review.round)
    for review in reviews:
        vf = facts.get((review.claim_id, review.version))
        if vf is None or review.round != latest_round[(review.claim_id, review.version)]:
            continue
        for tag in sorted(review.nuance_tags.all(), key=lambda t: t.name):
            if all(t.slug != tag.slug for t in vf.tags):
                vf.tags.append(Tag(tag.slug, tag.name, tag.required_wording))
        if review.decision != Decision.APPROVE:
            continue
        vf.grades.append(review.evidence_grade)
        signature: Signature | None = getattr(review, "signature", None)
        if signature is not None:
            vf.signers.append(Signer(signature.signer_id, signature.printed_name, signature.signed_at))
    return facts


def policy_of(channel: Channel) -> Policy:
    return Policy(
        min_grade=channel.min_grade,
        signatures_required=channel.signatures_required,
        blocking_tags=frozenset(t.slug for t in channel.blocking_tags.all()),
        max_length=channel.max_length,
        review_interval_days=channel.review_interval_days,
        append_required_wording=channel.append_required_wording,
    )


def channels_with_policy() -> QuerySet[Channel]:
    return Channel.objects.prefetch_related("blocking_tags").order_by("name")


def offered_version(claim: Claim) -> int:
    """The version a publish would send: the last approved one, else the current one (which then fails)."""
    return claim.approved_version or claim.version


# --- who -----------------------------------------------------------------------------------------


def can_publish(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(PUBLISHER))


def can_see_publishing(user: Any) -> bool:
    """Publishers, reviewers and compliance read channel contents and the re-review list."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.has_perm(PUBLISHER) or user.has_perm("review.view_publication") or is_reviewer(user))
    )


def get_publication_for_user(user: Any, pk: int) -> Publication:
    """404 unless the user may see the publication's claim."""
    pub = (
        Publication.objects.filter(pk=pk, claim__in=visible_claims(user))
        .select_related("claim", "channel", "published_by", "withdrawn_by")
        .first()
    )
    if pub is None:
        raise Http404("No such publication.")
    return pub


def get_article_publication_for_user(user: Any, pk: int) -> ArticlePublication:
    from content.permissions import visible_articles

    ap = (
        ArticlePublication.objects.filter(pk=pk, article__in=visible_articles(user))
        .select_related("article", "channel", "published_by", "withdrawn_by")
        .first()
    )
    if ap is None:
        raise Http404("No such article publication.")
    return ap


def _require_publisher(user: Any) -> None:
    if not can_publish(user):
        raise NotAllowed("Only publishers publish to channels or withdraw from them.")


# --- verbs ---------------------------------------------------------------------------------------


def _save(obj: Any, actor: Any, reason: str) -> None:
    """Save with simple-history attribution (the audit trail is derived from these records)."""
    obj._history_user = actor
    obj._change_reason = reason
    obj.save()


def _publish_version(
    claim: Claim, facts: VersionFacts, channel: Channel, by: Any, now: datetime
) -> tuple[Publication, bool]:
    """Pin a checked version to a channel (the caller holds the claim's row lock).

    1. The same version already live there: nothing to do.
    2. An older version live there: withdraw it as superseded (the one-live constraint needs this first).
    3. The same version published earlier and withdrawn: put that record back live (one record per
       version and channel); otherwise create the record.
    """
    rows = list(Publication.objects.select_for_update().filter(claim=claim, channel=channel))
    same = next((p for p in rows if p.version == facts.version), None)
    if same is not None and same.withdrawn_at is None:
        return same, False
    for old in rows:
        if old.withdrawn_at is None:
            _withdraw(old, by, f"Superseded by version {facts.version}", now)
    if same is not None:
        pub = same
        pub.withdrawn_at = None
        pub.withdrawn_by = None
        pub.withdraw_reason = ""
        pub.published_by = by
        pub.published_at = now
        pub.content_hash = facts.content_hash
        pub.approved_at = facts.approved_at
        why = f"Published version {facts.version} to {channel.name} again"
    else:
        pub = Publication(
            claim=claim,
            version=facts.version,
            # The pinned version's hash, not the claim's current one (which may be a later draft).
            content_hash=facts.content_hash,
            channel=channel,
            published_by=by,
            published_at=now,
            # What the feed's expiry filter reads (see Publication.approved_at).
            approved_at=facts.approved_at,
        )
        why = f"Published version {facts.version} to {channel.name}"
    _save(pub, by, why)
    webhooks.publication_event(pub, webhooks.PUBLISHED)
    return pub, True


def _withdraw(pub: Publication, by: Any, reason: str, now: datetime) -> None:
    pub.withdrawn_at = now
    pub.withdrawn_by = by
    pub.withdraw_reason = reason
    _save(pub, by, reason)
    webhooks.publication_event(pub, webhooks.WITHDRAWN)


def publish_claim(claim: Claim, channel: Channel, *, by: Any, now: datetime | None = None) -> tuple[Publication, bool]:
    """Publish the claim's last approved version to a channel; returns (publication, created).

    1. Check the person (publisher, 403).
    2. Lock the claim so a revision, approval or second publish waits for us.
    3. Check the channel policy against the last approved version (409 naming every failed rule).
    4. Pin it; re-publishing what is already live is a no-op (created=False).
    """
    _require_publisher(by)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = Claim.objects.select_for_update().get(pk=claim.pk)
            version = offered_version(locked)
            facts = version_facts([(locked.pk, version)]).get((locked.pk, version))
            if facts is None:
                raise PolicyRefused(f"Claim #{locked.pk} has no version {version}.", ["version is missing"])
            failed = check_policy(policy_of(channel), facts.candidate(locked), now)
            if failed:
                raise PolicyRefused(
                    f"Claim #{locked.pk} version {version} cannot go to {channel.name}: {'; '.join(failed)}.", failed
                )
            return _publish_version(locked, facts, channel, by, now)
    except IntegrityError:
        # A concurrent publish of the same version won the unique constraint: that is the no-op case.
        version = offered_version(Claim.objects.get(pk=claim.pk))
        existing = Publication.objects.filter(
            claim=claim, channel=channel, version=version, withdrawn_at__isnull=True
        ).first()
        if existing is None:
            raise
        return existing, False


def publish_article(
    article: Article, channel: Channel, *, by: Any, now: datetime | None = None
) -> tuple[ArticlePublication, bool]:
    """Publish an article: every live claim's last approved version must meet the channel policy.

    1. Check the person (403).
    2. Lock the article's live claims; check each against the policy and refuse with every
       failing claim's reasons (409).
    3. Publish each claim's version (no-op where it is already live), then mark the article live.
    Returns (article publication, whether anything changed).
    """
    _require_publisher(by)
    now = now or timezone.now()
    with transaction.atomic():
        claims = list(
            Claim.objects.select_for_update()
            .filter(article=article)
            .exclude(status=ClaimStatus.RETIRED)
            .order_by("position")
        )
        if not claims:
            raise PolicyRefused(f"“{article.title}” has no live claims to publish.", ["the article has no live claims"])
        facts = version_facts([(c.pk, offered_version(c)) for c in claims])
        policy = policy_of(channel)
        failures: dict[int, list[str]] = {}
        for claim in claims:
            vf = facts.get((claim.pk, offered_version(claim)))
            failed = ["version is missing"] if vf is None else check_policy(policy, vf.candidate(claim), now)
            if failed:
                failures[claim.pk] = failed
        if failures:
            flat = [f"claim #{pk}: {rule}" for pk, rules in failures.items() for rule in rules]
            raise PolicyRefused(
                f"“{article.title}” cannot go to {channel.name}: "
                f"{len(failures)} of {len(claims)} claims fail its policy.",
                flat,
                failures,
            )
        changed = False
        for claim in claims:
            _, created = _publish_version(claim, facts[(claim.pk, offered_version(claim))], channel, by, now)
            changed = changed or created
        live = ArticlePublication.objects.select_for_update().filter(
            article=article, channel=channel, withdrawn_at__isnull=True
        )
        ap = live.first()
        if ap is None:
            ap = ArticlePublication(article=article, channel=channel, published_by=by, published_at=now)
            _save(ap, by, f"Published the article to {channel.name} ({len(claims)} claims)")
            webhooks.article_event(ap, webhooks.ARTICLE_PUBLISHED)
            changed = True
        return ap, changed


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this is withdrawn."})
    return reason


def withdraw_publication(pub: Publication, *, by: Any, reason: str, now: datetime | None = None) -> Publication:
    """Take a claim version off a channel at once. Reason required (400); twice is a conflict (409)."""
    _require_publisher(by)
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = Publication.objects.select_for_update().select_related("channel").get(pk=pub.pk)
        if locked.withdrawn_at is not None:
            raise PublishingConflict(
                f"This publication was already withdrawn on {locked.withdrawn_at:%Y-%m-%d %H:%M} UTC.", "withdrawn"
            )
        _withdraw(locked, by, reason, now or timezone.now())
    return locked


def withdraw_article_publication(
    ap: ArticlePublication, *, by: Any, reason: str, now: datetime | None = None
) -> ArticlePublication:
    """Take an article off a channel, and with it its claims' live publications there."""
    _require_publisher(by)
    reason = _clean_reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        locked = ArticlePublication.objects.select_for_update().select_related("channel").get(pk=ap.pk)
        if locked.withdrawn_at is not None:
            raise PublishingConflict(
                f"This article was already withdrawn on {locked.withdrawn_at:%Y-%m-%d %H:%M} UTC.", "withdrawn"
            )
        locked.withdrawn_at = now
        locked.withdrawn_by = by
        locked.withdraw_reason = reason
        _save(locked, by, reason)
        webhooks.article_event(locked, webhooks.ARTICLE_WITHDRAWN)
        for pub in Publication.objects.select_for_update().filter(
            claim__article_id=locked.article_id, channel_id=locked.channel_id, withdrawn_at__isnull=True
        ):
            _withdraw(pub, by, f"Article withdrawn: {reason}", now)
    return locked


def withdraw_retired_claim(claim: Claim, *, by: Any) -> int:
    """A retired claim leaves every channel. Not a publisher's act, so no role check."""
    now = timezone.now()
    count = 0
    with transaction.atomic():
        for pub in Publication.objects.select_for_update().filter(claim_id=claim.pk, withdrawn_at__isnull=True):
            _withdraw(pub, by, "Claim retired", now)
            count += 1
    return count


@receiver(content_signals.claim_retired, dispatch_uid="review.publishing.claim_retired")
def _on_claim_retired(sender: Any, claim: Claim, by: Any, **kwargs: Any) -> None:
    withdraw_retired_claim(claim, by=by)


# --- read side -----------------------------------------------------------------------------------


def servable_publications(channel: Channel, now: datetime) -> QuerySet[Publication]:
    """Live publications a channel serves, newest first: not withdrawn, claim not retired, approval not expired."""
    cutoff = now - timedelta(days=channel.review_interval_days)
    # Every condition is on the publication row (approved_at is stored when it is published),
    # so a page is a range scan of publication_live_feed_idx that stops after LIMIT rows, and
    # the page count reads that index only. Retired claims are a NOT IN
    # over the few retired ids (claim_status_submitted_idx), not a join to every claim; a
    # retirement withdraws the claim's publications anyway, this covers the moment before.
    retired = Claim.objects.filter(status=ClaimStatus.RETIRED).values("pk")
    return (
        Publication.objects.filter(channel=channel, withdrawn_at__isnull=True, approved_at__gt=cutoff)
        .exclude(claim__in=retired)
        .select_related("claim")
        .order_by("-published_at", "-id")
    )


@dataclass
class ServedClaim:
    """One claim version as a channel serves it."""

    publication: Publication
    facts: VersionFacts
    channel: Channel
    text: str
    grade: str | None
    wording: list[str]
    approved_at: datetime | None
    review_due: datetime | None

    @property
    def html(self) -> str:
        return markdown.render(self.text)

    @property
    def grade_label(self) -> str:
        return grade_label(self.grade)

    def as_json(self) -> dict[str, Any]:
        """The feed item contract: keep these names exactly."""
        pub = self.publication
        return {
            "claim": pub.claim_id,
            "article": pub.claim.article_id,
            "version": pub.version,
            "text": self.text,
            "html": self.html,
            "evidence_grade": self.grade,
            "required_wording": self.wording,
            "approved_by": [
                {"name": s.name, "signed_at": s.signed_at.isoformat()}
                for s in sorted(self.facts.signers, key=lambda s: s.signed_at)
            ],
            "published_at": pub.published_at.isoformat(),
            "review_due": self.review_due.isoformat() if self.review_due else None,
            "content_hash": pub.content_hash,
        }


def serve(publications: Iterable[Publication], channel: Channel, now: datetime) -> list[ServedClaim]:
    """Turn live publications into what the channel serves, re-checking each at read time.

    Text comes from the pinned ClaimVersion, never from the claim (which may be a later draft).
    A publication whose pinned hash no longer matches its version, or that no longer meets the
    channel's policy (say the policy was tightened), is left out rather than served.
    """
    pubs = list(publications)
    facts = version_facts((p.claim_id, p.version) for p in pubs)
    policy = policy_of(channel)
    served: list[ServedClaim] = []
    for pub in pubs:
        vf = facts.get((pub.claim_id, pub.version))
        if vf is None or vf.content_hash != pub.content_hash:
            continue
        if check_policy(policy, vf.candidate(pub.claim), now, live=True):
            continue
        approved = approved_at(vf.signers)
        served.append(
            ServedClaim(
                publication=pub,
                facts=vf,
                channel=channel,
                text=published_text(vf.text, vf.tags, channel.append_required_wording),
                grade=lowest_grade(vf.grades),
                wording=required_wording(vf.tags),
                approved_at=approved,
                review_due=review_due(approved, channel.review_interval_days),
            )
        )
    return served


@dataclass
class ServedSection:
    heading: str
    claims: list[ServedClaim]


@dataclass
class ServedArticle:
    article: Article
    channel: Channel
    publication: ArticlePublication
    sections: list[ServedSection]

    @property
    def claims(self) -> list[ServedClaim]:
        return [c for s in self.sections for c in s.claims]

    @property
    def last_reviewed(self) -> datetime | None:
        times = [c.approved_at for c in self.claims if c.approved_at]
        return max(times) if times else None

    @property
    def next_review(self) -> datetime | None:
        times = [c.review_due for c in self.claims if c.review_due]
        return min(times) if times else None

    @property
    def reviewers(self) -> list[str]:
        names: list[str] = []
        for claim in self.claims:
            for signer in claim.facts.signers:
                if signer.name not in names:
                    names.append(signer.name)
        return names

    @property
    def text(self) -> str:
        parts: list[str] = []
        for section in self.sections:
            if section.heading:
                parts.append(f"## {section.heading}")
            parts.extend(c.text for c in section.claims)
        return "\n\n".join(parts)

    @property
    def html(self) -> SafeString:
        parts: list[str] = []
        for section in self.sections:
            if section.heading:
                parts.append(format_html("<h2>{}</h2>", section.heading))
            # Safe: each claim's HTML comes from content.markdown.render (sanitised with nh3).
            parts.extend(c.html for c in section.claims)
        return mark_safe("\n".join(parts))  # noqa: S308

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.article.pk,
            "title": self.article.title,
            "channel": self.channel.slug,
            "published_at": self.publication.published_at.isoformat(),
            "last_reviewed": self.last_reviewed.isoformat() if self.last_reviewed else None,
            "review_due": self.next_review.isoformat() if self.next_review else None,
            "reviewed_by": self.reviewers,
            "sections": [{"heading": s.heading, "items": [c.as_json() for c in s.claims]} for s in self.sections],
            "text": self.text,
            "html": str(self.html),
        }


def served_article(article_id: int, channel: Channel, now: datetime) -> ServedArticle | None:
    """The article as the channel serves it, or None when it is not live there.

    Claims are assembled in article order from their live publications on this channel; a claim
    withdrawn, retired or expired since is left out, never shown from an unapproved version.
    """
    ap = (
        ArticlePublication.objects.filter(article_id=article_id, channel=channel, withdrawn_at__isnull=True)
        .select_related("article")
        .first()
    )
    if ap is None:
        return None
    pubs = servable_publications(channel, now).filter(claim__article_id=article_id).select_related("claim__section")
    served = sorted(serve(pubs, channel, now), key=lambda c: c.publication.claim.position)
    if not served:
        return None
    sections: list[ServedSection] = []
    current: int | None = None
    for claim in served:
        section = claim.publication.claim.section
        if section.pk != current:
            sections.append(ServedSection(section.heading, []))
            current = section.pk
        sections[-1].claims.append(claim)
    return ServedArticle(article=ap.article, channel=channel, publication=ap, sections=sections)


@dataclass
class DueItem:
    publication: Publication
    approved_at: datetime
    due: datetime
    overdue: bool


def due_for_review(user: Any, now: datetime, within_days: int = 30) -> list[DueItem]:
    """Live publications whose approval has expired (they are off their feeds) or expires soon.

    One query whatever the number of rows: each channel's own interval becomes one OR branch.
    """
    channels = list(Channel.objects.all())
    if not channels:
        return []
    horizon = now + timedelta(days=within_days)
    branches = Q()
    for channel in channels:
        branches |= Q(channel_id=channel.pk, approved_at__lte=horizon - timedelta(days=channel.review_interval_days))
    pubs = (
        Publication.objects.filter(withdrawn_at__isnull=True, claim__in=visible_claims(user))
        .exclude(claim__status=ClaimStatus.RETIRED)
        .filter(branches)
        .select_related("claim__article", "channel")
    )
    items = []
    for pub in pubs:
        approved = pub.approved_at
        assert approved is not None  # the branches filter on it
        due = approved + timedelta(days=pub.channel.review_interval_days)
        items.append(DueItem(pub, approved, due, overdue=now >= due))
    return sorted(items, key=lambda i: (i.due, i.publication.claim_id, i.publication.channel.name))


# --- publisher pages' questions ------------------------------------------------------------------


@dataclass
class ChannelVerdict:
    """For one claim (or article) and one channel: what is live there and whether a publish would pass."""

    channel: Channel
    failed: list[str]
    live: Publication | ArticlePublication | None = None
    live_version: int | None = None
    serving: bool = False  # live and not expired/failing at read time
    claims: dict[int, list[str]] = field(default_factory=dict)  # articles: failing claims, with reasons
    claims_behind: bool = False  # what is live is not the version (or set of versions) a publish would send

    @property
    def meets(self) -> bool:
        return not self.failed

    @property
    def up_to_date(self) -> bool:
        return self.live is not None and self.serving and not self.claims_behind


def claim_verdicts(claim: Claim, now: datetime) -> list[ChannelVerdict]:
    channels = list(channels_with_policy())
    version = offered_version(claim)
    facts = version_facts([(claim.pk, version)]).get((claim.pk, version))
    live = {
        p.channel_id: p
        for p in Publication.objects.filter(claim=claim, withdrawn_at__isnull=True).select_related("published_by")
    }
    live_facts = version_facts((claim.pk, p.version) for p in live.values())
    verdicts = []
    for channel in channels:
        policy = policy_of(channel)
        failed = ["version is missing"] if facts is None else check_policy(policy, facts.candidate(claim), now)
        pub = live.get(channel.pk)
        serving = False
        if pub is not None:
            lf = live_facts.get((claim.pk, pub.version))
            serving = lf is not None and not check_policy(policy, lf.candidate(claim), now, live=True)
        verdict = ChannelVerdict(channel, failed, pub, pub.version if pub else None, serving)
        verdict.claims_behind = pub is not None and pub.version != version
        verdicts.append(verdict)
    return verdicts


def article_verdicts(article: Article, now: datetime) -> list[ChannelVerdict]:
    channels = list(channels_with_policy())
    claims = list(article.claims.live().order_by("position"))
    facts = version_facts((c.pk, offered_version(c)) for c in claims)
    live_articles = {
        ap.channel_id: ap
        for ap in ArticlePublication.objects.filter(article=article, withdrawn_at__isnull=True).select_related(
            "published_by"
        )
    }
    live_claims: dict[tuple[int, int], int] = {
        (p.channel_id, p.claim_id): p.version
        for p in Publication.objects.filter(claim__in=claims, withdrawn_at__isnull=True).only(
            "channel_id", "claim_id", "version"
        )
    }
    verdicts = []
    for channel in channels:
        policy = policy_of(channel)
        failures: dict[int, list[str]] = {}
        for claim in claims:
            vf = facts.get((claim.pk, offered_version(claim)))
            failed = ["version is missing"] if vf is None else check_policy(policy, vf.candidate(claim), now)
            if failed:
                failures[claim.pk] = failed
        flat = [f"claim #{pk}: {rule}" for pk, rules in failures.items() for rule in rules]
        if not claims:
            flat = ["the article has no live claims"]
        ap = live_articles.get(channel.pk)
        verdict = ChannelVerdict(channel, flat, ap, None, ap is not None, failures)
        verdict.claims_behind = any(live_claims.get((channel.pk, c.pk)) != offered_version(c) for c in claims)
        verdicts.append(verdict)
    return verdicts
