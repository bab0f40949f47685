"""Authors archive an article none of whose claims went to review (an import made by mistake)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from content.exceptions import InvalidTransition
from content.models import Article, ClaimStatus
from review.models import AuditEvent
from tests.conftest import client_for, first_claim, import_text, numbered_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(author: User) -> Article:
    return import_text(author, numbered_text(2, title="Imported twice by mistake"))


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_it_archives_the_article_and_retires_its_claims(article: Article, author: User) -> None:
    response = client_for(author).post(f"/articles/{article.pk}/archive/", {"reason": "Imported twice."}, follow=True)
    assert "Archived “Imported twice by mistake” and retired its claims" in response.content.decode()
    article.refresh_from_db()
    assert article.is_archived and article.archive_reason == "Imported twice."
    assert set(article.claims.values_list("status", flat=True)) == {ClaimStatus.RETIRED}


def test_it_records_the_archive_in_the_trail_with_the_reason(article: Article, author: User) -> None:
    article.archive(by=author, reason="Imported twice.")
    event = AuditEvent.objects.get(type="article.archived", object_id=str(article.pk))
    assert (event.actor, event.reason) == (author, "Imported twice.")


def test_it_takes_the_article_off_the_list_and_shows_it_under_archived(article: Article, author: User) -> None:
    article.archive(by=author, reason="Imported twice.")
    client = client_for(author)
    assert "Imported twice by mistake" not in client.get("/articles/").content.decode()
    assert "Imported twice by mistake" in client.get("/articles/?archived=1").content.decode()


def test_it_offers_the_archive_form_only_before_anything_went_to_review(article: Article, author: User) -> None:
    client = client_for(author)
    assert "Archive this article" in client.get(f"/articles/{article.pk}/").content.decode()
    first_claim(article).submit(by=author)
    assert "Archive this article" not in client.get(f"/articles/{article.pk}/").content.decode()


def test_it_refuses_once_a_claim_was_submitted_even_if_recalled(article: Article, author: User) -> None:
    claim = first_claim(article)
    claim.submit(by=author)
    claim.recall(by=author)
    response = client_for(author).post(f"/articles/{article.pk}/archive/", {"reason": "Oops."})
    assert response.status_code == 409
    assert not Article.objects.get(pk=article.pk).is_archived


def test_it_refuses_to_archive_twice(article: Article, author: User) -> None:
    article.archive(by=author, reason="Imported twice.")
    with pytest.raises(InvalidTransition, match="archive an article that is archived"):
        article.archive(by=author, reason="Again.")


def test_it_asks_for_a_reason(article: Article, author: User) -> None:
    response = client_for(author).post(f"/articles/{article.pk}/archive/", {"reason": " "}, follow=True)
    assert "Say why you are archiving" in response.content.decode()
    assert not Article.objects.get(pk=article.pk).is_archived


def test_it_hides_the_article_from_another_author(article: Article, other_author: User) -> None:
    assert client_for(other_author).post(f"/articles/{article.pk}/archive/", {"reason": "x"}).status_code == 404


def test_it_refuses_a_reader_who_is_not_the_author(article: Article, reviewer: User) -> None:
    assert client_for(reviewer).post(f"/articles/{article.pk}/archive/", {"reason": "x"}).status_code == 403


def test_it_archives_by_post_only(article: Article, author: User) -> None:
    assert client_for(author).get(f"/articles/{article.pk}/archive/").status_code == 405


def test_it_archives_through_the_api(article: Article, author: User) -> None:
    response = api_for(author).post(f"/api/v1/articles/{article.pk}/archive/", {"reason": "Imported twice."})
    assert response.status_code == 200
    assert response.json()["archived_at"] is not None and response.json()["claims"] == []


@pytest.mark.parametrize(("who", "status"), [("other_author", 404), ("reviewer", 403)], ids=["outsider", "wrong role"])
def test_it_refuses_others_in_the_api(article: Article, who: str, status: int, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(who)
    assert api_for(user).post(f"/api/v1/articles/{article.pk}/archive/", {"reason": "x"}).status_code == status


def test_it_answers_400_without_a_reason_and_409_once_submitted_in_the_api(article: Article, author: User) -> None:
    client = api_for(author)
    assert client.post(f"/api/v1/articles/{article.pk}/archive/", {}).status_code == 400
    first_claim(article).submit(by=author)
    assert client.post(f"/api/v1/articles/{article.pk}/archive/", {"reason": "x"}).status_code == 409
