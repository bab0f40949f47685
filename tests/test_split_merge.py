"""Authors fix the importer's split: split at several points at once, merge with either neighbour,
and an import that gets both pasted text and a file is refused, not half-guessed."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from content.models import Article, Claim, ClaimStatus
from tests.conftest import client_for, import_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(author: User) -> Article:
    return import_text(
        author,
        "Hydration\n\nWater is most of the body; thirst lags behind need; older adults feel it later.\n\n"
        "Coffee counts towards daily fluid intake.\n\nTea does too.\n",
    )


def claims(article: Article) -> list[Claim]:
    return list(article.claims.order_by("position"))


def live_texts(article: Article) -> list[str]:
    return list(article.claims.live().order_by("position").values_list("text", flat=True))


def split(author: User, claim: Claim, text: str) -> Any:
    return client_for(author).post(
        f"/claims/{claim.pk}/split/",
        {"text": text, "expected_version": claim.version, "change_reason": "Three facts"},
        follow=True,
    )


def merge(author: User, claim: Claim, direction: str) -> Any:
    return client_for(author).post(
        f"/claims/{claim.pk}/merge/",
        {"expected_version": claim.version, "change_reason": "One fact", "direction": direction},
        follow=True,
    )


# --- split ---------------------------------------------------------------------------------


def test_it_splits_at_several_points_at_once(article: Article, author: User) -> None:
    first = claims(article)[0]
    split(author, first, "Water is most of the body.\n---\nThirst lags behind need.\n---\nOlder adults feel it later.")
    assert live_texts(article) == [
        "Water is most of the body.",
        "Thirst lags behind need.",
        "Older adults feel it later.",
        "Coffee counts towards daily fluid intake.",
        "Tea does too.",
    ]


def test_it_names_the_claims_in_the_message(article: Article, author: User) -> None:
    first = claims(article)[0]
    response = split(author, first, "Water is most of the body.\n---\nThirst lags.\n---\nOlder adults feel it later.")
    new = [c.pk for c in claims(article)[1:3]]
    assert (
        f"Split claim #{first.pk} “Water is most of the body.” into 3 claims: it and #{new[0]}, #{new[1]}."
        in response.content.decode()
    )


def test_it_asks_for_a_split_point(article: Article, author: User) -> None:
    response = split(author, claims(article)[0], "Water is most of the body.")
    assert response.status_code == 400
    assert "Put a split point where each new claim starts." in response.content.decode()
    assert len(live_texts(article)) == 3


def test_it_refuses_two_split_points_side_by_side(article: Article, author: User) -> None:
    response = split(author, claims(article)[0], "Water is most of the body.\n---\n---\nThirst lags.")
    assert response.status_code == 400
    assert len(live_texts(article)) == 3


def test_it_shows_the_claim_in_one_box_with_a_split_here_button(article: Article, author: User) -> None:
    first = claims(article)[0]
    html = client_for(author).get(f"/claims/{first.pk}/split/").content.decode()
    assert html.count("<textarea") == 1 and first.text in html
    assert 'data-split-here="id_text"' in html


# --- merge ---------------------------------------------------------------------------------


def test_it_merges_a_claim_into_the_previous_one(article: Article, author: User) -> None:
    tea = claims(article)[2]
    merge(author, tea, "previous")
    assert live_texts(article)[1] == "Coffee counts towards daily fluid intake. Tea does too."
    assert Claim.objects.get(pk=tea.pk).status == ClaimStatus.RETIRED


def test_it_names_both_claims_when_merging_into_the_previous_one(article: Article, author: User) -> None:
    _, coffee, tea = claims(article)
    html = merge(author, tea, "previous").content.decode()
    assert f"Merged claim #{tea.pk} “Tea does too.” into the previous claim, claim #{coffee.pk}" in html


def test_it_still_merges_the_next_claim_into_this_one(article: Article, author: User) -> None:
    coffee = claims(article)[1]
    html = merge(author, coffee, "next").content.decode()
    assert "Merged the claim with the next one" in html
    assert live_texts(article)[1] == "Coffee counts towards daily fluid intake. Tea does too."


def test_it_says_there_is_nothing_before_the_first_claim(article: Article, author: User) -> None:
    html = merge(author, claims(article)[0], "previous").content.decode()
    assert "This is the first claim of the article" in html
    assert len(live_texts(article)) == 3


def test_it_refuses_a_stale_merge_into_the_previous_claim(article: Article, author: User) -> None:
    _, _, tea = claims(article)
    response = client_for(author).post(
        f"/claims/{tea.pk}/merge/", {"expected_version": 7, "change_reason": "One fact", "direction": "previous"}
    )
    assert response.status_code == 409
    assert len(live_texts(article)) == 3


def test_it_refuses_to_merge_into_a_previous_claim_in_review(article: Article, author: User) -> None:
    _, coffee, tea = claims(article)
    coffee.submit(by=author)
    response = client_for(author).post(
        f"/claims/{tea.pk}/merge/", {"expected_version": 1, "change_reason": "One fact", "direction": "previous"}
    )
    assert response.status_code == 409
    assert Claim.objects.get(pk=tea.pk).status == ClaimStatus.DRAFT


def test_it_offers_merge_with_previous_on_every_claim_but_the_first(article: Article, author: User) -> None:
    first, coffee, _ = claims(article)
    html = client_for(author).get(f"/articles/{article.pk}/").content.decode()
    item = html.split(f'id="claim-{first.pk}"')[1].split("</li>")[0]
    assert "Merge with previous" not in item
    assert "Merge with previous" in html.split(f'id="claim-{coffee.pk}"')[1].split("</li>")[0]


# --- importing: text or a file, not both ----------------------------------------------------


def test_it_refuses_pasted_text_and_a_file_together(author: User) -> None:
    upload = SimpleUploadedFile("sleep.txt", b"Sleep\n\nSleep helps memory (Walker, 2017).\n", "text/plain")
    response = client_for(author).post(
        "/articles/import/", {"text": "Diet\n\nOlive oil helps.\n", "upload": upload, "format": "auto"}
    )
    assert response.status_code == 400
    assert "You pasted text and chose a file" in response.content.decode()
    assert not Article.objects.exists()


def test_it_still_imports_a_file_alone(author: User) -> None:
    upload = SimpleUploadedFile("sleep.txt", b"Sleep\n\nSleep helps memory (Walker, 2017).\n", "text/plain")
    client_for(author).post("/articles/import/", {"text": "", "upload": upload, "format": "auto"})
    assert Article.objects.get().title == "Sleep"
