"""What publishing a claim to a channel would serve, computed the way publishing computes it.

`preview` is the one answer to "what would this channel serve": `publish_claim` refuses on its
`failed_rules`, and the publish page and `GET /api/v1/claims/{id}/publications/preview/` show it,
so the publisher confirms exactly the text that goes out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from content.models import Claim
from review.models import Channel
from review.publishing.facts import VersionFacts, channel_text, failed_rules, offered_version, policy_of, version_facts


@dataclass(frozen=True)
class ChannelPreview:
    channel: Channel
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
        return ChannelPreview(channel, offered_version(claim), "", [], failed)
    return ChannelPreview(
        channel, facts.version, channel_text(facts, policy), list(facts.wording), failed, list(facts.superseded)
    )


def claim_previews(claim: Claim, channels: list[Channel], now: datetime) -> list[ChannelPreview]:
    """`preview` for each channel, reading the version's facts once."""
    version = offered_version(claim)
    facts = version_facts([(claim.pk, version)], retractions=True).get((claim.pk, version))
    return [preview(claim, facts, channel, now) for channel in channels]
