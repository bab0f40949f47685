"""A channel's feed as of a moment: the renditions live then, byte for byte (compliance only)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from review.models import Channel, Publication
from review.publishing.actions import publish_claim, withdraw_publication
from tests.conftest import client_for
from tests.test_channels_api import consumer, key_for
from tests.test_publishing import approve, approved, channels, claims_of, make_article, revise

__all__ = ["approved", "channels"]  # fixtures

FEED = "/api/v1/channels/website/feed/"


def as_of(client: Client, moment: str) -> object:
    return client.get(FEED, {"as_of": moment})


@pytest.fixture
def served_then(
    author: User, reviewer: User, publisher: User, channels: dict[str, Channel]
) -> tuple[bytes, str, Publication]:
    """Two claims live (one with appended wording); the feed body a reader got, and that moment."""
    website = channels["website"]
    first = approve(claims_of(make_article(author, ["Walking helps sleep."]))[0], reviewer)
    second = approve(
        claims_of(make_article(author, ["Sertraline eases depression."]))[0], reviewer, tags=["not-medical-advice"]
    )
    pub, _ = publish_claim(first, website, by=publisher)
    publish_claim(second, website, by=publisher)
    body = client_for(publisher).get(FEED).content
    return body, timezone.now().isoformat(), pub


def test_it_recalls_the_bytes_served_at_that_moment(
    served_then: tuple[bytes, str, Publication],
    author: User,
    reviewer: User,
    publisher: User,
    compliance: User,
    channels: dict[str, Channel],
) -> None:
    body, moment, pub = served_then
    # Afterwards the feed changes: one claim withdrawn, a third published, the first revised.
    withdraw_publication(pub, by=publisher, reason="Checking a figure")
    third = approve(claims_of(make_article(author, ["Tai chi helps balance."]))[0], reviewer)
    publish_claim(third, channels["website"], by=publisher)
    revise(pub.claim, "Walking helps some people sleep.")

    assert client_for(publisher).get(FEED).content != body
    assert as_of(client_for(compliance), moment).content == body  # type: ignore[attr-defined]


def test_it_recalls_the_appended_wording_readers_saw(
    served_then: tuple[bytes, str, Publication], compliance: User
) -> None:
    _, moment, _ = served_then
    items = as_of(client_for(compliance), moment).json()["items"]  # type: ignore[attr-defined]
    assert items[0]["text"].endswith("Do not start, stop or change a medicine without talking to your doctor.")


def test_it_recalls_nothing_before_anything_was_published(
    served_then: tuple[bytes, str, Publication], compliance: User
) -> None:
    earlier = (timezone.now() - timedelta(days=1)).isoformat()
    assert as_of(client_for(compliance), earlier).json() == {  # type: ignore[attr-defined]
        "count": 0,
        "next": None,
        "previous": None,
        "items": [],
    }


def test_it_leaves_out_what_was_withdrawn_by_then(
    served_then: tuple[bytes, str, Publication], publisher: User, compliance: User
) -> None:
    _, _, pub = served_then
    withdraw_publication(pub, by=publisher, reason="Checking a figure")
    items = as_of(client_for(compliance), timezone.now().isoformat()).json()["items"]  # type: ignore[attr-defined]
    assert [i["claim"] for i in items] != [] and pub.claim_id not in [i["claim"] for i in items]


def test_it_leaves_out_an_approval_expired_by_then(
    served_then: tuple[bytes, str, Publication], compliance: User, channels: dict[str, Channel]
) -> None:
    later = timezone.now() + timedelta(days=channels["website"].review_interval_days + 1)
    assert as_of(client_for(compliance), later.isoformat()).json()["items"] == []  # type: ignore[attr-defined]


def test_it_refuses_as_of_to_a_publisher(served_then: tuple[bytes, str, Publication], publisher: User) -> None:
    assert as_of(client_for(publisher), timezone.now().isoformat()).status_code == 403  # type: ignore[attr-defined]


def test_it_refuses_as_of_to_a_channel_key(served_then: tuple[bytes, str, Publication]) -> None:
    response = consumer(key_for("website")).get(FEED, {"as_of": timezone.now().isoformat()})
    assert response.status_code == 403


def test_it_answers_400_for_a_bad_moment(served_then: tuple[bytes, str, Publication], compliance: User) -> None:
    response = as_of(client_for(compliance), "last tuesday")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "as_of" in response.json()  # type: ignore[attr-defined]


def test_it_reads_a_naive_moment_as_utc(served_then: tuple[bytes, str, Publication], compliance: User) -> None:
    naive = timezone.now().replace(tzinfo=None).isoformat()
    assert as_of(client_for(compliance), naive).json()["count"] == 2  # type: ignore[attr-defined]


def test_it_shows_the_same_bytes_on_the_compliance_page(
    served_then: tuple[bytes, str, Publication], publisher: User, compliance: User
) -> None:
    _, moment, pub = served_then
    withdraw_publication(pub, by=publisher, reason="Checking a figure")
    page = client_for(compliance).get("/compliance/as-of/", {"what": "channel", "id": "website", "at": moment})
    api = as_of(client_for(compliance), moment).json()["items"]  # type: ignore[attr-defined]
    assert [i["text"] for i in page.context["snapshot"]["items"]] == [i["text"] for i in api]
    assert b"Do not start, stop or change a medicine" in page.content


def test_it_leaves_out_a_rendition_altered_since(served_then: tuple[bytes, str, Publication], compliance: User) -> None:
    from tests.test_renditions import tamper

    _, moment, pub = served_then
    pub.refresh_from_db()
    assert pub.rendition is not None
    with mock.patch("review.models.channels.logger") as logger:
        tamper(pub.rendition, item=pub.rendition.item.replace("helps", "cures"))
        items = as_of(client_for(compliance), moment).json()["items"]  # type: ignore[attr-defined]
    assert pub.claim_id not in [i["claim"] for i in items]
    logger.error.assert_called_once()
