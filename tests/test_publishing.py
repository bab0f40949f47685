"""Publishing claim versions and articles to channels, and what the channels then serve.

The factories here (make_article, approve, publish, feed) are shared by the other publishing tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from content.bulk import create_claim
from content.models import Article, Claim, ClaimStatus, Section
from review.actions import record_review
from review.management.commands.seed_demo import load_vocabulary, system_user
from review.models import DEFAULT_MEANING, ArticlePublication, Channel, NuanceTag, Publication
from review.publishing.actions import publish_claim
from review.publishing.feeds import servable_publications
from tests.conftest import PASSWORD, client_for

_numbers = itertools.count(1)


def load_channels() -> dict[str, Channel]:
    """The five demo channels (and nuance tags) from fixtures/, loaded the way seed_demo does."""
    load_vocabulary(system_user())
    return {c.slug: c for c in Channel.objects.all()}


@pytest.fixture
def channels(groups: None) -> dict[str, Channel]:
    return load_channels()


def make_article(
    owner: User, texts: Sequence[str] = ("Regular exercise improves mild depression.",), **kw: Any
) -> Article:
    """An article with one section holding `texts` as claims, or `sections=[(heading, [texts])]`."""
    n = next(_numbers)
    sections: list[tuple[str, Sequence[str]]] = kw.get("sections") or [("Benefits", texts)]
    article = Article(title=kw.get("title", f"Article {n}"), slug=f"article-{n}", source_text="(test)", owner=owner)
    article._history_user = owner  # type: ignore[attr-defined]
    article.save()
    position = 0
    for index, (heading, claim_texts) in enumerate(sections, 1):
        section = Section(article=article, heading=heading, position=index)
        section._history_user = owner  # type: ignore[attr-defined]
        section.save()
        for text in claim_texts:
            position += 1
            create_claim(article=article, section=section, position=position, text=text, citations=[], author=owner)
    return article


def claims_of(article: Article) -> list[Claim]:
    return list(article.claims.order_by("position"))


def approve(
    claim: Claim,
    *reviewers: User,
    grade: str = "moderate",
    tags: Sequence[str] = (),
    at: datetime | None = None,
    wording: Sequence[str] | None = None,
) -> Claim:
    """Submit if needed, then each reviewer signs an approval of the current version (at `at`, if given).

    `wording` is the required wording they sign; None signs the tags' templates."""
    claim.refresh_from_db()
    if claim.status == ClaimStatus.DRAFT:
        claim.submit(by=claim.article.owner)
    nuance = list(NuanceTag.objects.filter(slug__in=tags))
    clock = mock.patch("django.utils.timezone.now", return_value=at) if at else nullcontext()
    with clock:
        for reviewer in reviewers:
            record_review(
                claim=claim,
                version=claim.version,
                reviewer=reviewer,
                decision="approve",
                evidence_grade=grade,
                nuance_tags=nuance,
                password=PASSWORD,
                signature_meaning=DEFAULT_MEANING,
                required_wording=wording,
            )
    claim.refresh_from_db()
    return claim


def revise(claim: Claim, text: str) -> Claim:
    claim.refresh_from_db()
    return claim.revise(text=text, expected_version=claim.version, reason="Reworded", by=claim.article.owner)


def publish(client: Client, claim: Claim, channel: str) -> Any:
    return client.post(
        f"/api/v1/claims/{claim.pk}/publications/", {"channel": channel}, content_type="application/json"
    )


