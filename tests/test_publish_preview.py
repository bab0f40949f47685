"""Publishing shows what each channel will serve before it happens, and a superseded citation must be confirmed."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from content.models import Claim, Reference
from review.models import Channel, NuanceTag, Publication
from review.retraction import retract_reference
from tests import test_publishing
from tests.conftest import client_for
from tests.test_library import import_claims
from tests.test_publishing import approve, claims_of, feed, make_article, publish

channels = test_publishing.channels

TEXT = "Regular exercise improves mild depression."


def preview_url(claim: Claim, channel: str = "website") -> str:
    return f"/api/v1/claims/{claim.pk}/publications/preview/?channel={channel}"


@pytest.fixture
def worded(author: User, reviewer: User, channels: dict[str, Channel]) -> Claim:
    """Approved with the medical-advice notice: the website appends it, social cannot carry it."""
    return approve(claims_of(make_article(author, [TEXT]))[0], reviewer, grade="high", tags=["not-medical-advice"])


def notice() -> str:
    return NuanceTag.objects.get(slug="not-medical-advice").required_wording


# --- the preview API -------------------------------------------------------------------------------


def test_it_previews_the_exact_text_a_channel_will_serve(worded: Claim, publisher: User) -> None:
    data = client_for(publisher).get(preview_url(worded)).json()
    text = f"{TEXT}\n\n{notice()}"
    assert {k: data[k] for k in ("channel", "text", "required_wording", "length", "failed_rules")} == {
        "channel": "website",
        "text": text,
        "required_wording": [notice()],
        "length": len(text),
        "failed_rules": [],
    }


def test_it_previews_what_the_feed_then_serves(worded: Claim, publisher: User) -> None:
    client = client_for(publisher)
    shown = client.get(preview_url(worded)).json()
    publish(client, worded, "website")
    assert feed(client, "website")[0]["text"] == shown["text"]


def test_it_previews_the_rules_a_channel_refuses_on(worded: Claim, publisher: User) -> None:
    data = client_for(publisher).get(preview_url(worded, "social")).json()
    assert "it needs its required wording, which this channel does not append" in data["failed_rules"]


def test_it_changes_nothing_by_previewing(worded: Claim, publisher: User) -> None:
    client_for(publisher).get(preview_url(worded))
    assert not Publication.objects.exists()


def test_it_refuses_a_preview_without_a_known_channel(worded: Claim, publisher: User) -> None:
    response = client_for(publisher).get(preview_url(worded, "nowhere"))
    assert response.status_code == 400
    assert "channel" in response.json()


def test_it_refuses_a_preview_to_an_author(worded: Claim, author: User) -> None:
    assert client_for(author).get(preview_url(worded)).status_code == 403


def test_it_hides_a_preview_from_an_outsider(worded: Claim, outsider: User) -> None:
    assert client_for(outsider).get(preview_url(worded)).status_code == 404


def test_it_documents_the_preview_in_the_schema(publisher: User) -> None:
    schema = client_for(publisher).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/claims/{id}/publications/preview/" in schema["paths"]


# --- the pages: preview, then confirm --------------------------------------------------------------


def test_it_shows_each_chosen_channel_its_text_wording_and_length(worded: Claim, publisher: User) -> None:
    response = client_for(publisher).get(f"/claims/{worded.pk}/publish/preview/?channel=website&channel=social")
    page = response.content.decode()
    assert response.status_code == 200
    assert notice() in page
    assert f"{len(TEXT) + 2 + len(notice())} characters" in page
    assert "Will not be published here" in page  # social
    assert 'name="channel" value="website"' in page
    assert 'name="channel" value="social"' not in page


def test_it_refuses_a_preview_page_with_no_channel(worded: Claim, publisher: User) -> None:
    assert client_for(publisher).get(f"/claims/{worded.pk}/publish/preview/").status_code == 400


def test_it_publishes_every_confirmed_channel(worded: Claim, publisher: User) -> None:
    client = client_for(publisher)
    client.post(f"/claims/{worded.pk}/publish/", {"channel": ["website", "newsletter"]})
    assert set(Publication.objects.values_list("channel__slug", flat=True)) == {"website", "newsletter"}


def test_it_publishes_none_when_one_confirmed_channel_refuses(worded: Claim, publisher: User) -> None:
    response = client_for(publisher).post(f"/claims/{worded.pk}/publish/", {"channel": ["website", "social"]})
    assert response.status_code == 409
    assert not Publication.objects.exists()


def test_it_offers_a_preview_not_a_one_click_publish(worded: Claim, publisher: User) -> None:
    page = client_for(publisher).get(f"/claims/{worded.pk}/publish/").content.decode()
    assert f'action="/claims/{worded.pk}/publish/preview/"' in page
    assert '<form method="post" class="inline">' not in page


# --- a superseded citation ---------------------------------------------------------------------------


@pytest.fixture
def citing_superseded(author: User, reviewer: User, second_reviewer: User, channels: dict[str, Channel]) -> Claim:
    """Approved, its cited work then superseded, and approved again in the new round."""
    (claim,) = claims_of(import_claims(author, "Regular walking lowers blood pressure (Smith, 2019)."))
    approve(claim, reviewer, grade="high")
    retract_reference(
        Reference.objects.get(key="smith|2019"), status="superseded", reason="Replaced by Smith, 2024.", by=reviewer
    )
    return approve(claim, second_reviewer, grade="high")


def publish_api(client: Client, claim: Claim, **extra: Any) -> Any:
    return client.post(
        f"/api/v1/claims/{claim.pk}/publications/", {"channel": "website", **extra}, content_type="application/json"
    )


def test_it_refuses_a_superseded_citation_the_publisher_did_not_confirm(
    citing_superseded: Claim, publisher: User
) -> None:
    response = publish_api(client_for(publisher), citing_superseded)
    assert response.status_code == 409
    assert response.json()["superseded"] == ["Smith, 2019"]
    assert "superseded" in response.json()["detail"]


def test_it_publishes_a_superseded_citation_once_confirmed(citing_superseded: Claim, publisher: User) -> None:
    assert publish_api(client_for(publisher), citing_superseded, confirm_superseded=True).status_code == 201


def test_it_warns_of_a_superseded_citation_in_the_preview(citing_superseded: Claim, publisher: User) -> None:
    client = client_for(publisher)
    assert client.get(preview_url(citing_superseded)).json()["superseded"] == ["Smith, 2019"]
    page = client.get(f"/claims/{citing_superseded.pk}/publish/preview/?channel=website").content.decode()
    assert 'name="confirm_superseded"' in page


def test_it_publishes_a_superseded_citation_from_the_confirm_form(citing_superseded: Claim, publisher: User) -> None:
    client = client_for(publisher)
    refused = client.post(f"/claims/{citing_superseded.pk}/publish/", {"channel": "website"})
    confirmed = client.post(
        f"/claims/{citing_superseded.pk}/publish/", {"channel": "website", "confirm_superseded": "on"}
    )
    assert (refused.status_code, confirmed.status_code) == (409, 302)


# --- an article ------------------------------------------------------------------------------------


@pytest.fixture
def article_ready(author: User, reviewer: User, channels: dict[str, Channel]) -> Any:
    article = make_article(author, sections=[("What helps", [TEXT])], title="Exercise and mood")
    approve(claims_of(article)[0], reviewer, grade="high", tags=["not-medical-advice"])
    return article


def test_it_previews_an_article_with_its_title_headings_and_wording(article_ready: Any, publisher: User) -> None:
    url = f"/articles/{article_ready.pk}/publish/preview/?channel=website&channel=social"
    page = client_for(publisher).get(url).content.decode()
    assert "<strong>Exercise and mood</strong>" in page
    assert "<h3>What helps</h3>" in page
    assert notice() in page
    assert 'name="channel" value="website"' in page
    assert 'name="channel" value="social"' not in page  # it cannot carry the wording


def test_it_publishes_an_article_from_the_confirm_step(article_ready: Any, publisher: User) -> None:
    client_for(publisher).post(f"/articles/{article_ready.pk}/publish/", {"channel": ["website"]})
    assert Client().get(f"/channels/website/articles/{article_ready.pk}/").status_code == 200


def test_it_refuses_an_article_preview_to_an_author(article_ready: Any, author: User) -> None:
    assert client_for(author).get(f"/articles/{article_ready.pk}/publish/preview/?channel=website").status_code == 403
