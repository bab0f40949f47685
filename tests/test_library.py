"""The claims library: exact and near matching on import, reuse with provenance, the library page and API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rapidfuzz import fuzz

from content.actions import import_article
from content.bulk import create_claim
from content.library import near_matches, norm_hash, sort_key, tokens
from content.models import Article, Claim, ClaimLink, ClaimStatus, ClaimWording, LibraryMatch
from review.actions import record_review
from review.models import DEFAULT_MEANING, Channel, NuanceTag, Publication, Review
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]

APPROVED = "Regular exercise lowers blood pressure in adults."
EXACT = "Regular  exercise lowers blood pressure in ADULTS!"  # case, spacing and the final stop differ only
NEAR = "Regular exercise lowers blood pressure in most adults."
UNRELATED = "Green tea improves sleep quality in teenagers."


# --- Helpers (also used by tests/test_retraction.py) -----------------------------------------------------------------


def import_claims(owner: User, *sentences: str, title: str = "Exercise and health") -> Article:
    text = title + "\n\n" + "\n\n".join(sentences) + "\n"
    return import_article(text=text, fmt="text", author=owner).article


def claims_of(article: Article) -> list[Claim]:
    return list(article.claims.order_by("position"))


def approve(
    claim: Claim, reviewer: User, *, grade: str = "high", tags: tuple[NuanceTag, ...] = (), note: str = ""
) -> Claim:
    claim.refresh_from_db()
    if claim.status == ClaimStatus.DRAFT:
        claim.submit(by=claim.article.owner)
    record_review(
        claim=claim,
        version=claim.version,
        reviewer=reviewer,
        decision="approve",
        evidence_grade=grade,
        nuance_tags=tags,
        nuance_note=note,
        password=PASSWORD,
        signature_meaning=DEFAULT_MEANING,
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    return claim


def make_channel(slug: str = "website", name: str = "Website") -> Channel:
    return Channel.objects.create(name=name, slug=slug, audience="patient")


def publish(claim: Claim, channel: Channel, by: User) -> Publication:
    pub = Publication(
        claim=claim, version=claim.version, content_hash=claim.content_hash, channel=channel, published_by=by
    )
    pub._history_user = by  # type: ignore[attr-defined]
    pub.save()
    return pub


@pytest.fixture
def approved(other_author: User, reviewer: User) -> Claim:
    """An approved claim in another author's article: the library."""
    (claim,) = claims_of(import_claims(other_author, APPROVED, title="Blood pressure basics"))
    return approve(claim, reviewer, note="Say **which adults**: the trials enrolled people with hypertension.")


@pytest.fixture
def incoming(approved: Claim, author: User, django_capture_on_commit_callbacks: Capture) -> list[Claim]:
    """The author imports an article: one exact, one near and one unrelated claim. Matching runs after commit."""
    with django_capture_on_commit_callbacks(execute=True):
        article = import_claims(author, EXACT, NEAR, UNRELATED)
    return claims_of(article)


# --- Pure parts -----------------------------------------------------------------------------------------------------


def test_it_keys_wording_so_quotes_spacing_case_and_the_final_stop_do_not_matter() -> None:
    assert norm_hash("It’s  TRUE.") == norm_hash("it's true")
    assert sort_key("Blood pressure, in adults.") == "adults blood in pressure"


def words(text: str) -> tuple[str, ...]:
    return tokens(sort_key(text))


def test_it_finds_near_matches_above_the_cutoff_best_first() -> None:
    corpus = [words(UNRELATED), words(NEAR), words(APPROVED)]
    ((first, score), *rest) = near_matches([words(APPROVED)], corpus)[0]
    assert (first, score) == (2, 100.0)
    assert rest == [(1, pytest.approx(100 * 14 / 15))]  # 7 of 7 and 8 words shared: 2·7/15


def test_it_finds_no_near_match_below_the_cutoff() -> None:
    assert near_matches([words(APPROVED)], [words(UNRELATED)]) == [[]]


def test_it_does_not_match_a_short_claim_inside_a_long_one() -> None:
    long = words(APPROVED[:-1] + ", especially when combined with a low-salt diet and less alcohol.")
    assert near_matches([words(APPROVED)], [long]) == [[]]


