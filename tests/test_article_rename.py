"""Renaming an article after import: PATCH /api/v1/articles/{id}/ and the form on the article page."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from content.models import Article
from review.models import AuditEvent
from tests.conftest import client_for, import_text

pytestmark = pytest.mark.django_db

TEXT = "Untitled notes\n\nWalking after meals lowers blood glucose in adults (Reynolds, 2016).\n"


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def article(author: User) -> Article:
    return import_text(author, TEXT)


def rename(user: User, article: Article, **body: Any) -> Any:
    body = {"title": "Walking and glucose", **body}
    return api_for(user).patch(f"/api/v1/articles/{article.pk}/", body, format="json")


def test_it_renames_an_article_over_the_api(author: User, article: Article) -> None:
    assert rename(author, article).json()["title"] == "Walking and glucose"


def test_it_keeps_the_slug_when_renamed(author: User, article: Article) -> None:
    slug = article.slug
    rename(author, article)
    article.refresh_from_db()
    assert article.slug == slug


def test_it_records_a_rename_in_history_with_a_reason(author: User, article: Article) -> None:
    rename(author, article, change_reason="The page had no title")
    latest = article.history.latest()
    assert (latest.title, latest.history_user, latest.history_change_reason) == (
        "Walking and glucose",
        author,
        "The page had no title (was: Untitled notes)",
    )


def test_it_gives_a_rename_a_default_reason(author: User, article: Article) -> None:
    rename(author, article)
    assert article.history.latest().history_change_reason == "Title changed after import (was: Untitled notes)"


def test_it_chains_a_rename_in_the_audit_trail(author: User, article: Article) -> None:
    before = AuditEvent.objects.filter(article=article).count()
    rename(author, article)
    assert AuditEvent.objects.filter(article=article).count() == before + 1


def test_it_refuses_a_blank_title(author: User, article: Article) -> None:
    assert rename(author, article, title="   ").status_code == 400


def test_it_refuses_a_title_over_300_characters(author: User, article: Article) -> None:
    assert rename(author, article, title="x" * 301).status_code == 400


def test_it_hides_the_article_from_another_author(other_author: User, article: Article) -> None:
    assert rename(other_author, article).status_code == 404


def test_it_hides_the_article_from_an_outsider(outsider: User, article: Article) -> None:
    assert rename(outsider, article).status_code == 404


def test_it_refuses_a_rename_by_a_reviewer(reviewer: User, article: Article) -> None:
    assert rename(reviewer, article).status_code == 403


def test_it_leaves_the_title_alone_when_refused(reviewer: User, article: Article) -> None:
    rename(reviewer, article)
    article.refresh_from_db()
    assert article.title == "Untitled notes"


def test_it_writes_no_history_when_the_title_is_the_same(author: User, article: Article) -> None:
    count = article.history.count()
    rename(author, article, title="Untitled notes")
    assert article.history.count() == count


def test_it_refuses_put_on_an_article(author: User, article: Article) -> None:
    response = api_for(author).put(f"/api/v1/articles/{article.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 405


# --- the form on the article page ---------------------------------------------------------------------------------


def test_it_renames_from_the_article_page(author: User, article: Article) -> None:
    response = client_for(author).post(f"/articles/{article.pk}/rename/", {"title": "Walking and glucose"})
    article.refresh_from_db()
    assert (response.status_code, response["Location"], article.title) == (
        302,
        f"/articles/{article.pk}/",
        "Walking and glucose",
    )


def test_it_shows_the_rename_form_to_the_author(author: User, article: Article) -> None:
    assert f'action="/articles/{article.pk}/rename/"' in client_for(author).get(f"/articles/{article.pk}/").text


def test_it_hides_the_rename_form_from_a_reviewer(reviewer: User, article: Article) -> None:
    assert "/rename/" not in client_for(reviewer).get(f"/articles/{article.pk}/").text


def test_it_refuses_a_get_on_the_rename_page(author: User, article: Article) -> None:
    assert client_for(author).get(f"/articles/{article.pk}/rename/").status_code == 405


def test_it_refuses_a_rename_from_the_page_by_a_reviewer(reviewer: User, article: Article) -> None:
    assert client_for(reviewer).post(f"/articles/{article.pk}/rename/", {"title": "x"}).status_code == 403


def test_it_hides_the_rename_page_from_an_outsider(outsider: User, article: Article) -> None:
    assert client_for(outsider).post(f"/articles/{article.pk}/rename/", {"title": "x"}).status_code == 404


def test_it_keeps_the_title_when_the_page_sends_a_blank_one(author: User, article: Article) -> None:
    client_for(author).post(f"/articles/{article.pk}/rename/", {"title": " "})
    article.refresh_from_db()
    assert article.title == "Untitled notes"


def test_it_refuses_a_rename_without_a_csrf_token(author: User, article: Article) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    assert client.post(f"/articles/{article.pk}/rename/", {"title": "x"}).status_code == 403
