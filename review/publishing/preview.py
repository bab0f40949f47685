"""What publishing a claim to a channel would serve, computed the way publishing computes it.

`preview` is the one answer to "what would this channel serve": `publish_claim` refuses on its
`failed_rules`, and the publish page and `GET /api/v1/claims/{id}/publications/preview/` show it,
so the publisher confirms exactly the text that goes out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from content.models import Article, Claim
from review.models import Channel
from review.publishing.facts import (
    VersionFacts,
    article_failures,
    channel_text,
    failed_rules,
    flat_failures,
    offered_version,
    outline_of,
    policy_of,
    version_facts,
)


@dataclass(frozen=True)
class ChannelPreview:
    channel: Channel
    claim_id: int
    version: int
    text: str
    required_wording: list[str]
    failed_rules: list[str]
    # Cited works marked superseded: not a refusal, but the publisher must say they checked them.
    superseded: list[str] = field(default_factory=list)

    @property
    def length(self) -> int:
        return len(self.text)

    @property
    def publishable(self) -> bool:
        return not self.failed_rules

    def as_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel.slug,
            "version": self.version,
            "text": self.text,
            "required_wording": self.required_wording,
            "length": self.length,
            "failed_rules": self.failed_rules,
            "superseded": self.superseded,
        }


def preview(claim: Claim, facts: VersionFacts | None, channel: Channel, now: datetime) -> ChannelPreview:
    """The text the channel would serve for the claim's offered version, and every rule it fails there."""
    policy = policy_of(channel)
    failed = failed_rules(facts, claim, policy, now)
    if facts is None:
        return ChannelPreview(channel, claim.pk, offered_version(claim), "", [], failed)
    return ChannelPreview(
        channel,
        claim.pk,
        facts.version,
        channel_text(facts, policy),
        list(facts.wording),
        failed,
        list(facts.superseded),
    )


def claim_previews(claim: Claim, channels: list[Channel], now: datetime) -> list[ChannelPreview]:
    """`preview` for each channel, reading the version's facts once."""
    version = offered_version(claim)
    facts = version_facts([(claim.pk, version)], retractions=True).get((claim.pk, version))
    return [preview(claim, facts, channel, now) for channel in channels]


@dataclass(frozen=True)
class ArticlePreview:
    """An article as a channel would serve it once published: the title and headings it pins, each claim's text."""

    channel: Channel
    title: str
    sections: list[tuple[str, list[ChannelPreview]]]
    failed_rules: list[str]  # as publish_article refuses: "claim #N: rule"
    superseded: list[str]

    @property
    def publishable(self) -> bool:
        return not self.failed_rules


def article_previews(article: Article, channels: list[Channel], now: datetime) -> list[ArticlePreview]:
    """`ArticlePreview` for each channel: the article's live claims in order, with what `publish_article` checks."""
    claims = list(article.claims.live().order_by("position"))
    facts = version_facts(((c.pk, offered_version(c)) for c in claims), retractions=True)
    title, headings = outline_of(article, claims)
    superseded = list(dict.fromkeys(label for vf in facts.values() for label in vf.superseded))
    previews = []
    for channel in channels:
        sections: list[tuple[str, list[ChannelPreview]]] = []
        section_id = None
        for claim in claims:
            if claim.section_id != section_id:
                sections.append((headings.get(str(claim.section_id), ""), []))
                section_id = claim.section_id
            sections[-1][1].append(preview(claim, facts.get((claim.pk, offered_version(claim))), channel, now))
        failed = flat_failures(article_failures(claims, facts, policy_of(channel), now))
        if not claims:
            failed = ["the article has no live claims"]
        previews.append(ArticlePreview(channel, title, sections, failed, superseded))
    return previews