def test_it_finds_every_near_match_a_full_scan_finds() -> None:
    corpus = [
        words(f"Regular exercise lowers blood pressure in {w} adults.") for w in ["older", "most", "many", "young"]
    ]
    corpus += [words(f"Daily {w} lowers the risk of falls in older adults.") for w in ["walking", "yoga", "dancing"]]
    found = [{i for i, _ in hits} for hits in near_matches(corpus, corpus)]
    full_scan = [{i for i, other in enumerate(corpus) if fuzz.ratio(query, other) >= 85} for query in corpus]
    assert found == full_scan


# --- Matching on import ---------------------------------------------------------------------------------------------


def test_it_stores_the_normalised_wording_of_every_new_version(approved: Claim) -> None:
    wording = ClaimWording.objects.get(claim=approved, version=1)
    assert wording.norm_hash == norm_hash(APPROVED)


def test_it_matches_an_imported_claim_exactly(incoming: list[Claim], approved: Claim) -> None:
    match = LibraryMatch.objects.get(claim=incoming[0])
    assert (match.matched_claim_id, match.matched_version, match.exact, match.similarity) == (approved.pk, 1, True, 1.0)


def test_it_matches_an_imported_claim_nearly(incoming: list[Claim], approved: Claim) -> None:
    match = LibraryMatch.objects.get(claim=incoming[1])
    assert (match.matched_claim_id, match.exact) == (approved.pk, False)
    assert 0.85 <= match.similarity < 1


def test_it_does_not_match_unrelated_wording(incoming: list[Claim]) -> None:
    assert not LibraryMatch.objects.filter(claim=incoming[2]).exists()


