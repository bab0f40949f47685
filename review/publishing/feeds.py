"""The read side: what a channel serves, the re-review list, and the publisher pages' verdicts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from content.models import Article, Claim, ClaimStatus
from content.permissions import visible_claims
from review.models import (
    ArticlePublication,
    Channel,
    Publication,
    Rendition,
)
from review.publishing.facts import (
    VersionFacts,
    article_failures,
    channels_with_policy,
    failed_rules,
    flat_failures,
    grade_label,
    offered_version,
    outline_of,
    policy_of,
    version_facts,
)
from review.publishing.policy import (
    approved_at,
    check_policy,
    lowest_grade,
    review_due,
)
from review.publishing.renditions import intact


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
        .select_related("claim", "rendition")
        .order_by("-published_at", "-id")
    )


@dataclass
class ServedClaim:
    """One claim version as a channel serves it: its rendition's bytes, and the facts behind them."""

    publication: Publication
    rendition: Rendition
    facts: VersionFacts
    channel: Channel
    grade: str | None
    approved_at: datetime | None
    review_due: datetime | None

    @property
    def text(self) -> str:
        return self.rendition.text

    @property
    def item(self) -> str:
        """The feed item JSON exactly as stored at publication."""
        return self.rendition.item

    @property
    def html(self) -> SafeString:
        # Safe: rendered at publication from content.markdown (sanitised with nh3) and an
        # autoescaping template, then checked against its SHA-256 before it is served.
        return mark_safe(self.rendition.html)  # noqa: S308

    @property
    def wording(self) -> list[str]:
        return self.facts.required_wording

    @property
    def grade_label(self) -> str:
        return grade_label(self.grade)

    @property
    def provenance(self) -> dict[str, Any]:
        """Signers with credentials, cited works and review dates, as sealed in the rendition."""
        return json.loads(self.rendition.provenance)  # type: ignore[no-any-return]

    def as_json(self) -> dict[str, Any]:
        """The feed item contract (its names are fixed by renditions.build)."""
        return json.loads(self.rendition.item)  # type: ignore[no-any-return]


