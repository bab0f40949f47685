"""Small factories and fixtures shared by the review tests (tests/test_review_*.py).

A test module uses a fixture from here by binding it at module level
(`claim = review_helpers.claim`), which is how pytest finds fixtures.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from content.models import Article, Claim
from review.actions import record_review
from review.management.commands.seed_demo import load_vocabulary, system_user
from review.models import DEFAULT_MEANING, REJECT_MEANING, Decision, EvidenceGrade, NuanceTag, Review
from tests.conftest import PASSWORD, first_claim

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Run django-tasks in the request, so notices land in mail.outbox."""
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture
def tags(db: None) -> dict[str, NuanceTag]:
    """The demo vocabulary (fixtures/nuance_tags.json), by slug."""
    load_vocabulary(system_user())
    return {t.slug: t for t in NuanceTag.objects.all()}


@pytest.fixture
def claim(sample_article: Article, author: User) -> Claim:
    """The sample article's first claim, submitted: in review at v1."""
    c = first_claim(sample_article)
    c.submit(by=author)
    c.refresh_from_db()
    return c


def make_reviewer(username: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, first_name=username.title())
    user.groups.add(Group.objects.get(name="Medical reviewers"))
    return user


def approve(
    claim: Claim, reviewer: User, *, grade: str = EvidenceGrade.HIGH, tags: list[NuanceTag] | None = None
) -> Review:
    return record_review(
        claim=claim,
        version=claim.version,
        reviewer=reviewer,
        decision=Decision.APPROVE,
        evidence_grade=grade,
        nuance_tags=tags or [],
        password=PASSWORD,
        signature_meaning=DEFAULT_MEANING,
    )


def reject(claim: Claim, reviewer: User, *, grade: str = EvidenceGrade.CONTRADICTED) -> Review:
    return record_review(
        claim=claim,
        version=claim.version,
        reviewer=reviewer,
        decision=Decision.REJECT,
        evidence_grade=grade,
        nuance_note="The cited trial found the opposite.",
        password=PASSWORD,
        signature_meaning=REJECT_MEANING,
    )


def request_changes(claim: Claim, reviewer: User, *, tags: list[NuanceTag] | None = None, note: str = "") -> Review:
    return record_review(
        claim=claim,
        version=claim.version,
        reviewer=reviewer,
        decision=Decision.REQUEST_CHANGES,
        evidence_grade=EvidenceGrade.LOW,
        nuance_tags=tags or [],
        nuance_note=note or "Say for whom this holds.",
    )


def fresh(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def snapshot(claim: Claim) -> tuple[Any, ...]:
    """Everything a refused action must leave unchanged."""
    c = fresh(claim)
    return (
        c.status,
        c.version,
        c.content_hash,
        c.approved_version,
        c.approvals_needed,
        Review.objects.filter(claim=c).count(),
        c.versions.count(),
        c.history.count(),  # type: ignore[attr-defined]
    )


def revise(claim: Claim, by: User, text: str | None = None) -> Claim:
    c = fresh(claim)
    return c.revise(
        text=text or c.text + " (revised)", expected_version=c.version, reason="Answering the review", by=by
    )


def queue_of(owner: User, n: int) -> list[Claim]:
    """An article of `n` claims, all submitted (oldest first), each with an earlier-style review mix."""
    from tests.conftest import import_text, numbered_text

    # Tests build several queues of the same size: each is an article of its own, not a re-import.
    article = import_text(owner, numbered_text(n, title=f"Queue of {n}"), force=True)
    claims = list(article.claims.order_by("position"))
    for c in claims:
        c.submit(by=owner)
    return [fresh(c) for c in claims]