def test_it_does_not_match_claims_that_are_not_approved(
    other_author: User, author: User, django_capture_on_commit_callbacks: Capture
) -> None:
    import_claims(other_author, APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        import_claims(author, APPROVED)
    assert not LibraryMatch.objects.exists()


def test_it_does_not_match_claims_of_the_same_article(
    approved: Claim, other_author: User, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sibling = Claim.objects.get(pk=import_claims(other_author, UNRELATED).claims.get().pk)
    same_article_claim = create_claim(
        article=approved.article,
        section=approved.section,
        position=2,
        text=UNRELATED + " Really.",
        citations=[],
        author=other_author,
    )
    with django_capture_on_commit_callbacks(execute=True):
        same_article_claim.revise(text=APPROVED, expected_version=1, reason="Same as #1", by=other_author)
    assert not LibraryMatch.objects.filter(claim=same_article_claim).exists()
    assert not LibraryMatch.objects.filter(claim=sibling).exists()


def test_it_matches_a_revision_against_the_library(
    approved: Claim, author: User, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        (claim,) = claims_of(import_claims(author, UNRELATED))
    with django_capture_on_commit_callbacks(execute=True):
        claim.revise(text=APPROVED, expected_version=1, reason="Use the approved wording", by=author)
    assert LibraryMatch.objects.get(claim=claim).version == 2


def test_it_matches_a_whole_import_in_one_pass(
    approved: Claim, author: User, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_claims(author, EXACT, NEAR, UNRELATED)
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()
    # Every callback after the first finds the pending set empty: no further queries.
    assert len(queries) == 0


# --- In the claim JSON ----------------------------------------------------------------------------------------------


def test_it_lists_library_matches_in_the_claim_json(incoming: list[Claim], approved: Claim, author: User) -> None:
    body = client_for(author).get(reverse("api_claim", args=[incoming[0].pk])).json()
    assert body["library_matches"] == [{"claim": approved.pk, "version": 1, "similarity": 1.0}]


def test_it_drops_a_match_once_the_approved_claim_moves_on(
    incoming: list[Claim], approved: Claim, author: User, other_author: User
) -> None:
    approved.revise(text=APPROVED + " Usually.", expected_version=1, reason="Hedge", by=other_author)
    body = client_for(author).get(reverse("api_claim", args=[incoming[0].pk])).json()
    assert body["library_matches"] == []


def test_it_keeps_claim_list_queries_flat_with_flags_and_matches(
    approved: Claim, author: User, django_capture_on_commit_callbacks: Capture
) -> None:
    client = client_for(author)

    def count(n: int) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            article = import_claims(
                author,
                *[f"Regular exercise always lowers blood pressure in adults {i}." for i in range(n)],
                title=f"T{n}",
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("api_claims"), {"article": article.pk})
        assert len(response.json()["results"]) == n
        assert all(c["risk_flags"] and c["library_matches"] for c in response.json()["results"])
        return len(queries)

    assert count(2) == count(20)


def test_it_keeps_article_json_queries_flat(author: User, django_assert_max_num_queries: Capture) -> None:
    small = import_claims(author, *[f"Walking always helps, study {i}." for i in range(2)], title="Small")
    large = import_claims(author, *[f"Walking always helps, study {i}." for i in range(20)], title="Large")
    client = client_for(author)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("api_article", args=[small.pk]))
    with django_assert_max_num_queries(len(few)):
        body = client.get(reverse("api_article", args=[large.pk])).json()
    assert len(body["claims"]) == 20 and body["claims"][0]["risk_flags"]


# --- Linking an exact match -----------------------------------------------------------------------------------------


def link_url(claim: Claim) -> str:
    match = LibraryMatch.objects.filter(claim=claim).first()
    assert match is not None
    return reverse("claim_library_link", args=[claim.pk, match.pk])


def test_it_links_an_exact_match_with_the_approvals_provenance(
    incoming: list[Claim], approved: Claim, author: User
) -> None:
    response = client_for(author).post(link_url(incoming[0]))
    assert response.status_code == 302
    link = ClaimLink.objects.get(claim=incoming[0])
    approval = Review.objects.get(claim=approved)
    assert (link.version, link.source_claim_id, link.source_version) == (1, approved.pk, 1)
    assert (link.source_hash, link.approval_ids) == (approved.content_hash, [approval.pk])
    assert link.history.get().history_user == author


def test_it_leaves_the_linked_claim_needing_its_own_review(incoming: list[Claim], author: User) -> None:
    client_for(author).post(link_url(incoming[0]))
    incoming[0].refresh_from_db()
    assert (incoming[0].status, incoming[0].approved_version) == (ClaimStatus.DRAFT, None)


def test_it_lets_a_reviewer_link_too(incoming: list[Claim], second_reviewer: User) -> None:
    assert client_for(second_reviewer).post(link_url(incoming[0])).status_code == 302


def test_it_refuses_get_on_link(incoming: list[Claim], author: User) -> None:
    assert client_for(author).get(link_url(incoming[0])).status_code == 405


def test_it_hides_link_from_outsiders(incoming: list[Claim], outsider: User) -> None:
    assert client_for(outsider).post(link_url(incoming[0])).status_code == 404


def test_it_refuses_link_to_a_publisher(incoming: list[Claim], publisher: User) -> None:
    assert client_for(publisher).post(link_url(incoming[0])).status_code == 403


def test_it_refuses_to_link_a_near_match(incoming: list[Claim], author: User) -> None:
    assert client_for(author).post(link_url(incoming[1])).status_code == 409
    assert not ClaimLink.objects.exists()


def test_it_refuses_to_link_twice(incoming: list[Claim], author: User) -> None:
    client = client_for(author)
    client.post(link_url(incoming[0]))
    assert client.post(link_url(incoming[0])).status_code == 409
    assert ClaimLink.objects.count() == 1


def test_it_refuses_to_link_a_source_that_is_no_longer_approved(
    incoming: list[Claim], approved: Claim, author: User, other_author: User
) -> None:
    approved.revise(text=APPROVED + " Usually.", expected_version=1, reason="Hedge", by=other_author)
    assert client_for(author).post(link_url(incoming[0])).status_code == 409


# --- On the review page ---------------------------------------------------------------------------------------------


def test_it_shows_a_near_match_with_a_word_diff_and_the_nuance_note(
    incoming: list[Claim], approved: Claim, reviewer: User
) -> None:
    page = client_for(reviewer).get(reverse("claim_detail", args=[incoming[1].pk])).content.decode()
    assert f"approved claim <strong>#{approved.pk} v1</strong>" in page
    assert "<ins>most </ins>" in page
    assert "<strong>which adults</strong>" in page


def test_it_offers_the_link_for_an_exact_match_and_shows_the_provenance_after(
    incoming: list[Claim], approved: Claim, author: User
) -> None:
    client = client_for(author)
    detail = reverse("claim_detail", args=[incoming[0].pk])
    assert f"Link to approved claim #{approved.pk}" in client.get(detail).content.decode()
    client.post(link_url(incoming[0]))
    page = client.get(detail).content.decode()
    assert f"Reuses approved claim <strong>#{approved.pk} v1</strong>" in page
    assert "still needs its own review" in page


# --- The library page and API ---------------------------------------------------------------------------------------


@pytest.fixture
def published(approved: Claim, publisher: User, incoming: list[Claim], author: User) -> Claim:
    tag = NuanceTag.objects.create(slug="population", name="Population matters")
    review = Review.objects.get(claim=approved)
    review.nuance_tags.add(tag)
    publish(approved, make_channel(), publisher)
    client_for(author).post(link_url(incoming[0]))
    return approved


def test_it_lists_approved_claims_with_grade_tags_channels_and_uses(published: Claim, reviewer: User) -> None:
    page = client_for(reviewer).get(reverse("library")).content.decode()
    assert APPROVED in page
    assert "High certainty" in page and "Population matters" in page and "Website" in page
    assert "Blood pressure basics" in page and "Exercise and health" in page


def test_it_searches_the_library_by_text(published: Claim, reviewer: User) -> None:
    client = client_for(reviewer)
    assert APPROVED in client.get(reverse("library"), {"q": "BLOOD pressure"}).content.decode()
    assert APPROVED not in client.get(reverse("library"), {"q": "green tea"}).content.decode()


def test_it_refuses_the_library_to_outsiders(outsider: User) -> None:
    assert client_for(outsider).get(reverse("library")).status_code == 403


def test_it_serves_the_library_api(published: Claim, incoming: list[Claim], author: User) -> None:
    body = client_for(author).get(reverse("api_library"), {"q": "blood"}).json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "claim": published.pk,
            "version": 1,
            "text": APPROVED,
            "evidence_grade": "high",
            "tags": ["population"],
            "channels": ["website"],
            "used_in": [
                {"id": published.article_id, "title": "Blood pressure basics"},
                {"id": incoming[0].article_id, "title": "Exercise and health"},
            ],
        }
    ]


def test_it_filters_the_library_api_by_text(published: Claim, author: User) -> None:
    assert client_for(author).get(reverse("api_library"), {"q": "green tea"}).json()["count"] == 0


def test_it_refuses_the_library_api_to_outsiders(outsider: User) -> None:
    assert client_for(outsider).get(reverse("api_library")).status_code == 403


def approved_many(owner: User, reviewer: User, publisher: User, channel: Channel, n: int) -> None:
    tag, _ = NuanceTag.objects.get_or_create(slug="dose", defaults={"name": "Dose matters"})
    for claim in claims_of(import_claims(owner, *[f"Walking {i} km a day lowers blood pressure." for i in range(n)])):
        approve(claim, reviewer, tags=(tag,))
        publish(claim, channel, publisher)


@pytest.fixture
def library_sizes(other_author: User, reviewer: User, publisher: User) -> Iterator[Callable[[int], None]]:
    channel = make_channel()

    def grow(n: int) -> None:
        approved_many(other_author, reviewer, publisher, channel, n)

    yield grow


def test_it_keeps_library_page_queries_flat(
    library_sizes: Callable[[int], None], reviewer: User, django_assert_max_num_queries: Capture
) -> None:
    client = client_for(reviewer)
    library_sizes(2)
    with CaptureQueriesContext(connection) as two:
        client.get(reverse("library"))
    library_sizes(18)
    with django_assert_max_num_queries(len(two)):
        page = client.get(reverse("library")).content.decode()
    assert page.count("Dose matters") == 20


def test_it_keeps_library_api_queries_flat(
    library_sizes: Callable[[int], None], reviewer: User, django_assert_max_num_queries: Capture
) -> None:
    client = client_for(reviewer)
    library_sizes(2)
    with CaptureQueriesContext(connection) as two:
        client.get(reverse("api_library"))
    library_sizes(18)
    with django_assert_max_num_queries(len(two)):
        body = client.get(reverse("api_library")).json()
    assert body["count"] == 20 and body["results"][0]["channels"] == ["website"]


def test_it_matches_earlier_drafts_when_triage_claims_runs_after_an_approval(
    author: User, other_author: User, reviewer: User, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        (draft,) = claims_of(import_claims(author, APPROVED))
    (source,) = claims_of(import_claims(other_author, APPROVED, title="Blood pressure basics"))
    approve(source, reviewer)
    assert not LibraryMatch.objects.filter(claim=draft).exists()
    out = StringIO()
    call_command("triage_claims", stdout=out)
    assert LibraryMatch.objects.get(claim=draft).matched_claim_id == source.pk
    assert out.getvalue().strip() == "Triaged 2 claim versions: 0 new flags, 1 library matches."
