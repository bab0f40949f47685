"""A channel's policy as plain values, and the check of one claim version against it (pure: no Django)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from review.grades import RANK


@dataclass(frozen=True)
class Signer:
    user_id: int
    name: str
    signed_at: datetime


@dataclass(frozen=True)
class Tag:
    slug: str
    name: str


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
    wording: tuple[str, ...] = ()  # required wording its approvals signed, once each
    retracted: tuple[str, ...] = ()  # labels of cited works marked retracted


def _words(value: str) -> str:
    return value.replace("_", " ")


def lowest_grade(grades: Iterable[str]) -> str | None:
    """The weakest grade any approving reviewer gave: a channel is only as sure as its least sure reviewer."""
    ranked = [g for g in grades if g in RANK]
    return min(ranked, key=RANK.__getitem__) if ranked else None


def approved_at(signers: Iterable[Signer]) -> datetime | None:
    """When the version became approved: the latest signature among its approvals."""
    times = [s.signed_at for s in signers]
    return max(times) if times else None


def review_due(approved: datetime | None, interval_days: int) -> datetime | None:
    return approved + timedelta(days=interval_days) if approved is not None else None


def published_text(text: str, wording: Iterable[str], append: bool) -> str:
    """The text exactly as a channel publishes it (Markdown), the signed wording appended if the channel does."""
    return "\n\n".join([text.strip(), *(wording if append else [])])


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
    elif RANK[grade] < RANK[policy.min_grade]:
        failed.append(f"grade {_words(grade)} is below {_words(policy.min_grade)}")

    signatures = len({s.user_id for s in candidate.signers})
    if signatures < policy.signatures_required:
        failed.append(f"needs {_plural(policy.signatures_required, 'signature')}, has {signatures}")

    seen_tags: set[str] = set()
    for tag in candidate.tags:
        if tag.slug in policy.blocking_tags and tag.slug not in seen_tags:
            seen_tags.add(tag.slug)
            failed.append(f"blocked by tag {tag.name}")

    for label in candidate.retracted:
        failed.append(f"it cites {label}, which was retracted; the claim must be revised first")

    # Wording a channel would drop is wording a reader never sees: such a channel refuses the claim.
    if candidate.wording and not policy.append_required_wording:
        failed.append("it needs its required wording, which this channel does not append")
    if policy.max_length is not None:
        length = len(published_text(candidate.text, candidate.wording, policy.append_required_wording))
        if length > policy.max_length:
            with_wording = " with its required wording" if candidate.wording and policy.append_required_wording else ""
            failed.append(f"{policy.max_length} characters allowed, {length} given{with_wording}")

    due = review_due(approved_at(candidate.signers), policy.review_interval_days)
    if due is not None and now >= due:
        failed.append(f"approval expired on {due:%Y-%m-%d}; the claim is due for re-review")
    return failed


def four_eyes(publisher_id: int, contributors: Iterable[int], signers: Iterable[Signer]) -> str:
    """Why this person may not publish this version (empty when they may): the four-eyes rule.

    The publisher of a version is neither one of its authors or editors nor its only signer.
    """
    if publisher_id in set(contributors):
        return "you wrote or edited this version, so another publisher must publish it"
    if {s.user_id for s in signers} == {publisher_id}:
        return "you are this version's only signer, so another publisher must publish it"
    return ""