def serve(publications: Iterable[Publication], channel: Channel, now: datetime) -> list[ServedClaim]:
    """Turn live publications into what the channel serves, re-checking each at read time.

    What is served is the publication's rendition, written when it went live, whose bytes must
    still match their SHA-256. A publication whose rendition is missing or altered, whose pinned
    hash no longer matches its version, or that no longer meets the channel's policy (say the
    policy was tightened), is left out rather than served.
    """
    pubs = list(publications)
    facts = version_facts((p.claim_id, p.version) for p in pubs)
    policy = policy_of(channel)
    served: list[ServedClaim] = []
    for pub in pubs:
        vf = facts.get((pub.claim_id, pub.version))
        # The bytes served must be the bytes approved: the pinned hash, recomputed from the
        # version's text and citations (an edit of the version row around the app shows here).
        if vf is None or vf.content_hash != pub.content_hash or vf.recomputed_hash != pub.content_hash:
            continue
        if check_policy(policy, vf.candidate(pub.claim), now, live=True):
            continue
        if not intact(pub.rendition, publication=pub.pk):
            continue
        assert pub.rendition is not None  # intact() refuses a missing one
        approved = approved_at(vf.signers)
        served.append(
            ServedClaim(
                publication=pub,
                rendition=pub.rendition,
                facts=vf,
                channel=channel,
                grade=lowest_grade(vf.grades),
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
    def title(self) -> str:
        """The title as published (ArticlePublication.title), never a later rename."""
        return self.publication.title or self.article.title

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
    def credits(self) -> list[dict[str, str]]:
        """Each reviewer once, with the credentials sealed in the renditions: who vouched for the page."""
        seen: dict[str, dict[str, str]] = {}
        for claim in self.claims:
            for person in claim.provenance["reviewed_by"]:
                seen.setdefault(person["name"], {"name": person["name"], "credentials": person["credentials"]})
        return list(seen.values())

    @property
    def citations(self) -> list[dict[str, Any]]:
        """Each cited work once, in the order the claims cite them."""
        seen: dict[str, dict[str, Any]] = {}
        for claim in self.claims:
            for work in claim.provenance["citations"]:
                seen.setdefault(work["doi"] or work["label"], work)
        return list(seen.values())

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
            # Safe: each item's html was rendered by content.markdown.render (sanitised with nh3).
            parts.extend(c.as_json()["html"] for c in section.claims)
        return mark_safe("\n".join(parts))  # noqa: S308

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.article.pk,
            "title": self.title,
            "channel": self.channel.slug,
            "published_at": self.publication.published_at.isoformat(),
            "last_reviewed": self.last_reviewed.isoformat() if self.last_reviewed else None,
            "review_due": self.next_review.isoformat() if self.next_review else None,
            "reviewed_by": self.reviewers,
            "sections": [{"heading": s.heading, "items": [c.as_json() for c in s.claims]} for s in self.sections],
            "text": self.text,
            "html": str(self.html),
        }


LiveArticle = tuple[ArticlePublication, list[Publication]]


def live_article(article_id: int, channel: Channel, now: datetime) -> LiveArticle | None:
    """The article's live publication on the channel and its claims' servable publications, or None.

    Two queries, no bodies built: what an ETag is computed from before deciding to assemble.
    """
    ap = (
        ArticlePublication.objects.filter(article_id=article_id, channel=channel, withdrawn_at__isnull=True)
        .select_related("article")
        .first()
    )
    if ap is None:
        return None
    pubs = servable_publications(channel, now).filter(claim__article_id=article_id).select_related("claim__section")
    return ap, sorted(pubs, key=lambda p: p.claim.position)


def assemble(ap: ArticlePublication, pubs: list[Publication], channel: Channel, now: datetime) -> ServedArticle | None:
    """The article as the channel serves it from its live publications (see served_article)."""
    served = serve(pubs, channel, now)
    if not served:
        return None
    sections: list[ServedSection] = []
    current: int | None = None
    for claim in served:
        section = claim.publication.claim.section
        if section.pk != current:
            sections.append(ServedSection(ap.pinned_heading(section.pk, section.heading), []))
            current = section.pk
        sections[-1].claims.append(claim)
    return ServedArticle(article=ap.article, channel=channel, publication=ap, sections=sections)


def served_article(article_id: int, channel: Channel, now: datetime) -> ServedArticle | None:
    """The article as the channel serves it, or None when it is not live there.

    Claims are assembled in article order from their live publications on this channel; a claim
    withdrawn, retired or expired since is left out, never shown from an unapproved version.
    """
    live = live_article(article_id, channel, now)
    return assemble(*live, channel, now) if live else None


@dataclass
class DueItem:
    publication: Publication
    approved_at: datetime
    due: datetime
    overdue: bool


def due_for_review(user: Any, now: datetime, within_days: int = 30) -> list[DueItem]:
    """Live publications the user may see whose approval has expired (they are off their feeds) or expires soon."""
    return falling_due(Publication.objects.filter(claim__in=visible_claims(user)), now, within_days)


def falling_due(publications: QuerySet[Publication], now: datetime, within_days: int) -> list[DueItem]:
    """`due_for_review` over any set of publications, soonest first (the reminders read them all).

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
        publications.filter(withdrawn_at__isnull=True)
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
    outline_behind: bool = False  # articles: the title or a heading changed since it was published there

    @property
    def meets(self) -> bool:
        return not self.failed

    @property
    def up_to_date(self) -> bool:
        return self.live is not None and self.serving and not self.claims_behind and not self.outline_behind


def claim_verdicts(claim: Claim, now: datetime) -> list[ChannelVerdict]:
    channels = list(channels_with_policy())
    version = offered_version(claim)
    facts = version_facts([(claim.pk, version)], retractions=True).get((claim.pk, version))
    live = {
        p.channel_id: p
        for p in Publication.objects.filter(claim=claim, withdrawn_at__isnull=True).select_related("published_by")
    }
    live_facts = version_facts((claim.pk, p.version) for p in live.values())
    verdicts = []
    for channel in channels:
        policy = policy_of(channel)
        failed = failed_rules(facts, claim, policy, now)
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
    facts = version_facts(((c.pk, offered_version(c)) for c in claims), retractions=True)
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
    outline = outline_of(article, claims)
    verdicts = []
    for channel in channels:
        policy = policy_of(channel)
        failures = article_failures(claims, facts, policy, now)
        flat = flat_failures(failures)
        if not claims:
            flat = ["the article has no live claims"]
        ap = live_articles.get(channel.pk)
        verdict = ChannelVerdict(channel, flat, ap, None, ap is not None, failures)
        verdict.claims_behind = any(live_claims.get((channel.pk, c.pk)) != offered_version(c) for c in claims)
        verdict.outline_behind = ap is not None and (ap.title, ap.headings) != outline
        verdicts.append(verdict)
    return verdicts
