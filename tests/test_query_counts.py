"""Every list and detail page costs the same number of queries at any data size (issue 6).

Each page is read on a small generated data set, then again after the set has
grown (more articles, more claims per article, more versions per claim, more
reviews, publications and audit events) with its targets taken from the newest
data: the second read may not run more queries than the first. The data come
from generate_load_data, the same generator the benchmark uses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from content.models import Article, Claim, ClaimStatus, Reference
from review.publishing.actions import publish_article
from review.publishing.views import PUBLIC_CHANNEL
from tests.test_publishing import approve, claims_of, load_channels, make_article

Targets = dict[str, Any]

# (id, path from the targets): the GET pages people read, HTML and API. A whole published
# article (the public page, the channel article API) needs every claim approved, which
# the generator does not do: those two are measured below and in test_channels_api.
PAGES: list[tuple[str, Callable[[Targets], str]]] = [
    ("home", lambda t: "/"),
    ("review queue", lambda t: "/review/queue/"),
    ("review queue API", lambda t: "/api/v1/review-queue/"),
    ("article list", lambda t: "/articles/"),
    ("article list API", lambda t: "/api/v1/articles/"),
    ("article page", lambda t: f"/articles/{t['article']}/"),
    ("article API", lambda t: f"/api/v1/articles/{t['article']}/"),
    ("claim list API", lambda t: "/api/v1/claims/"),
    ("claim page", lambda t: f"/claims/{t['claim']}/"),
    ("claim API", lambda t: f"/api/v1/claims/{t['claim']}/"),
    ("claim review form", lambda t: f"/claims/{t['queued']}/review/"),
    ("claim history and diff", lambda t: f"/claims/{t['claim']}/history/"),
    ("claim versions API", lambda t: f"/api/v1/claims/{t['claim']}/versions/"),
    ("claim reviews API", lambda t: f"/api/v1/claims/{t['claim']}/reviews/"),
    ("claim publications API", lambda t: f"/api/v1/claims/{t['claim']}/publications/"),
    ("article publications API", lambda t: f"/api/v1/articles/{t['article']}/publications/"),
    ("audit timeline", lambda t: "/compliance/"),
    ("audit timeline, one claim", lambda t: f"/compliance/?claim={t['claim']}"),
    ("audit timeline, one day", lambda t: f"/compliance/?since={t['day']}&until={t['day']}"),
    ("audit events API", lambda t: f"/api/v1/audit/events/?claim={t['claim']}"),
    ("claim as of", lambda t: f"/compliance/as-of/?claim={t['claim']}&at={t['now']}"),
    ("claim as of API", lambda t: f"/api/v1/claims/{t['claim']}/as-of/?at={t['now']}"),
    ("dossier", lambda t: f"/compliance/claims/{t['claim']}/dossier/"),
    ("integrity page", lambda t: "/compliance/integrity/"),
    ("channel list", lambda t: "/channels/"),
    ("channel list API", lambda t: "/api/v1/channels/"),
    ("channel page", lambda t: f"/channels/{PUBLIC_CHANNEL}/"),
    ("channel feed API", lambda t: f"/api/v1/channels/{PUBLIC_CHANNEL}/feed/"),
    ("due for publishing", lambda t: "/publishing/due/"),
    ("claims library", lambda t: "/library/"),
    ("claims library API", lambda t: "/api/v1/library/"),
    ("reference list", lambda t: "/library/references/"),
    ("reference page", lambda t: f"/library/references/{t['reference']}/"),
]


def generate(articles: int, claims: int, versions: int) -> None:
    call_command(
        "generate_load_data",
        f"--articles={articles}",
        f"--claims-per-article={claims}",
        f"--versions={versions}",
        "--reviews",
        "--publications",
        stdout=StringIO(),
    )


def targets() -> Targets:
    """The newest article, its first approved and first queued claim: the ones with the most behind them."""
    article = Article.objects.order_by("-pk").first()
    assert article is not None
    claims = Claim.objects.filter(article=article).order_by("pk")
    approved = claims.filter(status=ClaimStatus.APPROVED).first()
    queued = claims.filter(status=ClaimStatus.IN_REVIEW).first()
    assert approved is not None and queued is not None
    reference = approved.citations.first()
    assert isinstance(reference, Reference)
    return {
        "article": article.pk,
        "claim": approved.pk,
        "queued": queued.pk,
        "reference": reference.pk,
        "day": timezone.now().date().isoformat(),
        "now": (timezone.now() + timedelta(seconds=1)).isoformat().replace("+00:00", "Z"),
    }


def queries(client: Client, path: str) -> int:
    client.get(path)  # warm up: sessions, content types and other per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured.captured_queries)


@pytest.fixture
def everyone(groups: None) -> Client:
    """A superuser in every role group, as in the benchmark: sees every page and every object."""
    user = User.objects.create_superuser("root", "root@example.org", "x" * 16)
    user.groups.set(Group.objects.all())
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", [path for _, path in PAGES], ids=[name for name, _ in PAGES])
def test_it_serves_the_page_in_the_same_number_of_queries_as_data_grow(
    page: Callable[[Targets], str], everyone: Client, django_assert_max_num_queries: Any
) -> None:
    generate(articles=1, claims=3, versions=2)
    small = queries(everyone, page(targets()))
    generate(articles=3, claims=12, versions=4)
    path = page(targets())
    everyone.get(path)
    with django_assert_max_num_queries(small):
        assert everyone.get(path).status_code == 200


def test_it_serves_the_public_article_page_in_the_same_number_of_queries_at_any_length(
    author: User, reviewer: User, publisher: User, django_assert_max_num_queries: Any
) -> None:
    website = load_channels()[PUBLIC_CHANNEL]

    def published(rows: int) -> str:
        article = make_article(author, [f"Adults who sleep well report benefit number {i}." for i in range(rows)])
        for claim in claims_of(article):
            approve(claim, reviewer)
        publish_article(article, website, by=publisher)
        return f"/channels/{PUBLIC_CHANNEL}/articles/{article.pk}/"

    small = queries(Client(), published(2))
    path = published(20)
    Client().get(path)  # the same warm-up: the page is then in the rendition cache, as the small one was
    with django_assert_max_num_queries(small):
        assert Client().get(path).content.decode().count("report benefit number") == 20
