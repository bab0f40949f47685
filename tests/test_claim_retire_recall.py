"""Authors retire claims, recall unopened submissions and find rejected claims in their open work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from content.models import Article, Claim, ClaimStatus
from review.models import ClaimOpen
from tests import review_helpers
from tests.conftest import client_for, first_claim, import_text, numbered_text
from tests.review_helpers import approve, fresh, reject, request_changes

pytestmark = pytest.mark.django_db

tags = review_helpers.tags


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def article(author: User) -> Article:
    return import_text(author, numbered_text(3))


@pytest.fixture
def claim(article: Article) -> Claim:
    """A draft."""
    return first_claim(article)


@pytest.fixture
def submitted(claim: Claim, author: User) -> Claim:
    claim.submit(by=author)
    return fresh(claim)


def retire_api(user: User, claim: Claim, **body: Any) -> Any:
    return api_for(user).post(f"/api/v1/claims/{claim.pk}/retire/", body or {"reason": "Junk from the import"})


def recall_api(user: User, claim: Claim) -> Any:
    return api_for(user).post(f"/api/v1/claims/{claim.pk}/recall/")


# --- POST /api/v1/claims/{id}/retire/ --------------------------------------------------------------------------------


def test_it_retires_a_claim_through_the_api(author: User, claim: Claim) -> None:
    response = retire_api(author, claim)
    assert (response.status_code, response.json()["status"]) == (200, ClaimStatus.RETIRED)


def test_it_retires_a_rejected_claim(author: User, reviewer: User, submitted: Claim) -> None:
    reject(submitted, reviewer)
    assert retire_api(author, submitted).json()["status"] == ClaimStatus.RETIRED


def test_it_keeps_the_retire_reason_in_the_history(author: User, claim: Claim) -> None:
    retire_api(author, claim, reason="Navigation text, not a claim")
    assert claim.history.first().history_change_reason == "Navigation text, not a claim"  # type: ignore[attr-defined]


def test_it_requires_a_reason_to_retire(author: User, claim: Claim) -> None:
    response = retire_api(author, claim, reason=" ")
    assert (response.status_code, fresh(claim).status) == (400, ClaimStatus.DRAFT)


def test_it_refuses_get_on_retire(author: User, claim: Claim) -> None:
    assert api_for(author).get(f"/api/v1/claims/{claim.pk}/retire/").status_code == 405


def test_it_hides_a_claim_from_an_outsiders_retire(outsider: User, claim: Claim) -> None:
    assert retire_api(outsider, claim).status_code == 404


def test_it_refuses_a_retire_by_a_reviewer(reviewer: User, claim: Claim) -> None:
    assert retire_api(reviewer, claim).status_code == 403


def test_it_refuses_to_retire_twice(author: User, claim: Claim) -> None:
    retire_api(author, claim)
    assert retire_api(author, claim).status_code == 409


# --- POST /api/v1/claims/{id}/recall/ --------------------------------------------------------------------------------


def test_it_recalls_an_unopened_submission(author: User, submitted: Claim) -> None:
    response = recall_api(author, submitted)
    assert (response.status_code, response.json()["status"]) == (200, ClaimStatus.DRAFT)


def test_it_refuses_a_recall_once_a_reviewer_opened_it(author: User, reviewer: User, submitted: Claim) -> None:
    client_for(reviewer).post(f"/claims/{submitted.pk}/review/open/")
    response = recall_api(author, submitted)
    assert (response.status_code, fresh(submitted).status) == (409, ClaimStatus.IN_REVIEW)


def test_it_says_why_a_recall_was_refused(author: User, reviewer: User, submitted: Claim) -> None:
    ClaimOpen.touch(submitted, reviewer)
    assert "a reviewer has already opened it" in recall_api(author, submitted).json()["detail"]


def test_it_refuses_a_recall_once_this_version_has_a_review(author: User, reviewer: User, submitted: Claim) -> None:
    approve(submitted, reviewer, grade="low")  # a low grade asks for a second signature: still in review
    assert fresh(submitted).status == ClaimStatus.IN_REVIEW
    assert recall_api(author, submitted).status_code == 409


def test_it_ignores_a_tab_left_open_before_this_submission(author: User, reviewer: User, submitted: Claim) -> None:
    ClaimOpen.objects.create(claim=submitted, user=reviewer, opened_at=submitted.submitted_at - timedelta(days=1))
    assert recall_api(author, submitted).status_code == 200


def test_it_refuses_to_recall_a_draft(author: User, claim: Claim) -> None:
    assert recall_api(author, claim).status_code == 409


def test_it_refuses_get_on_recall(author: User, submitted: Claim) -> None:
    assert api_for(author).get(f"/api/v1/claims/{submitted.pk}/recall/").status_code == 405


def test_it_hides_a_claim_from_an_outsiders_recall(outsider: User, submitted: Claim) -> None:
    assert recall_api(outsider, submitted).status_code == 404


def test_it_refuses_a_recall_by_a_reviewer(reviewer: User, submitted: Claim) -> None:
    assert recall_api(reviewer, submitted).status_code == 403


def test_it_lets_a_recalled_claim_be_submitted_again(author: User, submitted: Claim) -> None:
    recall_api(author, submitted)
    assert api_for(author).post(f"/api/v1/claims/{submitted.pk}/submit/").json()["status"] == ClaimStatus.IN_REVIEW


# --- GET /api/v1/claims/?status=rejected&mine=1 ----------------------------------------------------------------------


def test_it_lists_my_rejected_claims(author: User, other_author: User, reviewer: User, submitted: Claim) -> None:
    reject(submitted, reviewer)
    theirs = first_claim(import_text(other_author, numbered_text(2, "Their article")))
    theirs.submit(by=other_author)
    reject(fresh(theirs), reviewer)
    response = api_for(author).get("/api/v1/claims/", {"status": "rejected", "mine": "1"})
    assert [c["id"] for c in response.json()["results"]] == [submitted.pk]


def test_it_lists_only_claims_of_articles_the_caller_owns(reviewer: User, submitted: Claim) -> None:
    reject(submitted, reviewer)
    client = api_for(reviewer)
    assert client.get("/api/v1/claims/", {"status": "rejected"}).json()["count"] == 1
    assert client.get("/api/v1/claims/", {"status": "rejected", "mine": "1"}).json()["count"] == 0


def test_it_refuses_an_unknown_status_filter(author: User) -> None:
    assert api_for(author).get("/api/v1/claims/", {"status": "binned", "mine": "1"}).status_code == 400


def test_it_refuses_an_unknown_mine_value(author: User) -> None:
    assert api_for(author).get("/api/v1/claims/", {"mine": "perhaps"}).status_code == 400


def test_it_documents_the_new_operations_and_filters_in_the_schema(author: User) -> None:
    schema = api_for(author).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/v1/claims/{id}/retire/", "/api/v1/claims/{id}/recall/"} <= set(schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/v1/claims/"]["get"]["parameters"]}
    assert {"status", "mine"} <= params
    assert "409" in schema["paths"]["/api/v1/claims/{id}/recall/"]["post"]["responses"]


# --- pages: retire -------------------------------------------------------------------------------------------------


def test_it_retires_a_claim_from_the_article_page(author: User, claim: Claim) -> None:
    response = client_for(author).post(f"/claims/{claim.pk}/retire/", {"reason": "Junk"}, follow=True)
    assert fresh(claim).status == ClaimStatus.RETIRED
    assert f"Retired claim #{claim.pk}" in response.content.decode()


def test_it_offers_retire_on_the_article_page(author: User, claim: Claim) -> None:
    page = client_for(author).get(f"/articles/{claim.article_id}/").content.decode()
    assert f'action="/claims/{claim.pk}/retire/"' in page


def test_it_offers_retire_on_the_claim_edit_page(author: User, claim: Claim) -> None:
    page = client_for(author).get(f"/claims/{claim.pk}/edit/").content.decode()
    assert f'action="/claims/{claim.pk}/retire/"' in page


def test_it_offers_retire_on_a_rejected_claims_page(author: User, reviewer: User, submitted: Claim) -> None:
    reject(submitted, reviewer)
    page = client_for(author).get(f"/claims/{submitted.pk}/").content.decode()
    assert f'action="/claims/{submitted.pk}/retire/"' in page


def test_it_offers_no_retire_to_a_reviewer(reviewer: User, claim: Claim) -> None:
    page = client_for(reviewer).get(f"/claims/{claim.pk}/").content.decode()
    assert "/retire/" not in page


def test_it_keeps_a_claim_when_the_retire_reason_is_missing(author: User, claim: Claim) -> None:
    response = client_for(author).post(f"/claims/{claim.pk}/retire/", {"reason": ""}, follow=True)
    assert fresh(claim).status == ClaimStatus.DRAFT
    assert f"Say why you are retiring claim #{claim.pk}" in response.content.decode()


def test_it_checks_csrf_on_retire(author: User, claim: Claim) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    assert client.post(f"/claims/{claim.pk}/retire/", {"reason": "Junk"}).status_code == 403


def test_it_refuses_get_on_the_retire_page(author: User, claim: Claim) -> None:
    assert client_for(author).get(f"/claims/{claim.pk}/retire/").status_code == 405


def test_it_hides_a_claim_from_an_outsider_retiring_it(outsider: User, claim: Claim) -> None:
    assert client_for(outsider).post(f"/claims/{claim.pk}/retire/", {"reason": "x"}).status_code == 404


def test_it_refuses_a_reviewer_retiring_from_the_page(reviewer: User, claim: Claim) -> None:
    assert client_for(reviewer).post(f"/claims/{claim.pk}/retire/", {"reason": "x"}).status_code == 403


def test_it_refuses_to_retire_a_retired_claim_from_the_page(author: User, claim: Claim) -> None:
    claim.retire(by=author, reason="Junk")
    assert client_for(author).post(f"/claims/{claim.pk}/retire/", {"reason": "again"}).status_code == 409


# --- pages: recall -------------------------------------------------------------------------------------------------


def test_it_recalls_a_submission_from_the_claim_page(author: User, submitted: Claim) -> None:
    response = client_for(author).post(f"/claims/{submitted.pk}/recall/", follow=True)
    assert fresh(submitted).status == ClaimStatus.DRAFT
    assert f"Recalled claim #{submitted.pk}" in response.content.decode()


def test_it_offers_recall_to_the_owner_while_in_review(author: User, submitted: Claim) -> None:
    page = client_for(author).get(f"/claims/{submitted.pk}/").content.decode()
    assert f'action="/claims/{submitted.pk}/recall/"' in page


def test_it_offers_no_recall_for_a_draft(author: User, claim: Claim) -> None:
    assert "/recall/" not in client_for(author).get(f"/claims/{claim.pk}/").content.decode()


def test_it_offers_no_recall_to_a_reviewer(reviewer: User, submitted: Claim) -> None:
    assert "/recall/" not in client_for(reviewer).get(f"/claims/{submitted.pk}/").content.decode()


def test_it_refuses_a_recall_from_the_page_once_opened(author: User, reviewer: User, submitted: Claim) -> None:
    ClaimOpen.touch(submitted, reviewer)
    assert client_for(author).post(f"/claims/{submitted.pk}/recall/").status_code == 409


def test_it_refuses_get_on_the_recall_page(author: User, submitted: Claim) -> None:
    assert client_for(author).get(f"/claims/{submitted.pk}/recall/").status_code == 405


def test_it_hides_a_claim_from_an_outsider_recalling_it(outsider: User, submitted: Claim) -> None:
    assert client_for(outsider).post(f"/claims/{submitted.pk}/recall/").status_code == 404


def test_it_refuses_a_reviewer_recalling_from_the_page(reviewer: User, submitted: Claim) -> None:
    assert client_for(reviewer).post(f"/claims/{submitted.pk}/recall/").status_code == 403


# --- home: rejected claims are open work ---------------------------------------------------------------------------


def test_it_lists_rejected_claims_as_sent_back_with_the_note(author: User, reviewer: User, submitted: Claim) -> None:
    reject(submitted, reviewer)
    page = client_for(author).get("/").content.decode()
    assert 'Sent back to you <span class="count">1</span>' in page
    assert "The cited trial found the opposite." in page
    assert "rejected by Bob Reviewer" in page


def test_it_keeps_the_home_page_queries_flat_with_rejections(
    author: User,
    reviewer: User,
    article: Article,
    tags: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    claims = list(article.claims.order_by("position"))
    for c in claims:
        c.submit(by=author)
    reject(fresh(claims[0]), reviewer)
    reject(fresh(claims[1]), reviewer)
    request_changes(fresh(claims[2]), reviewer)
    client = client_for(author)
    client.get("/")  # the first request after login rewrites the session
    with django_assert_max_num_queries(11):  # the author's ceiling in tests/test_dashboard.py
        response = client.get("/")
    assert 'Sent back to you <span class="count">3</span>' in response.content.decode()
