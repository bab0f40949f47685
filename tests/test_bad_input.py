"""Bad input is a 400 (or a 404 for a URL that names nothing), never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from content.models import Article, Claim
from review.models import DEFAULT_MEANING, Channel
from tests import review_helpers
from tests.conftest import PASSWORD, client_for, first_claim
from tests.test_channels_api import channels

claim = review_helpers.claim
__all__ = ["channels", "claim"]  # fixtures shared with other test modules
BEYOND_64_BITS = "99999999999999999999"


def review_body(c: Claim, **overrides: object) -> str:
    body = {
        "version": c.version,
        "evidence_grade": "high",
        "decision": "approve",
        "password": PASSWORD,
        "signature_meaning": DEFAULT_MEANING,
    }
    return json.dumps(body | overrides)


def post_review(user: User, c: Claim, raw: str) -> Any:
    return client_for(user).post(f"/api/v1/claims/{c.pk}/reviews/", raw, content_type="application/json")


# --- NUL bytes ------------------------------------------------------------------------


def test_it_refuses_a_nul_in_an_api_filter_naming_it(compliance: User) -> None:
    response = client_for(compliance).get("/api/v1/audit/events/?actor=%00")
    assert response.status_code == 400 and "actor" in response.json()


def test_it_refuses_a_nul_in_a_page_filter_naming_it(reviewer: User) -> None:
    response = client_for(reviewer).get("/review/queue/?tag=web%00site")
    assert response.status_code == 400 and "tag" in response.content.decode()


def test_it_refuses_a_nul_in_the_url_path(publisher: User) -> None:
    assert client_for(publisher).get("/api/v1/channels/web%00site/feed/").status_code == 400


def test_it_refuses_a_nul_in_a_form_field_naming_it(sample_article: Article, author: User) -> None:
    c = first_claim(sample_article)
    response = client_for(author).post(f"/claims/{c.pk}/edit/", {"text": "Sleep\x00 helps.", "expected_version": 1})
    assert response.status_code == 400 and "text" in response.content.decode()


def test_it_refuses_a_nul_in_a_json_string_naming_it(claim: Claim, reviewer: User) -> None:
    response = post_review(reviewer, claim, review_body(claim, nuance_note="a\x00b"))
    assert response.status_code == 400 and "nuance_note" in response.json()


# --- JSON nested too deep ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        ("reviewer", "post", "/api/v1/claims/{pk}/reviews/"),
        ("author", "patch", "/api/v1/claims/{pk}/"),
        ("author", "post", "/api/v1/articles/"),
    ],
)
def test_it_refuses_json_nested_too_deep(
    who: str, method: str, path: str, claim: Claim, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(who))
    send = getattr(client, method)
    response = send(path.format(pk=claim.pk), "[" * 100_000, content_type="application/json")
    assert response.status_code == 400


# --- moments beyond the calendar --------------------------------------------------------


def test_it_refuses_an_as_of_moment_with_no_utc_form(claim: Claim, compliance: User) -> None:
    response = client_for(compliance).get(f"/api/v1/claims/{claim.pk}/as-of/?at=9999-12-31T23:00:00-05:00")
    assert response.status_code == 400


def test_it_refuses_a_since_before_the_calendar_in_the_api(compliance: User) -> None:
    response = client_for(compliance).get("/api/v1/audit/events/?since=0001-01-01T00:00:00%2B05:00")
    assert response.status_code == 400


def test_it_refuses_a_since_before_the_calendar_on_the_timeline_page(compliance: User) -> None:
    response = client_for(compliance).get("/compliance/?since=0001-01-01T00:00:00%2B05:00")
    assert response.status_code == 400


# --- ids beyond 64 bits ---------------------------------------------------------------


def test_it_answers_404_for_a_page_id_beyond_64_bits(reviewer: User) -> None:
    assert client_for(reviewer).get(f"/claims/{BEYOND_64_BITS}/").status_code == 404


def test_it_answers_404_for_an_api_id_beyond_64_bits(reviewer: User) -> None:
    assert client_for(reviewer).get(f"/api/v1/claims/{BEYOND_64_BITS}/").status_code == 404


def test_it_refuses_an_article_filter_beyond_64_bits(author: User) -> None:
    response = client_for(author).get(f"/api/v1/claims/?article={BEYOND_64_BITS}")
    assert response.status_code == 400 and "article" in response.json()


def test_it_refuses_a_queue_article_filter_beyond_64_bits(reviewer: User) -> None:
    response = client_for(reviewer).get(f"/api/v1/review-queue/?article={BEYOND_64_BITS}")
    assert response.status_code == 400 and "article" in response.json()


def test_it_shows_the_queue_page_error_for_an_article_beyond_64_bits(reviewer: User) -> None:
    response = client_for(reviewer).get(f"/review/queue/?article={BEYOND_64_BITS}")
    assert "less than or equal to" in response.content.decode()


def test_it_refuses_a_citation_id_beyond_64_bits(sample_article: Article, author: User) -> None:
    c = first_claim(sample_article)
    body = {"text": "Sleep helps.", "expected_version": c.version, "change_reason": "x", "citations": [10**30]}
    response = client_for(author).patch(f"/api/v1/claims/{c.pk}/", body, content_type="application/json")
    assert response.status_code == 400 and "citations" in response.json()


# --- lengths --------------------------------------------------------------------------


def test_it_refuses_a_signature_meaning_longer_than_its_column(claim: Claim, reviewer: User) -> None:
    response = post_review(reviewer, claim, review_body(claim, signature_meaning="x" * 301))
    assert response.status_code == 400 and "signature_meaning" in response.json()


# --- Cache-Control on personal answers ------------------------------------------------


def test_it_forbids_storing_a_signed_in_page(reviewer: User) -> None:
    response = client_for(reviewer).get("/review/queue/")
    assert response["Cache-Control"] == "no-store, private"


def test_it_forbids_storing_a_token_api_answer(author: User) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=author).key}")
    assert client.get("/api/v1/claims/")["Cache-Control"] == "no-store, private"


def test_it_leaves_an_anonymous_answer_alone(db: None) -> None:
    assert not APIClient().get("/api/v1/claims/").has_header("Cache-Control")


def test_it_leaves_a_channel_feed_its_own_cache_control(publisher: User, channels: dict[str, Channel]) -> None:
    response = client_for(publisher).get("/api/v1/channels/website/feed/")
    assert "no-store" not in response["Cache-Control"]
