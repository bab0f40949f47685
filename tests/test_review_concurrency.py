"""Many reviewers signing one version at once: each signature counts once, the claim is approved once.

Every thread has its own database connection and its own transaction
(transaction=True), so the row lock in record_review is what keeps the count exact.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from content.exceptions import InvalidTransition, StaleVersion
from content.models import Claim, ClaimStatus
from review.actions import record_review
from review.models import (
    DEFAULT_MEANING,
    AlreadySigned,
    Decision,
    EvidenceGrade,
    NuanceTag,
    Review,
    ReviewRefused,
    Signature,
)
from tests import review_helpers
from tests.conftest import PASSWORD, first_claim, import_text, numbered_text
from tests.review_helpers import fresh, make_reviewer, request_changes, revise

tags = review_helpers.tags

REVIEWERS = 10


# pytest-django runs SQLite tests on an in-memory, shared-cache database, whose
# table-level locks make a second writer fail at once ("database table is
# locked") instead of queueing behind BEGIN IMMEDIATE as the app's file database
# does. These tests need real concurrent writers: they run on PostgreSQL (CI).
@pytest.fixture(autouse=True)
def real_locks(transactional_db: None) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "in-memory shared-cache SQLite fails concurrent writers instead of queueing them; run on PostgreSQL"
        )


@pytest.fixture
def claim(author: User) -> Claim:
    c = first_claim(import_text(author, numbered_text(1)))
    c.submit(by=author)
    return fresh(c)


@pytest.fixture
def reviewers(groups: None) -> list[User]:
    return [make_reviewer(f"reviewer{i}") for i in range(REVIEWERS)]


def outcome_of(exc: BaseException | None) -> str:
    if exc is None:
        return "recorded"
    if isinstance(exc, AlreadySigned):
        return "already signed"
    if isinstance(exc, StaleVersion):
        return "stale"
    if isinstance(exc, InvalidTransition):
        return f"409 {exc.status}"
    if isinstance(exc, ReviewRefused):
        return f"403 {exc.kind}"
    raise exc  # anything else is a bug: let the test see it


def at_once(actions: list[Callable[[], Any]]) -> Counter[str]:
    """Run each action in its own thread and connection, released together; count the outcomes."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def run(action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                action()
            except (InvalidTransition, StaleVersion, ReviewRefused) as exc:
                outcomes.append(outcome_of(exc))
            else:
                outcomes.append(outcome_of(None))
        except BaseException as exc:  # reported to the test below, not swallowed
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return Counter(outcomes)


def approval(claim_pk: int, reviewer_pk: int, tag_slugs: tuple[str, ...] = ()) -> Callable[[], Review]:
    def act() -> Review:
        claim = Claim.objects.get(pk=claim_pk)
        return record_review(
            claim=claim,
            version=1,
            reviewer=User.objects.get(pk=reviewer_pk),
            decision=Decision.APPROVE,
            evidence_grade=EvidenceGrade.HIGH,
            nuance_tags=list(NuanceTag.objects.filter(slug__in=tag_slugs)),
            password=PASSWORD,
            signature_meaning=DEFAULT_MEANING,
        )

    return act


def approvals_recorded(claim: Claim) -> int:
    return Review.objects.approvals().filter(claim=claim, version=1).count()


def times_approved(claim: Claim) -> int:
    """How many saves of the claim moved it into approved (from simple-history)."""
    rows = list(fresh(claim).history.order_by("history_id").values_list("status", flat=True))  # type: ignore[attr-defined]
    return sum(1 for before, after in itertools.pairwise(rows) if after == "approved" and before != "approved")


def test_it_records_exactly_two_of_ten_high_risk_approvals(
    claim: Claim, reviewers: list[User], tags: dict[str, NuanceTag]
) -> None:
    outcomes = at_once([approval(claim.pk, r.pk, ("omits-adverse-effects",)) for r in reviewers])
    assert outcomes == Counter({"recorded": 2, "409 approved": 8})


def test_it_approves_a_high_risk_claim_once_when_ten_sign_at_once(
    claim: Claim, reviewers: list[User], tags: dict[str, NuanceTag]
) -> None:
    at_once([approval(claim.pk, r.pk, ("omits-adverse-effects",)) for r in reviewers])
    c = fresh(claim)
    assert (c.status, c.approved_version, c.approvals_needed) == (ClaimStatus.APPROVED, 1, 2)
    assert (approvals_recorded(c), Signature.objects.count(), times_approved(c)) == (2, 2, 1)


def test_it_counts_all_ten_signatures_when_ten_are_needed(
    claim: Claim, reviewers: list[User], tags: dict[str, NuanceTag], settings: Any
) -> None:
    settings.VETTED_SIGNATURES_HIGH_RISK = REVIEWERS
    outcomes = at_once([approval(claim.pk, r.pk, ("omits-adverse-effects",)) for r in reviewers])
    c = fresh(claim)
    assert outcomes == Counter({"recorded": REVIEWERS})
    assert (c.status, approvals_recorded(c), times_approved(c)) == (ClaimStatus.APPROVED, REVIEWERS, 1)


def test_it_approves_once_when_ten_sign_a_one_signature_claim(claim: Claim, reviewers: list[User]) -> None:
    outcomes = at_once([approval(claim.pk, r.pk) for r in reviewers])
    assert outcomes == Counter({"recorded": 1, "409 approved": 9})
    assert (approvals_recorded(claim), times_approved(claim)) == (1, 1)


def test_it_counts_one_reviewers_ten_simultaneous_signatures_once(
    claim: Claim, reviewers: list[User], tags: dict[str, NuanceTag]
) -> None:
    outcomes = at_once([approval(claim.pk, reviewers[0].pk, ("omits-adverse-effects",)) for _ in range(10)])
    c = fresh(claim)
    # One signature; the others are refused as already signed, or throttled: the throttle counts
    # password checks under way, so at most THROTTLE_FAILURES of them run at once.
    assert outcomes["recorded"] == 1
    assert set(outcomes) <= {"recorded", "already signed", "403 throttled"}
    assert sum(outcomes.values()) == 10
    assert (c.status, approvals_recorded(c)) == (ClaimStatus.IN_REVIEW, 1)


def test_it_ends_the_round_once_when_approvals_and_change_requests_race(claim: Claim, reviewers: list[User]) -> None:
    def changes(reviewer_pk: int) -> Callable[[], Review]:
        return lambda: request_changes(Claim.objects.get(pk=claim.pk), User.objects.get(pk=reviewer_pk))

    actions = [approval(claim.pk, r.pk) for r in reviewers[:5]] + [changes(r.pk) for r in reviewers[5:]]
    outcomes = at_once(actions)
    c = fresh(claim)
    assert outcomes["recorded"] == 1 and Review.objects.filter(claim=c).count() == 1
    assert outcomes[f"409 {c.status}"] == 9


def test_it_refuses_every_review_of_a_version_that_moved_on(claim: Claim, author: User, reviewers: list[User]) -> None:
    request_changes(claim, reviewers[0])
    revise(claim, author)
    fresh(claim).submit(by=author)
    outcomes = at_once([approval(claim.pk, r.pk) for r in reviewers[1:]])  # all judged version 1
    c = fresh(claim)
    assert outcomes == Counter({"stale": REVIEWERS - 1})
    assert (c.status, c.version, Review.objects.filter(claim=c).count()) == (ClaimStatus.IN_REVIEW, 2, 1)
