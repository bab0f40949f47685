"""Search across articles and claims: what matches, the filters, and only what the user may see.

Runs on both databases: PostgreSQL full-text search, SQLite FTS5 (and its LIKE fallback).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from content.models import Article, Claim
from content.search import engine, install_fts_index, search
from tests.conftest import client_for, first_claim, import_text

pytestmark = pytest.mark.django_db

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite index")


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def sleep(author: User) -> Article:
    return import_text(
        author,
        "Sleep and the heart\n\nAdults who sleep seven hours have fewer heart attacks (Walker, 2017).\n\n"
        "Coffee after noon delays sleep onset (Drake, 2013).\n",
    )


@pytest.fixture
def diet(other_author: User) -> Article:
    return import_text(other_author, "Diet and the heart\n\nOlive oil lowers heart disease risk (Estruch, 2018).\n")


def found(user: User, q: str = "", **filters: str) -> list[tuple[str, int]]:
    return [(hit.type, hit.id) for hit in search(user, q, **filters)]


def claim_with(article: Article, word: str) -> Claim:
    return article.claims.get(text__icontains=word)


def test_it_finds_a_claim_by_a_word_of_its_text(sleep: Article, reviewer: User) -> None:
    assert found(reviewer, "coffee") == [("claim", claim_with(sleep, "Coffee").pk)]


def test_it_finds_an_article_by_its_title(sleep: Article, diet: Article, reviewer: User) -> None:
    assert found(reviewer, "diet") == [("article", diet.pk)]


def test_it_matches_other_forms_of_a_word(sleep: Article, reviewer: User) -> None:
    assert ("claim", claim_with(sleep, "attacks").pk) in found(reviewer, "attack")


def test_it_needs_every_word_to_match(sleep: Article, reviewer: User) -> None:
    assert found(reviewer, "coffee heart") == []


def test_it_lists_articles_before_claims(sleep: Article, diet: Article, reviewer: User) -> None:
    types = [t for t, _ in found(reviewer, "heart")]
    assert types == ["article", "article", "claim", "claim"]


def test_it_reads_what_people_type_as_words_not_syntax(sleep: Article, reviewer: User) -> None:
    assert found(reviewer, 'coffee" OR (heart* NEAR') == []
    assert found(reviewer, "coffee!") == [("claim", claim_with(sleep, "Coffee").pk)]


def test_it_shows_an_author_only_their_own_articles(sleep: Article, diet: Article, author: User) -> None:
    assert ("article", diet.pk) not in found(author, "heart")
    assert ("article", sleep.pk) in found(author, "heart")


def test_it_shows_an_outsider_nothing(sleep: Article, outsider: User) -> None:
    assert found(outsider, "heart") == []


def test_it_filters_by_type(sleep: Article, reviewer: User) -> None:
    assert {t for t, _ in found(reviewer, "heart", type="claim")} == {"claim"}


def test_it_filters_claims_by_status(sleep: Article, author: User, reviewer: User) -> None:
    coffee = claim_with(sleep, "Coffee")
    coffee.submit(by=author)
    assert found(reviewer, "", status="in_review") == [("claim", coffee.pk)]


def test_it_filters_by_the_articles_owner(sleep: Article, diet: Article, reviewer: User) -> None:
    assert found(reviewer, "heart", owner="dave") == [("article", diet.pk), ("claim", first_claim(diet).pk)]


def test_it_finds_a_revised_claim_by_its_new_words_only(sleep: Article, author: User, reviewer: User) -> None:
    coffee = claim_with(sleep, "Coffee")
    coffee.revise(
        text="Tea after noon delays sleep onset.", reason="Tea, per the source.", expected_version=1, by=author
    )
    assert found(reviewer, "tea") == [("claim", coffee.pk)]
    assert found(reviewer, "coffee") == []


def test_it_slices_one_page_across_articles_and_claims(sleep: Article, diet: Article, reviewer: User) -> None:
    results = search(reviewer, "heart")
    assert [h.type for h in results[1:3]] == ["article", "claim"]
    assert results.count() == 4


@on_sqlite
def test_it_falls_back_to_every_word_in_the_text_without_fts5(
    sleep: Article, reviewer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "fts5_available", lambda alias: False)
    assert found(reviewer, "coffee noon") == [("claim", claim_with(sleep, "Coffee").pk)]


@on_sqlite
def test_it_rebuilds_the_index_when_a_migration_dropped_its_triggers(sleep: Article, reviewer: User) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER content_claim_fts_insert")
    import_text(sleep.owner, "Naps\n\nNapping helps toddlers learn (Kurdziel, 2013).\n")
    install_fts_index(connection)
    assert [t for t, _ in found(reviewer, "toddlers")] == ["claim"]


# --- the page and the API ------------------------------------------------------------------


def test_it_shows_results_on_the_search_page_linked_to_the_claim(sleep: Article, reviewer: User) -> None:
    coffee = claim_with(sleep, "Coffee")
    page = client_for(reviewer).get("/search/", {"q": "coffee"}).content.decode()
    assert f'href="/claims/{coffee.pk}/"' in page and "Coffee after noon delays sleep onset" in page


def test_it_shows_the_search_page_empty_before_a_query(reviewer: User) -> None:
    response = client_for(reviewer).get("/search/")
    assert response.status_code == 200 and "every word must match" in response.content.decode()


def test_it_answers_400_to_an_unknown_status_on_the_page(reviewer: User) -> None:
    assert client_for(reviewer).get("/search/", {"status": "nonsense"}).status_code == 400


def test_it_sends_anonymous_visitors_to_log_in(db: None) -> None:
    assert Client().get("/search/", {"q": "x"}).status_code == 302


def test_it_answers_the_api_with_type_id_text_article_status(sleep: Article, reviewer: User) -> None:
    coffee = claim_with(sleep, "Coffee")
    body = api_for(reviewer).get("/api/v1/search/", {"q": "coffee"}).json()
    assert body["count"] == 1
    assert body["results"] == [
        {"type": "claim", "id": coffee.pk, "text": coffee.text, "article": sleep.pk, "status": "draft"}
    ]


def test_it_answers_the_api_with_an_articles_title(sleep: Article, reviewer: User) -> None:
    body = api_for(reviewer).get("/api/v1/search/", {"q": "sleep", "type": "article"}).json()
    assert body["results"] == [
        {"type": "article", "id": sleep.pk, "title": "Sleep and the heart", "article": sleep.pk, "status": "active"}
    ]


@pytest.mark.parametrize("params", [{"type": "reference"}, {"status": "published"}])
def test_it_answers_400_to_an_unknown_filter_in_the_api(reviewer: User, params: dict[str, str]) -> None:
    response = api_for(reviewer).get("/api/v1/search/", params)
    assert response.status_code == 400 and set(response.json()) == set(params)


def test_it_documents_search_in_the_schema(reviewer: User) -> None:
    assert "/api/v1/search/" in api_for(reviewer).get("/api/schema/?format=json").json()["paths"]


def test_it_serves_the_search_page_in_the_same_number_of_queries_as_results_grow(
    sleep: Article, author: User, reviewer: User, django_assert_max_num_queries: Any
) -> None:
    client = client_for(reviewer)
    client.get("/search/", {"q": "heart"})  # warm up: sessions, content types
    with CaptureQueriesContext(connection) as captured:
        client.get("/search/", {"q": "heart"})
    small = len(captured.captured_queries)
    for n in range(5):
        import_text(author, f"Heart {n}\n\nThe heart beats faster number {n} (Smith, {2000 + n}).\n")
    with django_assert_max_num_queries(small):
        client.get("/search/", {"q": "heart"})
