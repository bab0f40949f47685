"""Six at once on one claim, over HTTP: one winner, the rest clean answers (409, or 200 where the act is
idempotent), never a 5xx; nothing lost or written twice; the audit trail verifies afterwards.

Each request runs in its own thread and connection, released together (tests.test_concurrency.at_once).
On SQLite this needs the file database (SQLITE_TEST_FILE=1); PostgreSQL runs them as they are.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from content.models import Claim, ClaimStatus
from review.models import DEFAULT_MEANING, Channel, Publication, Review, Signature
from tests import test_concurrency
from tests.conftest import PASSWORD, client_for, first_claim, import_text, numbered_text
from tests.review_helpers import approve, make_reviewer
from tests.test_concurrency import assert_audit_clean, at_once
from tests.test_publishing import load_channels

# Autouse: commits for real, and skips on in-memory SQLite.
real_locks = test_concurrency.real_locks

BURST = 6


def statuses(responses: list[Any]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def posting(client: Client, url: str, body: dict[str, Any]) -> Any:
    return lambda: client.post(url, body, content_type="application/json")


@pytest.fixture
def draft(author: User) -> Claim:
    return first_claim(import_text(author, numbered_text(1)))


@pytest.fixture
def in_review(draft: Claim, author: User) -> Claim:
    draft.submit(by=author)
    draft.refresh_from_db()
    return draft


def approval(claim: Claim, signer: User) -> dict[str, Any]:
    return {
        "version": claim.version,
        "decision": "approve",
        "evidence_grade": "high",
        "username": signer.username,  # an API token or a new session's first signature gives it
        "password": PASSWORD,
        "signature_meaning": DEFAULT_MEANING,
    }


def test_six_submits_of_one_draft_give_one_200_and_five_409(draft: Claim, author: User) -> None:
    clients = [client_for(author) for _ in range(BURST)]
    responses = at_once([posting(c, f"/api/v1/claims/{draft.pk}/submit/", {}) for c in clients])
    assert statuses(responses) == {200: 1, 409: BURST - 1}
    draft.refresh_from_db()
    assert (draft.status, draft.review_round) == (ClaimStatus.IN_REVIEW, 1)
    assert_audit_clean()


def test_six_reviewers_approving_one_version_give_one_201_and_five_409(in_review: Claim) -> None:
    signers = [make_reviewer(f"reviewer{i}") for i in range(BURST)]
    url = f"/api/v1/claims/{in_review.pk}/reviews/"
    responses = at_once([posting(client_for(r), url, approval(in_review, r)) for r in signers])
    assert statuses(responses) == {201: 1, 409: BURST - 1}
    in_review.refresh_from_db()
    assert in_review.status == ClaimStatus.APPROVED
    assert (Review.objects.filter(claim=in_review).count(), Signature.objects.count()) == (1, 1)
    assert_audit_clean()


def test_one_reviewer_signing_six_times_at_once_signs_once(in_review: Claim) -> None:
    reviewer = make_reviewer("reviewer1")
    clients = [client_for(reviewer) for _ in range(BURST)]
    url = f"/api/v1/claims/{in_review.pk}/reviews/"
    responses = at_once([posting(c, url, approval(in_review, reviewer)) for c in clients])
    # One signature; the rest are already signed (409) or throttled (403: at most five password
    # checks run at once for one signer), never a 500.
    counted = statuses(responses)
    assert counted[201] == 1 and set(counted) <= {201, 403, 409} and sum(counted.values()) == BURST
    assert Signature.objects.count() == 1
    assert_audit_clean()


@pytest.fixture
def website(groups: None) -> Channel:
    return load_channels()["website"]


def test_six_publishes_of_one_version_make_one_publication(in_review: Claim, publisher: User, website: Channel) -> None:
    approve(in_review, make_reviewer("reviewer1"))
    clients = [client_for(publisher) for _ in range(BURST)]
    url = f"/api/v1/claims/{in_review.pk}/publications/"
    responses = at_once([posting(c, url, {"channel": "website"}) for c in clients])
    # Publishing what is already live is answered 200 with that publication (idempotent), not a second one.
    assert statuses(responses) == {201: 1, 200: BURST - 1}
    assert len({r.json()["id"] for r in responses}) == 1
    assert Publication.objects.filter(claim=in_review, channel=website, withdrawn_at__isnull=True).count() == 1
    assert_audit_clean()


def test_six_withdrawals_of_one_publication_give_one_200_and_five_409(
    in_review: Claim, publisher: User, website: Channel
) -> None:
    approve(in_review, make_reviewer("reviewer1"))
    client = client_for(publisher)
    pub = client.post(
        f"/api/v1/claims/{in_review.pk}/publications/", {"channel": "website"}, content_type="application/json"
    ).json()
    clients = [client_for(publisher) for _ in range(BURST)]
    url = f"/api/v1/publications/{pub['id']}/withdraw/"
    responses = at_once([posting(c, url, {"reason": "Superseded by new guidance"}) for c in clients])
    assert statuses(responses) == {200: 1, 409: BURST - 1}
    assert Publication.objects.get(pk=pub["id"]).withdrawn_at is not None
    assert_audit_clean()