def feed(client: Client, channel: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/channels/{channel}/feed/")
    assert response.status_code == 200, response.content
    return response.json()["items"]  # type: ignore[no-any-return]


@pytest.fixture
def approved(author: User, reviewer: User, channels: dict[str, Channel]) -> Claim:
    """A claim approved at version 1 with moderate evidence by one reviewer."""
    return approve(claims_of(make_article(author))[0], reviewer)


@pytest.fixture
def pub_client(publisher: User) -> Client:
    return client_for(publisher)


# --- publishing a claim --------------------------------------------------------------------------


def test_it_publishes_an_approved_version_to_the_channel_feed(approved: Claim, pub_client: Client) -> None:
    response = publish(pub_client, approved, "website")
    assert response.status_code == 201
    [item] = feed(pub_client, "website")
    assert item["claim"] == approved.pk
    assert item["article"] == approved.article_id
    assert item["version"] == 1
    assert item["text"] == "Regular exercise improves mild depression."
    assert item["evidence_grade"] == "moderate"
    assert item["approved_by"][0]["name"] == "Bob Reviewer"
    assert item["content_hash"] == approved.content_hash


def test_it_pins_who_published_what_and_when(approved: Claim, pub_client: Client, publisher: User) -> None:
    publish(pub_client, approved, "website")
    pub = Publication.objects.get()
    assert (pub.claim_id, pub.version, pub.content_hash, pub.channel.slug) == (
        approved.pk,
        1,
        approved.content_hash,
        "website",
    )
    assert pub.published_by == publisher
    assert pub.published_at is not None


def test_it_records_history_with_the_publisher_and_reason(approved: Claim, pub_client: Client, publisher: User) -> None:
    publish(pub_client, approved, "website")
    record = Publication.history.get()  # type: ignore[attr-defined]
    assert record.history_user == publisher
    assert record.history_change_reason == "Published version 1 to Website"


def test_it_never_serves_an_unapproved_version(author: User, channels: dict[str, Channel], pub_client: Client) -> None:
    claim = claims_of(make_article(author))[0]
    claim.submit(by=author)
    response = publish(pub_client, claim, "website")
    assert response.status_code == 409
    assert "version 1 is not approved" in response.json()["failed_rules"]
    assert feed(pub_client, "website") == []


def test_it_refuses_a_policy_failing_version_naming_every_rule(
    author: User, reviewer: User, second_reviewer: User, channels: dict[str, Channel], pub_client: Client
) -> None:
    claim = approve(
        claims_of(make_article(author, ["Antidepressants never cause side effects. " + "x" * 300]))[0],
        reviewer,
        second_reviewer,
        grade="low",
        tags=["absolute-language"],
    )
    body = publish(pub_client, claim, "social").json()
    assert body["failed_rules"] == [
        "grade low is below high",
        "blocked by tag Absolute language",
        f"280 characters allowed, {len(claim.text)} given",
    ]
    assert body["detail"].startswith(f"Claim #{claim.pk} version 1 cannot go to Social")
    assert feed(pub_client, "social") == []


def test_it_refuses_too_few_signatures_for_the_channel(approved: Claim, pub_client: Client) -> None:
    response = publish(pub_client, approved, "patient-leaflet")
    assert response.status_code == 409
    assert response.json()["failed_rules"] == ["needs 2 signatures, has 1"]


def test_it_publishing_the_same_version_twice_is_one_record(approved: Claim, pub_client: Client) -> None:
    assert publish(pub_client, approved, "website").status_code == 201
    again = publish(pub_client, approved, "website")
    assert again.status_code == 200
    assert Publication.objects.count() == 1
    assert len(feed(pub_client, "website")) == 1


def test_it_publishes_the_last_approved_version_not_a_later_draft(approved: Claim, pub_client: Client) -> None:
    revise(approved, "Regular exercise can improve mild depression.")
    response = publish(pub_client, approved, "website")
    assert response.status_code == 201
    assert response.json()["version"] == 1
    assert feed(pub_client, "website")[0]["text"] == "Regular exercise improves mild depression."


def test_it_keeps_serving_the_published_version_after_an_edit(approved: Claim, pub_client: Client) -> None:
    publish(pub_client, approved, "website")
    revise(approved, "Regular exercise can improve mild depression in adults.")
    [item] = feed(pub_client, "website")
    assert item["version"] == 1
    assert item["text"] == "Regular exercise improves mild depression."
    assert item["content_hash"] != Claim.objects.get(pk=approved.pk).content_hash


def test_it_keeps_serving_the_old_version_until_the_new_approval_is_published(
    approved: Claim, pub_client: Client, second_reviewer: User
) -> None:
    publish(pub_client, approved, "website")
    approve(revise(approved, "Regular exercise can improve mild depression in adults."), second_reviewer)
    assert feed(pub_client, "website")[0]["version"] == 1
    assert publish(pub_client, approved, "website").status_code == 201
    [item] = feed(pub_client, "website")
    assert (item["version"], item["text"]) == (2, "Regular exercise can improve mild depression in adults.")


def test_it_withdraws_the_superseded_version(approved: Claim, pub_client: Client, second_reviewer: User) -> None:
    publish(pub_client, approved, "website")
    approve(revise(approved, "Regular exercise can improve mild depression in adults."), second_reviewer)
    publish(pub_client, approved, "website")
    old = Publication.objects.get(version=1)
    assert old.withdrawn_at is not None
    assert old.withdraw_reason == "Superseded by version 2"


def test_it_does_not_touch_other_channels_when_publishing(approved: Claim, pub_client: Client) -> None:
    publish(pub_client, approved, "website")
    assert feed(pub_client, "partner-api") == []


def test_it_appends_required_wording_where_the_channel_says(
    author: User, reviewer: User, channels: dict[str, Channel], pub_client: Client
) -> None:
    claim = approve(claims_of(make_article(author))[0], reviewer, grade="high", tags=["not-medical-advice"])
    wording = NuanceTag.objects.get(slug="not-medical-advice").required_wording
    publish(pub_client, claim, "website")
    [website] = feed(pub_client, "website")
    assert website["text"] == f"Regular exercise improves mild depression.\n\n{wording}"
    assert wording in website["html"]
    assert website["required_wording"] == [wording]


def test_it_refuses_wording_on_a_channel_that_would_drop_it(
    author: User, reviewer: User, channels: dict[str, Channel], pub_client: Client
) -> None:
    claim = approve(claims_of(make_article(author))[0], reviewer, grade="high", tags=["not-medical-advice"])
    response = publish(pub_client, claim, "social")
    assert response.status_code == 409
    assert response.json()["failed_rules"] == ["it needs its required wording, which this channel does not append"]


# --- withdrawal, retirement, expiry --------------------------------------------------------------


def test_it_withdraws_at_once_with_a_reason(approved: Claim, pub_client: Client, publisher: User) -> None:
    pub_id = publish(pub_client, approved, "website").json()["id"]
    response = pub_client.post(
        f"/api/v1/publications/{pub_id}/withdraw/", {"reason": "Guidance changed"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["withdraw_reason"] == "Guidance changed"
    assert response.json()["withdrawn_by"] == publisher.username
    assert feed(pub_client, "website") == []


def test_it_requires_a_reason_to_withdraw(approved: Claim, pub_client: Client) -> None:
    pub_id = publish(pub_client, approved, "website").json()["id"]
    response = pub_client.post(
        f"/api/v1/publications/{pub_id}/withdraw/", {"reason": "  "}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()
    assert len(feed(pub_client, "website")) == 1


def test_it_refuses_to_withdraw_twice(approved: Claim, pub_client: Client) -> None:
    pub_id = publish(pub_client, approved, "website").json()["id"]
    url = f"/api/v1/publications/{pub_id}/withdraw/"
    pub_client.post(url, {"reason": "Guidance changed"}, content_type="application/json")
    response = pub_client.post(url, {"reason": "Again"}, content_type="application/json")
    assert response.status_code == 409
    assert "already withdrawn" in response.json()["detail"]


def test_it_republishes_a_withdrawn_version_as_the_same_record(approved: Claim, pub_client: Client) -> None:
    pub_id = publish(pub_client, approved, "website").json()["id"]
    pub_client.post(f"/api/v1/publications/{pub_id}/withdraw/", {"reason": "Paused"}, content_type="application/json")
    response = publish(pub_client, approved, "website")
    assert (response.status_code, response.json()["id"]) == (201, pub_id)
    assert len(feed(pub_client, "website")) == 1


def test_it_withdraws_a_retired_claim_everywhere(
    approved: Claim, pub_client: Client, author: User, django_capture_on_commit_callbacks: Any
) -> None:
    publish(pub_client, approved, "website")
    publish(pub_client, approved, "partner-api")
    with django_capture_on_commit_callbacks(execute=True):
        approved.retire(by=author, reason="Out of date")
    assert {p.withdraw_reason for p in Publication.objects.all()} == {"Claim retired"}
    assert feed(pub_client, "website") == feed(pub_client, "partner-api") == []


def test_it_drops_an_expired_approval_from_the_feed_by_itself(
    author: User, reviewer: User, publisher: User, channels: dict[str, Channel], pub_client: Client
) -> None:
    now = timezone.now()
    claim = approve(claims_of(make_article(author))[0], reviewer, at=now - timedelta(days=366))
    # Published while the approval was still in date (website re-reviews every 365 days).
    publish_claim(claim, channels["website"], by=publisher, now=now - timedelta(days=30))
    assert Publication.objects.get().withdrawn_at is None
    assert feed(pub_client, "website") == []


def test_it_serves_an_approval_still_in_date(
    author: User, reviewer: User, channels: dict[str, Channel], pub_client: Client
) -> None:
    claim = approve(claims_of(make_article(author))[0], reviewer, at=timezone.now() - timedelta(days=364))
    assert publish(pub_client, claim, "website").status_code == 201
    assert feed(pub_client, "website")[0]["review_due"].startswith(
        (claim.reviews.get().signature.signed_at + timedelta(days=365)).date().isoformat()
    )


def test_it_refuses_to_publish_an_expired_approval(
    author: User, reviewer: User, channels: dict[str, Channel], pub_client: Client
) -> None:
    claim = approve(claims_of(make_article(author))[0], reviewer, at=timezone.now() - timedelta(days=100))
    rules = publish(pub_client, claim, "social").json()["failed_rules"]
    assert any(rule.startswith("approval expired on") for rule in rules)


def test_it_dates_approval_from_the_latest_signature(
    author: User, reviewer: User, second_reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    now = timezone.now()
    claim = claims_of(make_article(author))[0]
    approve(claim, reviewer, grade="low", at=now - timedelta(days=400))
    approve(claim, second_reviewer, grade="low", at=now - timedelta(days=10))
    publish_claim(claim, channels["partner-api"], by=publisher)
    [pub] = servable_publications(channels["partner-api"], now)
    assert pub.approved_at == now - timedelta(days=10)  # type: ignore[attr-defined]


# --- who may publish -----------------------------------------------------------------------------


def test_it_forbids_publishing_to_a_reviewer(approved: Claim, reviewer: User) -> None:
    assert publish(client_for(reviewer), approved, "website").status_code == 403
    assert Publication.objects.count() == 0


def test_it_forbids_publishing_to_the_author(approved: Claim, author: User) -> None:
    assert publish(client_for(author), approved, "website").status_code == 403


def test_it_hides_the_claim_from_outsiders(approved: Claim, outsider: User) -> None:
    assert publish(client_for(outsider), approved, "website").status_code == 404


def test_it_forbids_withdrawing_to_a_reviewer(approved: Claim, pub_client: Client, reviewer: User) -> None:
    pub_id = publish(pub_client, approved, "website").json()["id"]
    response = client_for(reviewer).post(
        f"/api/v1/publications/{pub_id}/withdraw/", {"reason": "No"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_it_hides_publications_from_outsiders(approved: Claim, pub_client: Client, outsider: User) -> None:
    pub_id = publish(pub_client, approved, "website").json()["id"]
    response = client_for(outsider).post(
        f"/api/v1/publications/{pub_id}/withdraw/", {"reason": "No"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_it_allows_only_post_to_withdraw(approved: Claim, pub_client: Client) -> None:
    pub_id = publish(pub_client, approved, "website").json()["id"]
    assert pub_client.get(f"/api/v1/publications/{pub_id}/withdraw/").status_code == 405


def test_it_rejects_an_unknown_channel(approved: Claim, pub_client: Client) -> None:
    response = publish(pub_client, approved, "carrier-pigeon")
    assert response.status_code == 400
    assert "channel" in response.json()


def test_it_lists_a_claims_publications(approved: Claim, pub_client: Client) -> None:
    publish(pub_client, approved, "website")
    rows = pub_client.get(f"/api/v1/claims/{approved.pk}/publications/").json()
    assert [(r["channel"], r["version"], r["live"]) for r in rows] == [("website", 1, True)]


# --- articles ------------------------------------------------------------------------------------


@pytest.fixture
def two_section_article(author: User, reviewer: User, channels: dict[str, Channel]) -> Article:
    article = make_article(
        author,
        sections=[
            ("What helps", ["Regular exercise improves mild depression.", "Talking therapies help many people."]),
            ("Medicines", ["Antidepressants take several weeks to work."]),
        ],
        title="Depression: what helps",
    )
    for claim in claims_of(article):
        approve(claim, reviewer)
    return article


def publish_article(client: Client, article: Article, channel: str) -> Any:
    return client.post(
        f"/api/v1/articles/{article.pk}/publications/", {"channel": channel}, content_type="application/json"
    )


def test_it_publishes_an_article_when_every_claim_meets_policy(
    two_section_article: Article, pub_client: Client
) -> None:
    response = publish_article(pub_client, two_section_article, "website")
    assert response.status_code == 201
    assert ArticlePublication.objects.get().channel.slug == "website"
    assert len(feed(pub_client, "website")) == 3


def test_it_refuses_an_article_listing_each_failing_claim(
    two_section_article: Article, pub_client: Client, author: User
) -> None:
    unapproved = create_claim(
        article=two_section_article,
        section=claims_of(two_section_article)[-1].section,
        position=4,
        text="Sleep matters.",
        citations=[],
        author=author,
    )
    response = publish_article(pub_client, two_section_article, "website")
    body = response.json()
    assert response.status_code == 409
    assert [row["claim"] for row in body["claims"]] == [unapproved.pk]
    assert f"claim #{unapproved.pk}: version 1 is not approved" in body["failed_rules"]
    assert (ArticlePublication.objects.count(), Publication.objects.count()) == (0, 0)


def test_it_refuses_an_article_with_each_claims_own_reasons(two_section_article: Article, pub_client: Client) -> None:
    body = publish_article(pub_client, two_section_article, "patient-leaflet").json()
    assert [(row["claim"], row["failed_rules"]) for row in body["claims"]] == [
        (claim.pk, ["needs 2 signatures, has 1"]) for claim in claims_of(two_section_article)
    ]


def test_it_serves_the_article_assembled_in_order_with_headings(
    two_section_article: Article, pub_client: Client
) -> None:
    publish_article(pub_client, two_section_article, "website")
    body = pub_client.get(f"/api/v1/channels/website/articles/{two_section_article.pk}/").json()
    assert body["title"] == "Depression: what helps"
    assert [s["heading"] for s in body["sections"]] == ["What helps", "Medicines"]
    assert [[i["text"] for i in s["items"]] for s in body["sections"]] == [
        ["Regular exercise improves mild depression.", "Talking therapies help many people."],
        ["Antidepressants take several weeks to work."],
    ]
    assert body["text"].startswith("## What helps\n\nRegular exercise improves mild depression.")
    assert "<h2>Medicines</h2>" in body["html"]


def test_it_serves_an_article_from_its_published_versions_after_an_edit(
    two_section_article: Article, pub_client: Client
) -> None:
    publish_article(pub_client, two_section_article, "website")
    revise(claims_of(two_section_article)[0], "Exercise may improve mild depression.")
    body = pub_client.get(f"/api/v1/channels/website/articles/{two_section_article.pk}/").json()
    assert body["sections"][0]["items"][0]["text"] == "Regular exercise improves mild depression."


def test_it_republishing_an_unchanged_article_is_a_no_op(two_section_article: Article, pub_client: Client) -> None:
    publish_article(pub_client, two_section_article, "website")
    again = publish_article(pub_client, two_section_article, "website")
    assert again.status_code == 200
    assert (ArticlePublication.objects.count(), Publication.objects.count()) == (1, 3)


def test_it_does_not_serve_an_article_not_published_there(two_section_article: Article, pub_client: Client) -> None:
    publish_article(pub_client, two_section_article, "website")
    assert pub_client.get(f"/api/v1/channels/partner-api/articles/{two_section_article.pk}/").status_code == 404


def test_it_withdrawing_an_article_removes_its_claims_from_the_channel(
    two_section_article: Article, pub_client: Client
) -> None:
    ap_id = publish_article(pub_client, two_section_article, "website").json()["id"]
    response = pub_client.post(
        f"/api/v1/article-publications/{ap_id}/withdraw/", {"reason": "Rewriting"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert feed(pub_client, "website") == []
    assert pub_client.get(f"/api/v1/channels/website/articles/{two_section_article.pk}/").status_code == 404
    assert {p.withdraw_reason for p in Publication.objects.all()} == {"Article withdrawn: Rewriting"}


def test_it_leaves_a_retired_claim_out_of_the_served_article(
    two_section_article: Article, pub_client: Client, author: User, django_capture_on_commit_callbacks: Any
) -> None:
    publish_article(pub_client, two_section_article, "website")
    with django_capture_on_commit_callbacks(execute=True):
        claims_of(two_section_article)[1].retire(by=author, reason="Duplicate")
    body = pub_client.get(f"/api/v1/channels/website/articles/{two_section_article.pk}/").json()
    assert [i["text"] for i in body["sections"][0]["items"]] == ["Regular exercise improves mild depression."]


def test_it_forbids_article_publishing_to_a_reviewer(two_section_article: Article, reviewer: User) -> None:
    assert publish_article(client_for(reviewer), two_section_article, "website").status_code == 403


def test_it_hides_articles_from_outsiders(two_section_article: Article, outsider: User) -> None:
    assert publish_article(client_for(outsider), two_section_article, "website").status_code == 404


def test_it_listens_for_retired_claims_from_startup() -> None:
    # A fresh interpreter that loads no URLconf and no publishing code itself: the app config must connect it.
    import subprocess
    import sys

    script = (
        "import django; django.setup();"
        "from content.signals import claim_retired;"
        "print(any(key[0] == 'review.publishing.claim_retired' for key, *_ in claim_retired.receivers))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin", "LOG_LEVEL": "WARNING"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False)
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr


def test_it_moves_a_live_publications_approval_on_when_a_new_round_approves_it_again(
    author: User, reviewer: User, second_reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    from review.retraction import return_to_review

    now = timezone.now()
    website = channels["website"]
    claim = approve(claims_of(make_article(author))[0], reviewer, at=now - timedelta(days=300))
    pub, _ = publish_claim(claim, website, by=publisher)
    return_to_review(claim, reason="A cited work was corrected", by=reviewer)
    approve(claim, second_reviewer, at=now - timedelta(days=10))

    pub.refresh_from_db()
    assert pub.approved_at == now - timedelta(days=10)
    # 100 days on, the first approval would have expired; the renewed one keeps it on the feed.
    later = now + timedelta(days=100)
    assert list(servable_publications(website, later)) == [pub]
    assert pub.history.order_by("-history_id").first().history_change_reason == "Version 1 approved again"


def test_it_fills_the_approval_time_of_existing_publications_in_the_migration(
    approved: Claim, publisher: User, channels: dict[str, Channel]
) -> None:
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    pub, _ = publish_claim(approved, channels["website"], by=publisher)
    Publication._base_manager.filter(pk=pub.pk).update(approved_at=None)  # as before the column existed
    migration = importlib.import_module("review.migrations.0008_publication_approved_at")
    # The function reads only the editor's connection (SQLite cannot open a schema editor inside
    # the test's transaction).
    migration.fill_approved_at(apps, SimpleNamespace(connection=connection))

    pub.refresh_from_db()
    assert pub.approved_at == approved.reviews.get().signature.signed_at
