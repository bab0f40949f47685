"""Channel reads in front of patient traffic: strong ETags before any body, cheap 304s, never stale."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from content.models import Article
from review.models import Channel, Publication
from review.publishing.actions import publish_article, withdraw_publication
from tests.test_channels_api import consumer, key_for
from tests.test_publishing import approve, channels, claims_of, make_article

__all__ = ["channels"]  # fixture

FEED = "/api/v1/channels/website/feed/"


@pytest.fixture(autouse=True)
def cold_cache() -> None:
    cache.clear()


@pytest.fixture
def article(author: User, reviewer: User, publisher: User, channels: dict[str, Channel]) -> Article:
    article = make_article(author, [f"Adults who sleep well report benefit number {i}." for i in range(20)])
    for claim in claims_of(article):
        approve(claim, reviewer, tags=["not-medical-advice"])
    publish_article(article, channels["website"], by=publisher)
    return article


@pytest.fixture
def reader(article: Article) -> Client:
    return consumer(key_for("website"))


def page_url(article: Article) -> str:
    return f"/channels/website/articles/{article.pk}/"


def test_it_answers_an_unchanged_feed_with_a_304_in_five_queries(
    reader: Client, django_assert_num_queries: Any
) -> None:
    etag = reader.get(FEED)["ETag"]
    # The key, the channel and its tags, the count and the page: no facts, no body.
    with django_assert_num_queries(5):
        response = reader.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


def test_it_serves_a_cold_feed_page_in_flat_queries(reader: Client, django_assert_num_queries: Any) -> None:
    # The 304's five, then the version facts re-checked before the renditions are served.
    with django_assert_num_queries(8):
        response = reader.get(FEED)
    assert len(response.json()["items"]) == 20


def test_it_serves_a_feed_page_already_built_from_the_shared_cache(
    reader: Client, django_assert_num_queries: Any
) -> None:
    first = reader.get(FEED)
    with django_assert_num_queries(5):
        again = reader.get(FEED)
    assert again.content == first.content


def test_it_tags_the_feed_with_a_strong_etag_and_revalidation(reader: Client) -> None:
    response = reader.get(FEED)
    assert not response["ETag"].startswith("W/")
    assert {"private", "max-age=0", "must-revalidate"} <= set(response["Cache-Control"].replace(" ", "").split(","))


def test_it_gives_the_same_etag_to_the_same_feed(reader: Client) -> None:
    assert reader.get(FEED)["ETag"] == reader.get(FEED)["ETag"]


def test_it_sees_a_withdrawal_on_the_next_request(article: Article, reader: Client, publisher: User) -> None:
    etag = reader.get(FEED)["ETag"]
    pub = Publication.objects.filter(claim__article=article).first()
    assert pub is not None
    withdraw_publication(pub, by=publisher, reason="Checking a figure")
    response = reader.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert pub.claim_id not in [i["claim"] for i in response.json()["items"]]


def test_it_sees_an_expiry_on_the_next_request(reader: Client, channels: dict[str, Channel]) -> None:
    etag = reader.get(FEED)["ETag"]
    later = timezone.now() + timedelta(days=channels["website"].review_interval_days + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = reader.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_it_answers_an_unchanged_public_page_with_a_304_in_four_queries(
    article: Article, django_assert_num_queries: Any
) -> None:
    etag = Client().get(page_url(article))["ETag"]
    # The channel and its tags, the article's publication, its claims' publications.
    with django_assert_num_queries(4):
        response = Client().get(page_url(article), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


def test_it_serves_a_cold_public_page_in_flat_queries(article: Article, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(7):
        response = Client().get(page_url(article))
    assert response.content.count(b'class="public-claim"') == 20


def test_it_lets_shared_caches_keep_the_public_page_if_they_revalidate(article: Article) -> None:
    response = Client().get(page_url(article))
    assert {"public", "max-age=0", "must-revalidate"} <= set(response["Cache-Control"].replace(" ", "").split(","))


def test_it_drops_a_withdrawn_claim_from_a_cached_public_page(article: Article, publisher: User) -> None:
    Client().get(page_url(article))
    pub = Publication.objects.filter(claim__article=article).order_by("claim__position").first()
    assert pub is not None
    withdraw_publication(pub, by=publisher, reason="Checking a figure")
    page = Client().get(page_url(article)).content.decode()
    assert f'id="claim-{pub.claim_id}"' not in page
    assert page.count('class="public-claim"') == 19


def test_it_answers_an_unchanged_article_with_a_304_in_five_queries(
    article: Article, reader: Client, django_assert_num_queries: Any
) -> None:
    url = f"/api/v1/channels/website/articles/{article.pk}/"
    etag = reader.get(url)["ETag"]
    with django_assert_num_queries(5):
        response = reader.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
