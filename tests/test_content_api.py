"""The content JSON API: its contract (paths, fields, status codes) is used by outside integrations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from content.models import Article, Claim, ClaimStatus
from tests.conftest import first_claim, import_text, numbered_text

pytestmark = pytest.mark.django_db

ARTICLE_FIELDS = {"id", "title", "sections", "claims"}
CLAIM_FIELDS = {
    "id",
    "article",
    "section",
    "position",
    "text",
    "html",
    "status",
    "version",
    "content_hash",
    "citations",
    "author",
}
CITATION_FIELDS = {"id", "label", "authors", "year"}
VERSION_FIELDS = {"version", "text", "content_hash", "changed_by", "changed_at", "change_reason"}
TEXT = "Hydration\n\nWater makes up most of the body (Popkin, 2010). Thirst is a good guide for most adults.\n"


def api_for(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def article(author: User) -> Article:
    return import_text(author, TEXT)


@pytest.fixture
def claim(article: Article) -> Claim:
    return first_claim(article)


def patch(client: APIClient, claim: Claim, **body: Any) -> Any:
    data = {"text": "Water is most of an adult's body weight.", "expected_version": 1, "change_reason": "Plainer"}
    return client.patch(f"/api/v1/claims/{claim.pk}/", {**data, **body}, format="json")


# --- POST /api/v1/articles/ ----------------------------------------------------------------------------------------


def test_it_imports_an_article(author: User) -> None:
    response = api_for(author).post("/api/v1/articles/", {"text": TEXT, "format": "text"}, format="json")
    assert response.status_code == 201


def test_it_returns_the_imported_article(author: User) -> None:
    body = api_for(author).post("/api/v1/articles/", {"text": TEXT, "format": "text"}, format="json").json()
    assert ARTICLE_FIELDS <= set(body) and [c["text"] for c in body["claims"]] == [
        "Water makes up most of the body (Popkin, 2010).",
        "Thirst is a good guide for most adults.",
    ]


def test_it_returns_claims_in_the_contract_shape(author: User) -> None:
    body = api_for(author).post("/api/v1/articles/", {"text": TEXT, "format": "text"}, format="json").json()
    claim = body["claims"][0]
    assert CLAIM_FIELDS <= set(claim) and CITATION_FIELDS <= set(claim["citations"][0])


def test_it_returns_a_new_claim_as_a_draft_at_version_one(author: User) -> None:
    body = api_for(author).post("/api/v1/articles/", {"text": TEXT, "format": "text"}, format="json").json()
    claim = body["claims"][0]
    assert (claim["status"], claim["version"], claim["author"], claim["article"]) == ("draft", 1, "alice", body["id"])


def test_it_uses_a_given_title(author: User) -> None:
    body = api_for(author).post("/api/v1/articles/", {"text": TEXT, "title": "Drink up"}, format="json").json()
    assert body["title"] == "Drink up"


def test_it_defaults_to_plain_text(author: User) -> None:
    body = api_for(author).post("/api/v1/articles/", {"text": TEXT}, format="json").json()
    assert body["format"] == "text"


def test_it_imports_markdown_over_the_api(author: User) -> None:
    text = "# Sleep\n\nSleep helps **memory**.\n"
    body = api_for(author).post("/api/v1/articles/", {"text": text, "format": "markdown"}, format="json").json()
    assert body["claims"][0]["html"] == "<p>Sleep helps <strong>memory</strong>.</p>"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"text": "", "format": "text"}, "detail"),
        ({"format": "text"}, "text"),
        ({"text": TEXT, "format": "docx"}, "format"),
        ({"text": "Home\nMenu\nShare this\n"}, "detail"),
        ({"text": "Water\n\nWater is good\x00 for you."}, "text"),
    ],
    ids=["empty", "missing", "bad-format", "only-boilerplate", "nul"],
)
def test_it_refuses_bad_imports_with_a_reason(author: User, body: dict[str, Any], field: str) -> None:
    response = api_for(author).post("/api/v1/articles/", body, format="json")
    assert (response.status_code, field in response.json()) == (400, True)


def test_it_writes_nothing_for_a_bad_import(author: User) -> None:
    api_for(author).post("/api/v1/articles/", {"text": "Home\nMenu\n"}, format="json")
    assert Article.objects.count() == 0


def test_it_refuses_an_import_by_a_reviewer(reviewer: User) -> None:
    response = api_for(reviewer).post("/api/v1/articles/", {"text": TEXT}, format="json")
    assert response.status_code == 403


def test_it_refuses_an_anonymous_import(db: None) -> None:
    response = api_for().post("/api/v1/articles/", {"text": TEXT}, format="json")
    assert response.status_code in (401, 403)


# --- GET /api/v1/articles/{id}/ ----------------------------------------------------------------------------------


def test_it_shows_an_article_in_the_import_shape(author: User, article: Article) -> None:
    body = api_for(author).get(f"/api/v1/articles/{article.pk}/").json()
    assert ARTICLE_FIELDS <= set(body) and CLAIM_FIELDS <= set(body["claims"][0])


def test_it_shows_an_articles_sections(author: User) -> None:
    article = import_text(author, "# Sleep\n\n## Why\n\nSleep helps memory.\n", "markdown")
    sections = api_for(author).get(f"/api/v1/articles/{article.pk}/").json()["sections"]
    assert [s["heading"] for s in sections] == ["Why"]


def test_it_leaves_retired_claims_out_of_an_article(author: User, article: Article, claim: Claim) -> None:
    claim.retire(by=author, reason="Out of date")
    body = api_for(author).get(f"/api/v1/articles/{article.pk}/").json()
    assert [c["id"] for c in body["claims"]] == [article.claims.get(position=2).pk]


def test_it_shows_any_article_to_a_reviewer(reviewer: User, article: Article) -> None:
    assert api_for(reviewer).get(f"/api/v1/articles/{article.pk}/").status_code == 200


def test_it_hides_an_article_from_another_author(other_author: User, article: Article) -> None:
    assert api_for(other_author).get(f"/api/v1/articles/{article.pk}/").status_code == 404


def test_it_hides_an_article_from_an_outsider(outsider: User, article: Article) -> None:
    assert api_for(outsider).get(f"/api/v1/articles/{article.pk}/").status_code == 404


# --- GET /api/v1/claims/ -----------------------------------------------------------------------------------------


def results(response: Any) -> list[dict[str, Any]]:
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def test_it_lists_an_articles_claims_in_order(author: User, article: Article) -> None:
    import_text(author, numbered_text(2))
    claims = results(api_for(author).get(f"/api/v1/claims/?article={article.pk}"))
    assert [c["position"] for c in claims] == [1, 2] and {c["article"] for c in claims} == {article.pk}


def test_it_filters_claims_by_status(author: User, article: Article, claim: Claim) -> None:
    claim.submit(by=author)
    claims = results(api_for(author).get(f"/api/v1/claims/?article={article.pk}&status=in_review"))
    assert [(c["id"], c["status"]) for c in claims] == [(claim.pk, "in_review")]


def test_it_refuses_an_unknown_status_filter(author: User) -> None:
    response = api_for(author).get("/api/v1/claims/?status=published")
    assert (response.status_code, "status" in response.json()) == (400, True)


def test_it_refuses_a_non_numeric_article_filter(author: User) -> None:
    assert api_for(author).get("/api/v1/claims/?article=abc").status_code == 400


def test_it_lists_no_claims_to_an_outsider(outsider: User, article: Article) -> None:
    assert results(api_for(outsider).get(f"/api/v1/claims/?article={article.pk}")) == []


def test_it_lists_no_claims_of_another_author(other_author: User, article: Article) -> None:
    assert results(api_for(other_author).get("/api/v1/claims/")) == []


# --- GET /api/v1/claims/{id}/ ------------------------------------------------------------------------------------


def test_it_shows_a_claim(author: User, claim: Claim) -> None:
    body = api_for(author).get(f"/api/v1/claims/{claim.pk}/").json()
    assert CLAIM_FIELDS <= set(body) and (body["id"], body["content_hash"]) == (claim.pk, claim.content_hash)


def test_it_shows_a_claims_citations(author: User, claim: Claim) -> None:
    citations = api_for(author).get(f"/api/v1/claims/{claim.pk}/").json()["citations"]
    assert [(c["label"], c["authors"], c["year"]) for c in citations] == [("Popkin, 2010", "Popkin", 2010)]


def test_it_hides_a_claim_from_an_outsider(outsider: User, claim: Claim) -> None:
    assert api_for(outsider).get(f"/api/v1/claims/{claim.pk}/").status_code == 404


# --- PATCH /api/v1/claims/{id}/ ----------------------------------------------------------------------------------


def test_it_revises_a_claim(author: User, claim: Claim) -> None:
    response = patch(api_for(author), claim)
    assert (response.status_code, response.json()["version"]) == (200, 2)


def test_it_returns_the_new_text_and_hash(author: User, claim: Claim) -> None:
    body = patch(api_for(author), claim).json()
    claim.refresh_from_db()
    assert (body["text"], body["content_hash"]) == ("Water is most of an adult's body weight.", claim.content_hash)


def test_it_refuses_a_stale_patch_with_the_current_text(author: User, claim: Claim) -> None:
    client = api_for(author)
    patch(client, claim, text="First editor's words.")
    response = patch(client, claim, text="Second editor's words.")
    assert response.status_code == 409
    assert (response.json()["current_version"], response.json()["current_text"]) == (2, "First editor's words.")


def test_it_loses_nothing_on_a_stale_patch(author: User, claim: Claim) -> None:
    client = api_for(author)
    patch(client, claim, text="First editor's words.")
    patch(client, claim, text="Second editor's words.")
    claim.refresh_from_db()
    assert (claim.version, claim.text) == (2, "First editor's words.")


@pytest.mark.parametrize("body", [{"change_reason": ""}, {"change_reason": "   "}, {"change_reason": None}])
def test_it_refuses_a_patch_without_a_reason(author: User, claim: Claim, body: dict[str, Any]) -> None:
    response = patch(api_for(author), claim, **body)
    assert (response.status_code, "change_reason" in response.json()) == (400, True)


def test_it_refuses_a_patch_missing_the_reason_field(author: User, claim: Claim) -> None:
    response = api_for(author).patch(
        f"/api/v1/claims/{claim.pk}/", {"text": "New words.", "expected_version": 1}, format="json"
    )
    assert response.status_code == 400


def test_it_refuses_a_patch_without_an_expected_version(author: User, claim: Claim) -> None:
    response = api_for(author).patch(
        f"/api/v1/claims/{claim.pk}/", {"text": "New words.", "change_reason": "Why"}, format="json"
    )
    assert (response.status_code, "expected_version" in response.json()) == (400, True)


def test_it_refuses_a_patch_that_changes_nothing(author: User, claim: Claim) -> None:
    assert patch(api_for(author), claim, text=claim.text).status_code == 400


def test_it_refuses_a_patch_while_in_review(author: User, claim: Claim) -> None:
    claim.submit(by=author)
    response = patch(api_for(author), claim)
    assert (response.status_code, response.json()["status"]) == (409, "in_review")


def test_it_refuses_a_patch_by_a_reviewer(reviewer: User, claim: Claim) -> None:
    assert patch(api_for(reviewer), claim).status_code == 403


def test_it_hides_a_claim_from_an_outsiders_patch(outsider: User, claim: Claim) -> None:
    assert patch(api_for(outsider), claim).status_code == 404


# --- GET /api/v1/claims/{id}/versions/ ---------------------------------------------------------------------------


def test_it_lists_versions_oldest_first(author: User, claim: Claim) -> None:
    patch(api_for(author), claim)
    versions = api_for(author).get(f"/api/v1/claims/{claim.pk}/versions/").json()
    assert [(v["version"], v["change_reason"], v["changed_by"]) for v in versions] == [
        (1, "Imported", "alice"),
        (2, "Plainer", "alice"),
    ]


def test_it_lists_versions_in_the_contract_shape(author: User, claim: Claim) -> None:
    versions = api_for(author).get(f"/api/v1/claims/{claim.pk}/versions/").json()
    assert VERSION_FIELDS <= set(versions[0]) and versions[0]["content_hash"] == claim.content_hash


def test_it_hides_versions_from_an_outsider(outsider: User, claim: Claim) -> None:
    assert api_for(outsider).get(f"/api/v1/claims/{claim.pk}/versions/").status_code == 404


# --- POST /api/v1/claims/{id}/submit/ ----------------------------------------------------------------------------


def test_it_submits_a_claim(author: User, claim: Claim) -> None:
    response = api_for(author).post(f"/api/v1/claims/{claim.pk}/submit/")
    assert (response.status_code, response.json()["status"], response.json()["version"]) == (200, "in_review", 1)


def test_it_refuses_to_submit_twice(author: User, claim: Claim) -> None:
    client = api_for(author)
    client.post(f"/api/v1/claims/{claim.pk}/submit/")
    assert client.post(f"/api/v1/claims/{claim.pk}/submit/").status_code == 409


def test_it_refuses_a_submit_by_a_reviewer(reviewer: User, claim: Claim) -> None:
    assert api_for(reviewer).post(f"/api/v1/claims/{claim.pk}/submit/").status_code == 403


def test_it_hides_a_claim_from_an_outsiders_submit(outsider: User, claim: Claim) -> None:
    assert api_for(outsider).post(f"/api/v1/claims/{claim.pk}/submit/").status_code == 404


def test_it_refuses_get_on_submit(author: User, claim: Claim) -> None:
    assert api_for(author).get(f"/api/v1/claims/{claim.pk}/submit/").status_code == 405


def test_it_keeps_the_status_values_of_the_contract() -> None:
    assert ClaimStatus.values == ["draft", "in_review", "changes_requested", "approved", "rejected", "retired"]


# --- schema and tokens -------------------------------------------------------------------------------------------


def test_it_publishes_an_openapi_schema_with_the_content_paths(author: User) -> None:
    response = api_for(author).get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = response.json()["paths"]
    assert response.status_code == 200
    assert {
        "/api/v1/articles/",
        "/api/v1/articles/{id}/",
        "/api/v1/claims/",
        "/api/v1/claims/{id}/",
        "/api/v1/claims/{id}/versions/",
        "/api/v1/claims/{id}/submit/",
    } <= set(paths)


def test_it_describes_the_patch_body_in_the_schema(author: User) -> None:
    schema = api_for(author).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    # drf-spectacular names every PATCH body "Patched…" (it assumes partial updates).
    body = schema["components"]["schemas"]["PatchedClaimPatch"]
    assert {"text", "expected_version", "change_reason"} <= set(body["properties"])


def test_it_documents_the_conflict_response_in_the_schema(author: User) -> None:
    schema = api_for(author).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    conflict = schema["paths"]["/api/v1/claims/{id}/"]["patch"]["responses"]["409"]
    assert conflict["content"]["application/json"]["schema"]["$ref"].endswith("/Stale")


def test_it_accepts_a_token_from_drf_create_token(author: User, claim: Claim) -> None:
    call_command("drf_create_token", author.username, stdout=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=author).key}")
    assert client.get(f"/api/v1/claims/{claim.pk}/").status_code == 200


def test_it_refuses_a_wrong_token(author: User, claim: Claim) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(f"/api/v1/claims/{claim.pk}/").status_code in (401, 403)


def test_it_enforces_csrf_for_session_writes(author: User, claim: Claim) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(author)
    assert client.post(f"/api/v1/claims/{claim.pk}/submit/").status_code == 403


# --- query counts ------------------------------------------------------------------------------------------------


def queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


@pytest.mark.parametrize("n", [2, 20])
def test_it_lists_claims_in_a_fixed_number_of_queries(author: User, django_assert_max_num_queries: Any, n: int) -> None:
    article = import_text(author, numbered_text(n))
    client = api_for(author)
    with django_assert_max_num_queries(12):
        assert len(results(client.get(f"/api/v1/claims/?article={article.pk}"))) == n


def test_it_lists_20_claims_in_as_many_queries_as_2(author: User) -> None:
    small, large = import_text(author, numbered_text(2)), import_text(author, numbered_text(20))
    client = api_for(author)
    client.get("/api/v1/claims/")  # warm the session and permission caches
    counts = [queries(lambda a=a: client.get(f"/api/v1/claims/?article={a.pk}")) for a in (small, large)]
    assert counts[0] == counts[1]


@pytest.mark.parametrize("n", [2, 20])
def test_it_shows_an_article_in_a_fixed_number_of_queries(
    author: User, django_assert_max_num_queries: Any, n: int
) -> None:
    article = import_text(author, numbered_text(n))
    client = api_for(author)
    with django_assert_max_num_queries(13):
        assert len(client.get(f"/api/v1/articles/{article.pk}/").json()["claims"]) == n


def test_it_shows_an_article_of_20_claims_in_as_many_queries_as_2(author: User) -> None:
    small, large = import_text(author, numbered_text(2)), import_text(author, numbered_text(20))
    client = api_for(author)
    counts = [queries(lambda a=a: client.get(f"/api/v1/articles/{a.pk}/")) for a in (small, large)]
    assert counts[0] == counts[1]
