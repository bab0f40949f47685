"""The review API contract: POST/GET /api/v1/claims/{id}/reviews/ and GET /api/v1/review-queue/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from content.models import Claim, ClaimStatus
from review.models import DEFAULT_MEANING, REJECT_MEANING, NuanceTag, Refusal, Review
from tests import review_helpers
from tests.conftest import PASSWORD, client_for
from tests.review_helpers import approve, fresh, queue_of, request_changes, revise, snapshot

tags = review_helpers.tags
claim = review_helpers.claim

CONTRACT_FIELDS = {
    "id",
    "claim",
    "version",
    "content_hash",
    "reviewer",
    "evidence_grade",
    "nuance_tags",
    "nuance_note",
    "decision",
    "signed_at",
    "signature_meaning",
}


def url(c: Claim) -> str:
    return f"/api/v1/claims/{c.pk}/reviews/"


def body(c: Claim, **overrides: Any) -> dict[str, Any]:
    return {
        "version": c.version,
        "evidence_grade": "high",
        "nuance_tags": [],
        "nuance_note": "",
        "decision": "approve",
        "password": PASSWORD,
        "signature_meaning": DEFAULT_MEANING,
    } | overrides


def post(user: User, c: Claim, **overrides: Any) -> Any:
    """As `user`, signing under their own user ID unless overridden."""
    return client_for(user).post(
        url(c), body(c, **({"username": user.username} | overrides)), content_type="application/json"
    )


# --- 201 ------------------------------------------------------------------------------


def test_it_returns_the_review_in_the_contract_shape(claim: Claim, reviewer: User) -> None:
    response = post(reviewer, claim)
    assert response.status_code == 201
    assert CONTRACT_FIELDS <= set(response.json())


def test_it_returns_what_was_judged_and_signed(claim: Claim, reviewer: User, tags: dict[str, NuanceTag]) -> None:
    data = post(reviewer, claim, nuance_tags=["not-medical-advice"], nuance_note="Add the *notice*.").json()
    review = Review.objects.get()
    assert {k: data[k] for k in CONTRACT_FIELDS} == {
        "id": review.pk,
        "claim": claim.pk,
        "version": 1,
        "content_hash": claim.content_hash,
        "reviewer": "bob",
        "evidence_grade": "high",
        "nuance_tags": ["not-medical-advice"],
        "nuance_note": "Add the *notice*.",
        "decision": "approve",
        "signed_at": review.signature.signed_at.isoformat(),
        "signature_meaning": DEFAULT_MEANING,
    }


def test_it_never_echoes_the_password(claim: Claim, reviewer: User) -> None:
    assert PASSWORD not in post(reviewer, claim).content.decode()


def test_it_returns_no_signature_for_a_request_for_changes(claim: Claim, reviewer: User) -> None:
    data = post(reviewer, claim, decision="request_changes", password="", signature_meaning="", nuance_note="x").json()
    assert (data["signed_at"], data["signature_meaning"]) == (None, None)


def test_it_shows_approved_version_null_until_approved(claim: Claim, author: User) -> None:
    data = client_for(author).get(f"/api/v1/claims/{claim.pk}/").json()
    assert (data["approved_version"], data["approvals_needed"]) == (None, 1)


def test_it_shows_the_approved_version_on_the_claim(claim: Claim, reviewer: User) -> None:
    post(reviewer, claim)
    data = client_for(reviewer).get(f"/api/v1/claims/{claim.pk}/").json()
    assert (data["status"], data["approved_version"]) == ("approved", 1)


def test_it_shows_one_of_two_after_a_high_risk_approval(
    claim: Claim, reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    post(reviewer, claim, nuance_tags=["omits-adverse-effects"])
    data = client_for(reviewer).get(f"/api/v1/claims/{claim.pk}/").json()
    assert (data["status"], data["approved_version"], data["approvals_needed"]) == ("in_review", None, 2)


def test_it_keeps_approved_version_after_the_author_revises(claim: Claim, author: User, reviewer: User) -> None:
    post(reviewer, claim)
    revise(claim, author)
    data = client_for(author).get(f"/api/v1/claims/{claim.pk}/").json()
    assert (data["status"], data["version"], data["approved_version"]) == ("draft", 2, 1)


# --- 403 ------------------------------------------------------------------------------


def test_it_refuses_separation_of_duties_with_403(claim: Claim, author: User) -> None:
    author.groups.add(Group.objects.get(name="Medical reviewers"))
    response = post(author, claim)
    assert response.status_code == 403
    assert "wrote or edited" in response.json()["detail"]


def test_it_records_the_separation_of_duties_refusal(claim: Claim, author: User) -> None:
    author.groups.add(Group.objects.get(name="Medical reviewers"))
    post(author, claim, decision="reject", signature_meaning=REJECT_MEANING)
    assert Refusal.objects.get().kind == "separation_of_duties"


def test_it_refuses_a_wrong_password_with_403(claim: Claim, reviewer: User) -> None:
    before = snapshot(claim)
    response = post(reviewer, claim, password="guess")
    assert (response.status_code, snapshot(claim)) == (403, before)


def test_it_records_the_wrong_password(claim: Claim, reviewer: User) -> None:
    post(reviewer, claim, password="guess")
    assert Refusal.objects.get().kind == "wrong_password"


def test_it_locks_signing_after_five_wrong_passwords(claim: Claim, reviewer: User) -> None:
    for _ in range(5):
        post(reviewer, claim, password="guess")
    response = post(reviewer, claim)
    assert (response.status_code, "locked" in response.json()["detail"]) == (403, True)


def test_it_refuses_an_author_who_is_not_a_reviewer(claim: Claim, author: User) -> None:
    before = snapshot(claim)
    response = post(author, claim, decision="request_changes", password="", signature_meaning="", nuance_note="x")
    assert (response.status_code, snapshot(claim)) == (403, before)


def test_it_hides_the_claim_from_an_outsider(claim: Claim, outsider: User) -> None:
    assert post(outsider, claim).status_code == 404


def test_it_refuses_an_anonymous_post(claim: Claim) -> None:
    response = Client().post(url(claim), body(claim), content_type="application/json")
    assert response.status_code in {401, 403}
    assert not Review.objects.exists()


def test_it_enforces_csrf_for_a_session(claim: Claim, reviewer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    response = client.post(url(claim), body(claim), content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Review.objects.exists()


# --- 409 ------------------------------------------------------------------------------


def test_it_refuses_a_stale_version_with_409(claim: Claim, author: User, reviewer: User, second_reviewer: User) -> None:
    request_changes(claim, reviewer)
    revise(claim, author)
    fresh(claim).submit(by=author)
    response = post(second_reviewer, claim, version=1)
    assert (response.status_code, response.json()["current_version"]) == (409, 2)


def test_it_refuses_a_wrong_state_with_409_and_the_state(claim: Claim, reviewer: User, second_reviewer: User) -> None:
    approve(claim, reviewer)
    response = post(second_reviewer, claim)
    assert (response.status_code, response.json()["status"]) == (409, "approved")


def test_it_refuses_a_second_signature_by_the_same_reviewer_with_409(
    claim: Claim, reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    post(reviewer, claim, nuance_tags=["omits-adverse-effects"])
    response = post(reviewer, claim)
    assert (response.status_code, response.json()["status"]) == (409, "in_review")
    assert Review.objects.count() == 1


def test_it_refuses_a_draft_with_409(sample_article: Any, reviewer: User) -> None:
    draft = sample_article.claims.order_by("position").first()
    assert post(reviewer, draft).json()["status"] == "draft"


# --- 400 ------------------------------------------------------------------------------


def test_it_requires_a_grade(claim: Claim, reviewer: User) -> None:
    payload = body(claim)
    del payload["evidence_grade"]
    response = client_for(reviewer).post(url(claim), payload, content_type="application/json")
    assert (response.status_code, "evidence_grade" in response.json()) == (400, True)


def test_it_requires_a_signature_meaning(claim: Claim, reviewer: User) -> None:
    response = post(reviewer, claim, signature_meaning="")
    assert (response.status_code, "signature_meaning" in response.json()) == (400, True)


def test_it_refuses_to_reject_with_the_approval_meaning(claim: Claim, reviewer: User) -> None:
    response = post(reviewer, claim, decision="reject")
    assert (response.status_code, "signature_meaning" in response.json()) == (400, True)


def test_it_refuses_an_unknown_tag(claim: Claim, reviewer: User, tags: dict[str, NuanceTag]) -> None:
    response = post(reviewer, claim, nuance_tags=["no-such-tag"])
    assert (response.status_code, "nuance_tags" in response.json()) == (400, True)


def test_it_refuses_an_unknown_grade(claim: Claim, reviewer: User) -> None:
    assert post(reviewer, claim, evidence_grade="excellent").status_code == 400


def test_it_records_nothing_for_bad_input(claim: Claim, reviewer: User) -> None:
    before = snapshot(claim)
    post(reviewer, claim, evidence_grade="", password="guess")
    assert (snapshot(claim), Refusal.objects.count()) == (before, 0)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_it_allows_only_get_and_post(claim: Claim, reviewer: User, method: str) -> None:
    assert getattr(client_for(reviewer), method)(url(claim)).status_code == 405


# --- GET reviews ------------------------------------------------------------------------


def test_it_lists_a_claims_reviews_for_its_author(claim: Claim, author: User, reviewer: User) -> None:
    request_changes(claim, reviewer, note="Say for whom.")
    [data] = client_for(author).get(url(claim)).json()
    assert (data["decision"], data["evidence_grade"], data["nuance_note"]) == (
        "request_changes",
        "low",
        "Say for whom.",
    )


def test_it_hides_reviews_from_an_outsider(claim: Claim, outsider: User) -> None:
    assert client_for(outsider).get(url(claim)).status_code == 404


def test_it_lists_reviews_in_a_fixed_number_of_queries(
    claim: Claim, reviewer: User, second_reviewer: User, tags: dict[str, NuanceTag], django_assert_max_num_queries: Any
) -> None:
    approve(claim, reviewer, tags=[tags["omits-adverse-effects"], tags["not-medical-advice"]])
    request_changes(claim, second_reviewer, tags=[tags["absolute-language"]])
    client = client_for(reviewer)
    with django_assert_max_num_queries(10):
        assert len(client.get(url(claim)).json()) == 2


# --- the queue --------------------------------------------------------------------------


def test_it_lists_the_queue_oldest_first(author: User, reviewer: User) -> None:
    claims = queue_of(author, 3)
    data = client_for(reviewer).get("/api/v1/review-queue/").json()
    assert [c["id"] for c in data["results"]] == [c.pk for c in claims]


def test_it_paginates_the_queue(author: User, reviewer: User) -> None:
    queue_of(author, 2)
    data = client_for(reviewer).get("/api/v1/review-queue/").json()
    assert (data["count"], data["next"], data["previous"]) == (2, None, None)


def test_it_leaves_claims_not_in_review_out_of_the_queue(author: User, reviewer: User) -> None:
    claims = queue_of(author, 3)
    approve(claims[0], reviewer)
    data = client_for(reviewer).get("/api/v1/review-queue/").json()
    assert [c["id"] for c in data["results"]] == [c.pk for c in claims[1:]]


@pytest.mark.parametrize("persona", ["author", "publisher", "compliance", "outsider"])
def test_it_refuses_the_queue_to_non_reviewers(persona: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)
    assert client_for(user).get("/api/v1/review-queue/").status_code == 403


def test_it_filters_the_queue_by_article(author: User, reviewer: User) -> None:
    queue_of(author, 2)
    wanted = queue_of(author, 2)
    data = client_for(reviewer).get(f"/api/v1/review-queue/?article={wanted[0].article_id}").json()
    assert [c["id"] for c in data["results"]] == [c.pk for c in wanted]


def test_it_filters_the_queue_by_an_earlier_tag(
    author: User, reviewer: User, second_reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    claims = queue_of(author, 3)
    approve(claims[1], reviewer, tags=[tags["misattributed-source"]])  # 1 of 2: still waiting
    data = client_for(second_reviewer).get("/api/v1/review-queue/?tag=misattributed-source").json()
    assert [c["id"] for c in data["results"]] == [claims[1].pk]


def test_it_filters_the_queue_by_an_earlier_grade(author: User, reviewer: User) -> None:
    claims = queue_of(author, 3)
    approve(claims[2], reviewer, grade="very_low")
    data = client_for(reviewer).get("/api/v1/review-queue/?grade=very_low").json()
    assert [c["id"] for c in data["results"]] == [claims[2].pk]


def test_it_filters_the_queue_by_age(author: User, reviewer: User) -> None:
    claims = queue_of(author, 2)
    old = claims[1]
    old.submitted_at = timezone.now() - timedelta(days=8)
    old.save()
    data = client_for(reviewer).get("/api/v1/review-queue/?older_than_days=7").json()
    assert [c["id"] for c in data["results"]] == [old.pk]


@pytest.mark.parametrize("query", ["grade=superb", "tag=no-such-tag", "article=x", "older_than_days=-1"])
def test_it_refuses_a_bad_queue_filter_with_400(reviewer: User, tags: dict[str, NuanceTag], query: str) -> None:
    response = client_for(reviewer).get(f"/api/v1/review-queue/?{query}")
    assert (response.status_code, query.split("=")[0] in response.json()) == (400, True)


@pytest.mark.parametrize("n", [2, 20])
def test_it_serves_the_queue_in_a_fixed_number_of_queries(
    author: User, reviewer: User, n: int, django_assert_max_num_queries: Any
) -> None:
    for c in queue_of(author, n)[::2]:
        approve(c, reviewer, grade="low")  # half of them half-signed
    client = client_for(reviewer)
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/review-queue/").json()["results"]) == n


def test_it_counts_signatures_in_the_queue_claim_json(author: User, reviewer: User) -> None:
    [c] = queue_of(author, 1)
    approve(c, reviewer, grade="low")
    [data] = client_for(reviewer).get("/api/v1/review-queue/").json()["results"]
    assert (data["status"], data["approvals_needed"]) == (ClaimStatus.IN_REVIEW, 2)


def test_it_takes_a_signature_meaning_by_its_code(claim: Claim, reviewer: User) -> None:
    response = post(reviewer, claim, signature_meaning="accurate")
    assert response.status_code == 201
    assert response.json()["signature_meaning"] == DEFAULT_MEANING


def test_it_refuses_a_meaning_that_is_not_one_of_the_decisions_own(claim: Claim, reviewer: User) -> None:
    response = post(reviewer, claim, decision="approve", signature_meaning=REJECT_MEANING + ".")
    assert response.status_code == 400
    assert "accurate" in response.json()["signature_meaning"][0]
    assert not Review.objects.filter(claim=claim).exists()
