"""Publisher pages, the re-review list and the public website page."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from content.models import Article, Claim
from review.models import ArticlePublication, Channel, Publication
from review.publishing.actions import publish_article, publish_claim, withdraw_article_publication
from tests.conftest import client_for
from tests.test_publishing import approve, claims_of, load_channels, make_article


@pytest.fixture
def channels(groups: None) -> dict[str, Channel]:
    return load_channels()


@pytest.fixture
def approved(author: User, reviewer: User, channels: dict[str, Channel]) -> Claim:
    return approve(claims_of(make_article(author))[0], reviewer)


@pytest.fixture
def pub_client(publisher: User) -> Client:
    return client_for(publisher)


def json_ld(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD on the page"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


# --- the claim publish page ----------------------------------------------------------------------


def test_it_shows_which_channels_a_claim_meets_and_why_not(approved: Claim, pub_client: Client) -> None:
    page = pub_client.get(f"/claims/{approved.pk}/publish/").content.decode()
    assert page.count("Meets policy") == 3  # website, newsletter and partner API
    assert "grade moderate is below high" in page  # social
    assert "needs 2 signatures, has 1" in page  # patient leaflet


def test_it_publishes_from_the_page(approved: Claim, pub_client: Client) -> None:
    response = pub_client.post(f"/claims/{approved.pk}/publish/", {"channel": "website"})
    assert response.status_code == 302
    assert Publication.objects.get().channel.slug == "website"


def test_it_shows_the_refusal_reasons_on_the_page(approved: Claim, pub_client: Client) -> None:
    response = pub_client.post(f"/claims/{approved.pk}/publish/", {"channel": "social"})
    assert response.status_code == 409
    assert "grade moderate is below high" in response.content.decode()
    assert not Publication.objects.exists()


def test_it_refuses_page_publishing_to_a_reviewer(approved: Claim, reviewer: User) -> None:
    response = client_for(reviewer).post(f"/claims/{approved.pk}/publish/", {"channel": "website"})
    assert response.status_code == 403
    assert not Publication.objects.exists()


def test_it_hides_the_publish_page_from_outsiders(approved: Claim, outsider: User) -> None:
    assert client_for(outsider).get(f"/claims/{approved.pk}/publish/").status_code == 404


def test_it_refuses_the_publish_page_to_authors(approved: Claim, author: User) -> None:
    assert client_for(author).get(f"/claims/{approved.pk}/publish/").status_code == 403


def test_it_withdraws_from_the_page_with_a_reason(approved: Claim, pub_client: Client, publisher: User) -> None:
    pub, _ = publish_claim(approved, Channel.objects.get(slug="website"), by=publisher)
    response = pub_client.post(f"/publications/{pub.pk}/withdraw/", {"reason": "Guidance changed"})
    assert response.status_code == 302
    pub.refresh_from_db()
    assert pub.withdraw_reason == "Guidance changed"


def test_it_refuses_a_page_withdrawal_without_a_reason(approved: Claim, pub_client: Client, publisher: User) -> None:
    pub, _ = publish_claim(approved, Channel.objects.get(slug="website"), by=publisher)
    assert pub_client.post(f"/publications/{pub.pk}/withdraw/", {"reason": ""}).status_code == 400
    pub.refresh_from_db()
    assert pub.withdrawn_at is None


def test_it_refuses_a_second_page_withdrawal(approved: Claim, pub_client: Client, publisher: User) -> None:
    pub, _ = publish_claim(approved, Channel.objects.get(slug="website"), by=publisher)
    pub_client.post(f"/publications/{pub.pk}/withdraw/", {"reason": "Once"})
    assert pub_client.post(f"/publications/{pub.pk}/withdraw/", {"reason": "Twice"}).status_code == 409


def test_it_allows_only_post_to_withdraw_on_the_page(approved: Claim, pub_client: Client, publisher: User) -> None:
    pub, _ = publish_claim(approved, Channel.objects.get(slug="website"), by=publisher)
    assert pub_client.get(f"/publications/{pub.pk}/withdraw/").status_code == 405


def test_it_refuses_page_withdrawal_to_a_reviewer(approved: Claim, reviewer: User, publisher: User) -> None:
    pub, _ = publish_claim(approved, Channel.objects.get(slug="website"), by=publisher)
    assert client_for(reviewer).post(f"/publications/{pub.pk}/withdraw/", {"reason": "No"}).status_code == 403


def test_it_hides_page_withdrawal_from_outsiders(approved: Claim, outsider: User, publisher: User) -> None:
    pub, _ = publish_claim(approved, Channel.objects.get(slug="website"), by=publisher)
    assert client_for(outsider).post(f"/publications/{pub.pk}/withdraw/", {"reason": "No"}).status_code == 404


# --- the article publish page --------------------------------------------------------------------


@pytest.fixture
def article(author: User, reviewer: User, channels: dict[str, Channel]) -> Article:
    article = make_article(
        author,
        sections=[("What helps", ["Regular exercise improves mild depression."]), ("Medicines", ["SSRIs take weeks."])],
        title="Depression: what helps",
    )
    for claim in claims_of(article):
        approve(claim, reviewer, tags=["not-medical-advice"])
    return article


def test_it_lists_each_failing_claim_on_the_article_page(article: Article, pub_client: Client) -> None:
    page = pub_client.get(f"/articles/{article.pk}/publish/").content.decode()
    first, second = claims_of(article)
    assert f"Claim #{first.pk}</a>: needs 2 signatures, has 1" in page
    assert f"Claim #{second.pk}</a>: needs 2 signatures, has 1" in page


def test_it_publishes_an_article_from_the_page(article: Article, pub_client: Client) -> None:
    response = pub_client.post(f"/articles/{article.pk}/publish/", {"channel": "website"})
    assert response.status_code == 302
    assert ArticlePublication.objects.get().article == article


def test_it_refuses_an_article_on_the_page_with_reasons(article: Article, pub_client: Client) -> None:
    response = pub_client.post(f"/articles/{article.pk}/publish/", {"channel": "patient-leaflet"})
    assert response.status_code == 409
    assert "needs 2 signatures, has 1" in response.content.decode()


def test_it_withdraws_an_article_from_the_page(article: Article, pub_client: Client, publisher: User) -> None:
    ap, _ = publish_article(article, Channel.objects.get(slug="website"), by=publisher)
    assert pub_client.post(f"/article-publications/{ap.pk}/withdraw/", {"reason": "Rewrite"}).status_code == 302
    assert Client().get(f"/channels/website/articles/{article.pk}/").status_code == 404


# --- channel pages -------------------------------------------------------------------------------


def publish_many(n: int, author: User, reviewer: User, publisher: User, channel: Channel) -> None:
    article = make_article(author, [f"Adults who sleep well report benefit number {i}." for i in range(n)])
    for claim in claims_of(article):
        publish_claim(approve(claim, reviewer), channel, by=publisher)


@pytest.mark.parametrize("rows", [2, 20])
def test_it_lists_whats_live_on_a_channel_in_flat_queries(
    rows: int,
    author: User,
    reviewer: User,
    publisher: User,
    channels: dict[str, Channel],
    pub_client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    publish_many(rows, author, reviewer, publisher, channels["website"])
    with django_assert_max_num_queries(15):  # 14 + the header's unread count
        page = pub_client.get("/channels/website/").content.decode()
    assert page.count("report benefit number") == rows


@pytest.mark.parametrize("rows", [2, 20])
def test_it_lists_channels_in_flat_queries(
    rows: int,
    author: User,
    reviewer: User,
    publisher: User,
    channels: dict[str, Channel],
    pub_client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    publish_many(rows, author, reviewer, publisher, channels["website"])
    with django_assert_max_num_queries(18):  # 17 + the header's unread count
        page = pub_client.get("/channels/").content.decode()
    assert f"{rows} claims" in page


def test_it_refuses_channel_pages_to_authors(channels: dict[str, Channel], author: User) -> None:
    assert client_for(author).get("/channels/website/").status_code == 403


def test_it_sends_anonymous_visitors_of_channel_pages_to_log_in(channels: dict[str, Channel]) -> None:
    assert Client().get("/channels/").status_code == 302


# --- due for re-review ---------------------------------------------------------------------------


def test_it_lists_expired_approvals_as_due_for_re_review(
    author: User, reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    now = timezone.now()
    claim = approve(claims_of(make_article(author))[0], reviewer, at=now - timedelta(days=370))
    publish_claim(claim, channels["website"], by=publisher, now=now - timedelta(days=30))
    page = client_for(reviewer).get("/publishing/due/").content.decode()
    expired = page.split("Expiring within 30 days")[0]
    assert f"#{claim.pk} v1" in expired
    assert "Website" in expired


def test_it_lists_approvals_expiring_soon(
    author: User, reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    claim = approve(claims_of(make_article(author))[0], reviewer, at=timezone.now() - timedelta(days=350))
    publish_claim(claim, channels["website"], by=publisher)
    page = client_for(publisher).get("/publishing/due/").content.decode()
    assert f"#{claim.pk} v1" in page.split("Expiring within 30 days")[1]


def test_it_leaves_fresh_approvals_off_the_due_list(approved: Claim, publisher: User) -> None:
    publish_claim(approved, Channel.objects.get(slug="website"), by=publisher)
    page = client_for(publisher).get("/publishing/due/").content.decode()
    assert f"#{approved.pk} v1" not in page


@pytest.mark.parametrize("rows", [2, 20])
def test_it_lists_due_claims_in_flat_queries(
    rows: int,
    author: User,
    reviewer: User,
    publisher: User,
    channels: dict[str, Channel],
    django_assert_max_num_queries: Any,
) -> None:
    now = timezone.now()
    article = make_article(author, [f"Adults who sleep well report benefit number {i}." for i in range(rows)])
    for claim in claims_of(article):
        approve(claim, reviewer, at=now - timedelta(days=370))
        publish_claim(claim, channels["website"], by=publisher, now=now - timedelta(days=30))
    client = client_for(publisher)
    with django_assert_max_num_queries(10):  # 9 + the header's unread count
        page = client.get("/publishing/due/").content.decode()
    assert page.count("report benefit number") == rows


def test_it_refuses_the_due_list_to_authors(channels: dict[str, Channel], author: User) -> None:
    assert client_for(author).get("/publishing/due/").status_code == 403


# --- the public website page ---------------------------------------------------------------------


@pytest.fixture
def public_article(article: Article, publisher: User) -> Article:
    publish_article(article, Channel.objects.get(slug="website"), by=publisher)
    return article


def test_it_serves_the_public_page_without_login(public_article: Article) -> None:
    response = Client().get(f"/channels/website/articles/{public_article.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h2>What helps</h2>" in page
    assert "Regular exercise improves mild depression." in page


def test_it_describes_the_page_as_a_reviewed_medical_web_page(public_article: Article) -> None:
    data = json_ld(Client().get(f"/channels/website/articles/{public_article.pk}/").content.decode())
    signed = claims_of(public_article)[-1].reviews.get().signature.signed_at  # type: ignore[attr-defined]
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "MedicalWebPage"
    assert data["lastReviewed"] == signed.date().isoformat()
    assert data["reviewedBy"] == [{"@type": "Person", "name": "Bob Reviewer"}]


def test_it_shows_per_claim_provenance(public_article: Article) -> None:
    page = Client().get(f"/channels/website/articles/{public_article.pk}/").content.decode()
    claim = claims_of(public_article)[0]
    signed = claim.reviews.get().signature.signed_at  # type: ignore[attr-defined]
    assert "Moderate certainty" in page
    assert f'datetime="{(signed + timedelta(days=365)).isoformat()}"' in page  # next review
    assert "Bob Reviewer" in page


def test_it_shows_a_claims_references(author: User, reviewer: User, publisher: User, channels: Any) -> None:
    from content.models import Reference

    article = make_article(author, ["Exercise helps."])
    claim = claims_of(article)[0]
    ref = Reference(key="walker|2017", label="Walker, 2017", authors="Walker", year=2017)
    ref.save()
    claim.revise(text="Exercise helps mood.", expected_version=1, reason="Cite", by=author, citations=[ref])
    approve(claim, reviewer)
    publish_article(article, channels["website"], by=publisher)
    page = Client().get(f"/channels/website/articles/{article.pk}/").content.decode()
    assert '<li class="citation">Walker, 2017.</li>' in page


def test_it_appends_required_wording_on_the_public_page(public_article: Article) -> None:
    page = Client().get(f"/channels/website/articles/{public_article.pk}/").content.decode()
    assert page.count("Do not start, stop or change a medicine without talking to your doctor.") == 2


def test_it_answers_404_for_an_unpublished_article(article: Article) -> None:
    assert Client().get(f"/channels/website/articles/{article.pk}/").status_code == 404


def test_it_answers_404_once_withdrawn(public_article: Article, publisher: User) -> None:
    ap = ArticlePublication.objects.get()
    withdraw_article_publication(ap, by=publisher, reason="Rewrite")
    assert Client().get(f"/channels/website/articles/{public_article.pk}/").status_code == 404


def test_it_escapes_the_title_inside_json_ld(author: User, reviewer: User, publisher: User, channels: Any) -> None:
    article = make_article(author, title="Sleep</script><script>alert(1)</script>")
    approve(claims_of(article)[0], reviewer)
    publish_article(article, channels["website"], by=publisher)
    page = Client().get(f"/channels/website/articles/{article.pk}/").content.decode()
    assert "<script>alert(1)" not in page
    assert json_ld(page)["name"] == "Sleep</script><script>alert(1)</script>"
