"""What the policy and the feeds need to know about claim versions, read in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from content.models import (
    Article,
    Claim,
    ClaimStatus,
    ClaimVersion,
    Reference,
    ReferenceStatus,
    Section,
    cited_ids,
    version_hash,
)
from content.models import contributors_of as content_contributors
from review.models import (
    Channel,
    Decision,
    EvidenceGrade,
    Review,
    Signature,
    held_by_recertification,
    once_each,
    serving_rounds,
)
from review.publishing.policy import (
    Candidate,
    Policy,
    Signer,
    Tag,
    approved_at,
    check_policy,
    lowest_grade,
    published_text,
)


def grade_label(grade: str | None) -> str:
    return EvidenceGrade(grade).label if grade in EvidenceGrade.values else "not graded"


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
    # The required wording its intact approvals signed, once each in signing order: what channels append.
    wording: list[str] = field(default_factory=list)
    # Read only when asked (version_facts(retractions=True)): labels of cited works now retracted or superseded.
    retracted: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)

    @property
    def recomputed_hash(self) -> str:
        """The content hash recomputed from the text and citations this version holds now."""
        return version_hash(self.text, self.citations)

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
        return self.wording

    def candidate(self, claim: Claim) -> Candidate:
        return Candidate(
            version=self.version,
            approved_version=claim.approved_version,
            retired=claim.status == ClaimStatus.RETIRED,
            text=self.text,
            grades=tuple(self.grades),
            signers=tuple(self.signers),
            tags=tuple(self.tags),
            wording=tuple(self.wording),
            retracted=tuple(self.retracted),
        )


def version_facts(
    pairs: Iterable[tuple[int, int]], *, retractions: bool = False
) -> dict[tuple[int, int], VersionFacts]:
    """Facts for (claim id, version) pairs in three queries, however many pairs.

    `retractions=True` (publishing and its pages) also reads which cited works were retracted,
    one query more; a feed needs not, since a retraction withdraws every citing publication.
    """
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
        .annotate(held=held_by_recertification())
        .select_related("signature")
        .prefetch_related("nuance_tags")
        .order_by("created_at", "id")
    )
    latest_round = serving_rounds(reviews)
    for review in reviews:
        vf = facts.get((review.claim_id, review.version))
        if vf is None or review.round != latest_round[(review.claim_id, review.version)]:
            continue
        for tag in sorted(review.nuance_tags.all(), key=lambda t: t.name):
            if all(t.slug != tag.slug for t in vf.tags):
                vf.tags.append(Tag(tag.slug, tag.name))
        if review.decision != Decision.APPROVE:
            continue
        vf.grades.append(review.evidence_grade)
        signature: Signature | None = getattr(review, "signature", None)
        # Only a signature whose keyed seal verifies, sealed to this exact content, is a signer:
        # rows written into the database around the app carry no valid seal and count for nothing.
        if signature is not None and signature.is_intact() and signature.content_hash == vf.content_hash:
            vf.signers.append(Signer(signature.signer_id, signature.printed_name, signature.signed_at))
            # Only signed wording goes out: an approval whose seal fails adds none either.
            vf.wording = once_each([*vf.wording, *review.signed_wording])
    if retractions:
        _read_retractions(facts)
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


def channel_text(facts: VersionFacts, policy: Policy) -> str:
    """The exact text a channel serves for this version: what publishing pins, the feed serves and the preview shows."""
    return published_text(facts.text, facts.wording, policy.append_required_wording)


def channels_with_policy() -> QuerySet[Channel]:
    return Channel.objects.prefetch_related("blocking_tags").order_by("name")


def offered_version(claim: Claim) -> int:
    """The version a publish would send: the last approved one, else the current one (which then fails)."""
    return claim.approved_version or claim.version


def failed_rules(facts: VersionFacts | None, claim: Claim, policy: Policy, now: datetime) -> list[str]:
    """Every rule the claim's offered version fails on a channel (a missing version is one)."""
    return ["version is missing"] if facts is None else check_policy(policy, facts.candidate(claim), now)


def article_failures(
    claims: Iterable[Claim], facts: dict[tuple[int, int], VersionFacts], policy: Policy, now: datetime
) -> dict[int, list[str]]:
    """Claim id -> the rules its offered version fails, for each of an article's claims that fails any."""
    failures: dict[int, list[str]] = {}
    for claim in claims:
        if failed := failed_rules(facts.get((claim.pk, offered_version(claim))), claim, policy, now):
            failures[claim.pk] = failed
    return failures


def flat_failures(failures: dict[int, list[str]]) -> list[str]:
    return [f"claim #{pk}: {rule}" for pk, rules in failures.items() for rule in rules]


def _read_retractions(facts: dict[tuple[int, int], VersionFacts]) -> None:
    cited = {pk for vf in facts.values() for pk in cited_ids(vf.citations)}
    flagged = Reference.objects.filter(
        pk__in=cited, status__in=[ReferenceStatus.RETRACTED, ReferenceStatus.SUPERSEDED]
    ).values_list("pk", "label", "status")
    by_status: dict[str, dict[int, str]] = {ReferenceStatus.RETRACTED: {}, ReferenceStatus.SUPERSEDED: {}}
    for pk, label, status in flagged:
        by_status[status][pk] = label
    retracted, superseded = by_status[ReferenceStatus.RETRACTED], by_status[ReferenceStatus.SUPERSEDED]
    for vf in facts.values():
        vf.retracted = [retracted[pk] for pk in cited_ids(vf.citations) if pk in retracted]
        vf.superseded = [superseded[pk] for pk in cited_ids(vf.citations) if pk in superseded]


def contributors_of(claims: Iterable[Claim]) -> dict[int, set[int]]:
    """Claim id -> everyone who contributed to its words up to its offered version (content.models.contributors_of)."""
    return content_contributors({claim.pk: offered_version(claim) for claim in claims})


Outline = tuple[str, dict[str, str]]


def outline_of(article: Article, claims: Iterable[Claim]) -> Outline:
    """What an article publication pins around its claims: the title and the headings of their sections."""
    section_ids = {claim.section_id for claim in claims}
    headings = dict(Section.objects.filter(pk__in=section_ids).values_list("pk", "heading"))
    # Read afresh: the caller's copy may predate a rename, and the pin must be what is stored now.
    title = Article.objects.values_list("title", flat=True).get(pk=article.pk)
    return title, {str(pk): heading for pk, heading in sorted(headings.items())}
