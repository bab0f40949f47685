"""The channel read API: contract, channel keys, conditional GET, and flat query counts."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from content.models import Claim
from review.models import Channel, ChannelToken, hash_channel_key
from review.publishing.actions import publish_article as publish_article_verb
from review.publishing.actions import publish_claim
from tests.conftest import client_for
from tests.test_publishing import approve, claims_of, load_channels, make_article

FEED_FIELDS = {
    "claim",
    "article",
    "version",
    "text",
    "html",
    "evidence_grade",
    "required_wording",
    "approved_by",
    "published_at",
    "review_due",
    "content_hash",
}


@pytest.fixture
def channels(groups: None) -> dict[str, Channel]:
    return load_channels()


def key_for(slug: str) -> str:
    out = StringIO()
    call_command("create_channel_token", slug, "--name", "Test consumer", stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def consumer(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Channel {key}")


@pytest.fixture
def live_claim(author: User, reviewer: User, publisher: User, channels: dict[str, Channel]) -> Claim:
    claim = approve(claims_of(make_article(author))[0], reviewer)
    publish_claim(claim, channels["website"], by=publisher)
    publish_claim(claim, channels["partner-api"], by=publisher)
    return claim


# --- contract ------------------------------------------------------------------------------------


def test_it_lists_channels_with_their_policy(channels: dict[str, Channel], publisher: User) -> None:
    body = client_for(publisher).get("/api/v1/channels/").json()
    social = next(c for c in body["results"] if c["slug"] == "social")
    assert social == {
        "name": "Social",
        "slug": "social",
        "audience": "patient",
        "min_grade": "high",
        "signatures_required": 1,
        "blocking_tags": ["absolute-language", "omits-adverse-effects"],
        "max_length": 280,
        "review_interval_days": 90,
        "append_required_wording": False,
    }


def test_it_serves_a_paginated_feed_with_the_contract_fields(live_claim: Claim, publisher: User) -> None:
    body = client_for(publisher).get("/api/v1/channels/website/feed/").json()
    assert set(body) == {"count", "next", "previous", "items"}
    assert body["count"] == 1
    assert set(body["items"][0]) == FEED_FIELDS
    assert body["items"][0]["approved_by"][0].keys() == {"name", "signed_at"}


def test_it_pages_the_feed(author: User, reviewer: User, publisher: User, channels: dict[str, Channel]) -> None:
    for claim in claims_of(make_article(author, [f"Claim number {i} is true." for i in range(3)])):
        publish_claim(approve(claim, reviewer), channels["website"], by=publisher)
    client = client_for(publisher)
    first = client.get("/api/v1/channels/website/feed/?page_size=2").json()
    second = client.get(first["next"]).json()
    assert (len(first["items"]), len(second["items"]), second["next"]) == (2, 1, None)
    assert second["previous"] is not None


def test_it_answers_404_for_an_unknown_channel(channels: dict[str, Channel], publisher: User) -> None:
    assert client_for(publisher).get("/api/v1/channels/pigeon/feed/").status_code == 404


def test_it_sends_an_etag_and_cache_control(live_claim: Claim, publisher: User) -> None:
    response = client_for(publisher).get("/api/v1/channels/website/feed/")
    assert response["ETag"].startswith('"')
    assert "no-cache" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_it_answers_304_when_the_feed_is_unchanged(live_claim: Claim, publisher: User) -> None:
    client = client_for(publisher)
    etag = client.get("/api/v1/channels/website/feed/")["ETag"]
    response = client.get("/api/v1/channels/website/feed/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""


def test_it_changes_the_etag_when_the_feed_changes(live_claim: Claim, publisher: User) -> None:
    client = client_for(publisher)
    etag = client.get("/api/v1/channels/website/feed/")["ETag"]
    pub = live_claim.publications.get(channel__slug="website")  # type: ignore[attr-defined]
    client.post(f"/api/v1/publications/{pub.pk}/withdraw/", {"reason": "Stop"}, content_type="application/json")
    response = client.get("/api/v1/channels/website/feed/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_it_serves_an_article_with_an_etag(
    author: User, reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    article = make_article(author)
    approve(claims_of(article)[0], reviewer)
    publish_article_verb(article, channels["website"], by=publisher)
    client = client_for(publisher)
    response = client.get(f"/api/v1/channels/website/articles/{article.pk}/")
    assert response.status_code == 200
    again = client.get(f"/api/v1/channels/website/articles/{article.pk}/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


# --- who may read --------------------------------------------------------------------------------


def test_it_refuses_anonymous_feed_readers(live_claim: Claim) -> None:
    response = Client().get("/api/v1/channels/website/feed/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Channel"


def test_it_refuses_authors_the_feed(live_claim: Claim, author: User) -> None:
    assert client_for(author).get("/api/v1/channels/website/feed/").status_code == 403


def test_it_lets_a_channel_key_read_its_channel(live_claim: Claim) -> None:
    response = consumer(key_for("website")).get("/api/v1/channels/website/feed/")
    assert response.status_code == 200
    assert response.json()["items"][0]["claim"] == live_claim.pk


def test_it_lets_a_channel_key_read_its_channels_articles(
    author: User, reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    article = make_article(author)
    approve(claims_of(article)[0], reviewer)
    publish_article_verb(article, channels["website"], by=publisher)
    response = consumer(key_for("website")).get(f"/api/v1/channels/website/articles/{article.pk}/")
    assert response.status_code == 200


def test_it_refuses_a_channel_key_another_channel(live_claim: Claim) -> None:
    response = consumer(key_for("website")).get("/api/v1/channels/partner-api/feed/")
    assert response.status_code == 403
    assert response.json()["detail"] == "This key is for another channel."


def test_it_refuses_a_channel_key_another_channels_article(live_claim: Claim) -> None:
    url = f"/api/v1/channels/partner-api/articles/{live_claim.article_id}/"
    assert consumer(key_for("website")).get(url).status_code == 403


def test_it_refuses_a_channel_key_the_claims_api(live_claim: Claim) -> None:
    client = consumer(key_for("website"))
    assert client.get("/api/v1/claims/").status_code in {401, 403}
    assert client.get(f"/api/v1/claims/{live_claim.pk}/").status_code in {401, 403}


def test_it_refuses_a_channel_key_the_channel_list(live_claim: Claim) -> None:
    assert consumer(key_for("website")).get("/api/v1/channels/").status_code in {401, 403}


def test_it_refuses_a_channel_key_every_write_endpoint(live_claim: Claim) -> None:
    client = consumer(key_for("website"))
    pub = live_claim.publications.get(channel__slug="website")  # type: ignore[attr-defined]
    writes = [
        (f"/api/v1/claims/{live_claim.pk}/publications/", {"channel": "website"}),
        (f"/api/v1/publications/{pub.pk}/withdraw/", {"reason": "Mine now"}),
        (f"/api/v1/articles/{live_claim.article_id}/publications/", {"channel": "website"}),
        ("/api/v1/articles/", {"text": "Title\n\nA claim.", "format": "text"}),
    ]
    for url, data in writes:
        assert client.post(url, data, content_type="application/json").status_code in {401, 403}, url
    pub.refresh_from_db()
    assert pub.withdrawn_at is None


def test_it_refuses_an_unknown_key(live_claim: Claim) -> None:
    assert consumer("not-a-real-key").get("/api/v1/channels/website/feed/").status_code == 401


def test_it_refuses_a_revoked_key(live_claim: Claim) -> None:
    key = key_for("website")
    token = ChannelToken.objects.get(key_hash=hash_channel_key(key))
    token.revoked_at = token.created_at
    token._history_user = token.created_by  # type: ignore[attr-defined]
    token.save()
    assert consumer(key).get("/api/v1/channels/website/feed/").status_code == 401


def test_it_stores_only_a_hash_of_the_key(channels: dict[str, Channel]) -> None:
    key = key_for("website")
    token = ChannelToken.objects.get()
    assert token.key_hash == hash_channel_key(key)
    assert key not in {token.key_hash, token.prefix, token.name}
    assert token.prefix == key[:8]


def test_it_refuses_a_token_for_an_unknown_channel(channels: dict[str, Channel]) -> None:
    with pytest.raises(CommandError, match="No channel 'pigeon'"):
        call_command("create_channel_token", "pigeon", stdout=StringIO(), stderr=StringIO())


# --- query counts --------------------------------------------------------------------------------


def publish_many(n: int, author: User, reviewer: User, publisher: User, channel: Channel) -> None:
    article = make_article(author, [f"Adults who sleep well report benefit number {i}." for i in range(n)])
    for claim in claims_of(article):
        publish_claim(approve(claim, reviewer, tags=["not-medical-advice"]), channel, by=publisher)


@pytest.mark.parametrize("rows", [2, 20])
def test_it_reads_the_feed_in_flat_queries(
    rows: int,
    author: User,
    reviewer: User,
    publisher: User,
    channels: dict[str, Channel],
    django_assert_max_num_queries: Any,
) -> None:
    publish_many(rows, author, reviewer, publisher, channels["website"])
    client = consumer(key_for("website"))
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/channels/website/feed/")
    assert len(response.json()["items"]) == rows


@pytest.mark.parametrize("rows", [2, 20])
def test_it_assembles_an_article_in_flat_queries(
    rows: int,
    author: User,
    reviewer: User,
    publisher: User,
    channels: dict[str, Channel],
    django_assert_max_num_queries: Any,
) -> None:
    article = make_article(author, [f"Adults who sleep well report benefit number {i}." for i in range(rows)])
    for claim in claims_of(article):
        approve(claim, reviewer)
    publish_article_verb(article, channels["website"], by=publisher)
    client = consumer(key_for("website"))
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/channels/website/articles/{article.pk}/")
    assert len(response.json()["sections"][0]["items"]) == rows
