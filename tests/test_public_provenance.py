"""The website page says who vouched for each claim and on what evidence, in the page and in JSON-LD."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from content.models import Article, Profile, Reference
from review.models import Channel
from review.publishing.actions import publish_article
from tests.test_publishing import approve, channels, claims_of, make_article
from tests.test_publishing_views import json_ld

__all__ = ["channels"]  # fixture


@pytest.fixture
def cited_article(author: User, reviewer: User, publisher: User, channels: dict[str, Channel]) -> Article:
    Profile.objects.create(user=reviewer, credentials="MD, consultant psychiatrist")
    work = Reference.objects.create(
        key="doi:10.1000/walk",
        label="Walker et al., 2017",
        authors="Walker M, Stickgold R",
        year=2017,
        title="Sleep and mood",
        journal="The Lancet",
        doi="10.1000/walk",
    )
    article = make_article(author, ["Walking helps sleep."])
    claim = claims_of(article)[0]
    claim.revise(text="Walking helps mood.", expected_version=1, reason="Cite", by=author, citations=[work])
    approve(claim, reviewer)
    publish_article(article, channels["website"], by=publisher)
    return article


def page(article: Article) -> str:
    return Client().get(f"/channels/website/articles/{article.pk}/").content.decode()


def structured(article: Article) -> dict[str, Any]:
    return json_ld(page(article))


def test_it_cites_the_work_in_full_on_the_page(cited_article: Article) -> None:
    html = page(cited_article)
    assert "Walker et al., 2017. Walker M, Stickgold R (2017). <cite>Sleep and mood</cite>. The Lancet." in html
    assert '<a href="https://doi.org/10.1000/walk" rel="noopener">doi:10.1000/walk</a>' in html


def test_it_names_the_reviewer_with_their_credentials_on_the_page(cited_article: Article) -> None:
    assert "by Bob Reviewer, MD, consultant psychiatrist" in page(cited_article)


def test_it_shows_the_next_review_date(cited_article: Article) -> None:
    assert "Next review by" in page(cited_article)


def test_it_gives_each_citation_as_a_creative_work(cited_article: Article) -> None:
    assert structured(cited_article)["citation"] == [
        {
            "@type": "CreativeWork",
            "name": "Sleep and mood",
            "author": "Walker M, Stickgold R",
            "datePublished": "2017",
            "isPartOf": {"@type": "Periodical", "name": "The Lancet"},
            "sameAs": "https://doi.org/10.1000/walk",
        }
    ]


def test_it_gives_the_reviewer_as_a_person_with_a_job_title(cited_article: Article) -> None:
    assert structured(cited_article)["reviewedBy"] == [
        {"@type": "Person", "name": "Bob Reviewer", "jobTitle": "MD, consultant psychiatrist"}
    ]


def test_it_names_the_patient_audience(cited_article: Article) -> None:
    assert structured(cited_article)["medicalAudience"] == {"@type": "MedicalAudience", "audienceType": "Patient"}


def test_it_dates_the_last_review(cited_article: Article) -> None:
    signed = claims_of(cited_article)[0].reviews.get().signature.signed_at  # type: ignore[attr-defined]
    assert structured(cited_article)["lastReviewed"] == signed.date().isoformat()


def test_it_keeps_the_credentials_sealed_at_publication(cited_article: Article, reviewer: User) -> None:
    # A later edit of the profile changes nothing readers were served: it takes a re-publication.
    profile = Profile.objects.get(user=reviewer)
    profile.credentials = "Professor of everything"
    profile.save()
    assert "Professor of everything" not in page(cited_article)


def test_it_omits_the_job_title_of_a_reviewer_without_credentials(
    author: User, second_reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    article = make_article(author, ["Walking helps sleep."])
    approve(claims_of(article)[0], second_reviewer)
    publish_article(article, channels["website"], by=publisher)
    assert structured(article)["reviewedBy"] == [{"@type": "Person", "name": "Carol Reviewer"}]


def test_it_serves_the_json_ld_as_a_data_block_under_the_csp(cited_article: Article) -> None:
    response = Client().get(f"/channels/website/articles/{cited_article.pk}/")
    # script-src 'self' blocks inline scripts; a JSON-LD block is data, never executed.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert '<script type="application/ld+json">' in response.content.decode()
