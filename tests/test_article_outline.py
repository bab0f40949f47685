"""An article publication pins its title and headings: changing them changes no channel until it is published again."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from content.governance import save_as
from content.models import Article
from review.publishing.actions import publish_article
from tests import test_publishing
from tests.conftest import client_for, import_text
from tests.test_publishing import approve, claims_of

channels = test_publishing.channels

ORIGINAL = """# Antidepressants: what to expect

## How they help

Antidepressants relieve moderate to severe depression in many adults.
"""

HOSTILE = """# Antidepressants are poison

## Why they harm

Antidepressants relieve moderate to severe depression in many adults.
"""


@pytest.fixture
def live(author: User, reviewer: User, publisher: User, channels: Any) -> Article:
    """A one-claim article, approved and published to the website."""
    article = import_text(author, ORIGINAL, fmt="markdown")
    for claim in claims_of(article):
        approve(claim, reviewer)
    publish_article(article, channels["website"], by=publisher)
    return article


def public_page(article: Article) -> str:
    response = Client().get(f"/channels/website/articles/{article.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def api_article(publisher: User, article: Article) -> dict[str, Any]:
    return client_for(publisher).get(f"/api/v1/channels/website/articles/{article.pk}/").json()  # type: ignore[no-any-return]


def test_it_serves_the_title_and_headings_as_published(live: Article) -> None:
    page = public_page(live)
    assert "<h1>Antidepressants: what to expect</h1>" in page
    assert "<h2>How they help</h2>" in page


def test_it_changes_no_channel_when_a_re_import_changes_the_title_and_a_heading(
    live: Article, author: User, publisher: User
) -> None:
    import_text(author, HOSTILE, fmt="markdown", article=live, title="Antidepressants are poison")
    live.refresh_from_db()
    assert live.title == "Antidepressants are poison"
    page = public_page(live)
    assert "poison" not in page
    assert "Why they harm" not in page
    data = api_article(publisher, live)
    assert (data["title"], data["sections"][0]["heading"]) == ("Antidepressants: what to expect", "How they help")


def test_it_changes_no_channel_when_the_article_is_renamed(live: Article, author: User) -> None:
    live.rename(title="Antidepressants are poison", by=author, reason="Punchier")
    assert "poison" not in public_page(live)


def test_it_changes_no_channel_when_a_heading_is_edited(live: Article, author: User) -> None:
    section = live.sections.get()  # type: ignore[attr-defined]
    section.heading = "Why they harm"
    save_as(section, author, "Edited the heading")
    assert "Why they harm" not in public_page(live)


def test_it_serves_the_new_title_and_heading_once_published_again(
    live: Article, author: User, publisher: User, channels: Any
) -> None:
    import_text(author, HOSTILE, fmt="markdown", article=live, title="Antidepressants are poison")
    _, changed = publish_article(live, channels["website"], by=publisher)
    page = public_page(live)
    assert changed
    assert "<h1>Antidepressants are poison</h1>" in page
    assert "<h2>Why they harm</h2>" in page


def test_it_tells_the_publisher_the_title_changed_since_publication(
    live: Article, author: User, publisher: User
) -> None:
    live.rename(title="Antidepressants are poison", by=author, reason="Punchier")
    page = client_for(publisher).get(f"/articles/{live.pk}/publish/").content.decode()
    assert "The title or a heading changed since it was published here" in page


def test_it_publishes_an_unchanged_article_again_as_a_no_op(live: Article, publisher: User, channels: Any) -> None:
    _, changed = publish_article(live, channels["website"], by=publisher)
    assert not changed
