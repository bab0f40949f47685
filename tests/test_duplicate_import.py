"""Importing the same text twice: the service refuses, the API answers 409, the page offers the existing article."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from content.actions import import_article
from content.exceptions import DuplicateImport
from content.models import Article
from tests.conftest import client_for, import_text

pytestmark = pytest.mark.django_db

TEXT = "Fibre and the gut\n\nDietary fibre feeds gut bacteria that make short-chain fatty acids.\n"


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def post(user: User, **body: object) -> dict[str, object]:
    response = api_for(user).post("/api/v1/articles/", {"text": TEXT, "format": "text", **body}, format="json")
    return {"status": response.status_code, **response.json()}


def test_it_refuses_the_same_text_from_the_same_author(author: User) -> None:
    first = import_text(author, TEXT)
    with pytest.raises(DuplicateImport) as refused:
        import_text(author, TEXT)
    assert refused.value.article_id == first.pk


def test_it_ignores_line_ends_and_trailing_spaces_when_comparing(author: User) -> None:
    import_text(author, TEXT)
    with pytest.raises(DuplicateImport):
        import_text(author, TEXT.replace("\n", "  \r\n") + "\n\n")


def test_it_imports_different_text(author: User) -> None:
    import_text(author, TEXT)
    assert import_text(author, TEXT + "\nOats are a source of soluble fibre.\n").pk


def test_it_imports_the_same_text_from_another_author(author: User, other_author: User) -> None:
    import_text(author, TEXT)
    assert import_text(other_author, TEXT).owner == other_author


def test_it_imports_a_duplicate_when_forced(author: User) -> None:
    import_text(author, TEXT)
    import_text(author, TEXT, force=True)
    assert Article.objects.filter(owner=author).count() == 2


def test_it_writes_nothing_for_a_refused_duplicate(author: User) -> None:
    import_text(author, TEXT)
    with pytest.raises(DuplicateImport):
        import_text(author, TEXT)
    assert Article.objects.count() == 1


def test_it_lets_an_article_be_re_imported_with_its_own_text(author: User) -> None:
    article = import_text(author, TEXT)
    assert import_article(text=TEXT, fmt="text", author=author, article=article).unchanged == 1


def test_it_answers_409_with_the_existing_article(author: User) -> None:
    first = import_text(author, TEXT)
    body = post(author)
    assert (body["status"], body["article"]) == (409, first.pk) and "already imported" in str(body["detail"])


def test_it_imports_a_duplicate_over_the_api_when_forced(author: User) -> None:
    import_text(author, TEXT)
    assert post(author, force=True)["status"] == 201


def test_it_warns_on_the_import_page_with_a_link_to_the_article(author: User) -> None:
    first = import_text(author, TEXT)
    response = client_for(author).post("/articles/import/", {"text": TEXT, "format": "text"})
    assert response.status_code == 409 and f'href="/articles/{first.pk}/"' in response.text


def test_it_offers_import_anyway_on_the_import_page(author: User) -> None:
    import_text(author, TEXT)
    response = client_for(author).post("/articles/import/", {"text": TEXT, "format": "text"})
    assert 'name="force"' in response.text


def test_it_keeps_the_text_in_the_form_after_the_warning(author: User) -> None:
    import_text(author, TEXT)
    response = client_for(author).post("/articles/import/", {"text": TEXT, "format": "text"})
    assert "Dietary fibre feeds gut bacteria" in response.text


def test_it_has_no_import_anyway_box_before_a_duplicate(author: User) -> None:
    assert 'name="force"' not in client_for(author).get("/articles/import/").text


def test_it_imports_anyway_from_the_import_page(author: User) -> None:
    import_text(author, TEXT)
    response = client_for(author).post("/articles/import/", {"text": TEXT, "format": "text", "force": "on"})
    assert response.status_code == 302 and Article.objects.filter(owner=author).count() == 2
