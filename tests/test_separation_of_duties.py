"""Separation of duties follows the words: a split, a merge or a re-import carries the contributors of the words
it moves, and an article's owners count as contributors to its claims.

Alice (an author who is also a medical reviewer) writes an article; it is handed to Carol,
who splits, merges or re-imports it. Alice may not then sign her own words in their new claim.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from content.actions import import_article, merge_with_next, split_claim
from content.governance import save_as
from content.models import Article, Claim, ClaimStatus
from review.models import AuditEvent, RefusalKind, ReviewRefused
from tests.conftest import client_for, make_user
from tests.review_helpers import approve, fresh

pytestmark = pytest.mark.django_db

SENTENCES = [
    "Brisk walking lowers blood pressure in adults.",
    "Cycling to work improves heart health.",
    "Swimming twice a week strengthens the lungs.",
]
TITLE = "Exercise and the heart"


def text_of(sentences: list[str]) -> str:
    return TITLE + "\n\n" + "\n\n".join(sentences) + "\n"


@pytest.fixture
def alice(groups: None) -> User:
    user = make_user("alice", "Authors", first_name="Alice")
    user.groups.add(Group.objects.get(name="Medical reviewers"))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def carol(groups: None) -> User:
    return make_user("carol", "Authors", first_name="Carol")


@pytest.fixture
def handed_over(alice: User, carol: User) -> Article:
    """Alice's article, handed over to Carol (recorded, as the admin records it)."""
    article = import_article(text=text_of(SENTENCES), fmt="text", author=alice).article
    article.owner = carol
    save_as(article, carol, "Handed over to Carol")
    return article


def claims_of(article: Article) -> list[Claim]:
    return list(article.claims.live().order_by("position"))


def refusal_kind(claim: Claim, signer: User) -> str:
    with pytest.raises(ReviewRefused) as exc:
        approve(fresh(claim), signer)
    return exc.value.kind


# --- split ------------------------------------------------------------------------------------


def split_first(article: Article, carol: User) -> tuple[Claim, Claim]:
    first = claims_of(article)[0]
    second = split_claim(
        first,
        first="Brisk walking lowers blood pressure.",
        second="It does so in adults.",
        expected_version=1,
        reason="Two facts",
        by=carol,
    )
    return first, second


def test_it_records_what_a_split_half_came_from(handed_over: Article, carol: User) -> None:
    first, second = split_first(handed_over, carol)
    assert second.versions.get().derived_from == [{"claim": first.pk, "version": 1}]


def test_it_refuses_the_writer_of_a_split_claim_the_signature_of_its_second_half(
    handed_over: Article, alice: User, carol: User
) -> None:
    _, second = split_first(handed_over, carol)
    second.submit(by=carol)
    assert refusal_kind(second, alice) == RefusalKind.SEPARATION_OF_DUTIES


def test_it_refuses_it_through_the_api_with_403(handed_over: Article, alice: User, carol: User) -> None:
    _, second = split_first(handed_over, carol)
    second.submit(by=carol)
    body = {
        "version": 1,
        "evidence_grade": "high",
        "decision": "approve",
        "password": "correct horse battery staple",
        "username": alice.username,
        "signature_meaning": "accurate",
    }
    response = client_for(alice).post(f"/api/v1/claims/{second.pk}/reviews/", body, content_type="application/json")
    assert response.status_code == 403


# --- merge ------------------------------------------------------------------------------------


def test_it_records_what_a_merged_version_took_in(handed_over: Article, carol: User) -> None:
    first, nxt, _ = claims_of(handed_over)
    merge_with_next(first, expected_version=1, reason="One fact", by=carol)
    assert first.versions.get(version=2).derived_from == [{"claim": nxt.pk, "version": 1}]


def test_it_refuses_the_writer_of_merged_words_their_signature(handed_over: Article, alice: User, carol: User) -> None:
    first, _, _ = claims_of(handed_over)
    merge_with_next(first, expected_version=1, reason="One fact", by=carol)
    fresh(first).submit(by=carol)
    assert refusal_kind(first, alice) == RefusalKind.SEPARATION_OF_DUTIES


# --- re-import with reordered sentences ---------------------------------------------------------


def reimport_reordered(article: Article, carol: User) -> Claim:
    """Carol moves the last sentence to the front: the importer makes it a new claim and retires the old one."""
    old_last = claims_of(article)[-1]
    import_article(text=text_of([SENTENCES[2], *SENTENCES[:2]]), fmt="text", author=carol, article=article)
    moved = claims_of(article)[0]
    assert (moved.pk != old_last.pk, fresh(old_last).status) == (True, ClaimStatus.RETIRED)
    return moved


def test_it_records_where_a_moved_sentence_came_from(handed_over: Article, carol: User) -> None:
    old_last = claims_of(handed_over)[-1]
    moved = reimport_reordered(handed_over, carol)
    assert moved.versions.get().derived_from == [{"claim": old_last.pk, "version": 1}]


def test_it_refuses_the_writer_of_a_moved_sentence_its_signature(
    handed_over: Article, alice: User, carol: User
) -> None:
    moved = reimport_reordered(handed_over, carol)
    moved.submit(by=carol)
    assert refusal_kind(moved, alice) == RefusalKind.SEPARATION_OF_DUTIES


def test_it_records_no_source_for_a_sentence_like_none_before(handed_over: Article, carol: User) -> None:
    import_article(
        text=text_of([*SENTENCES, "Stretching after exercise reduces soreness the next day."]),
        fmt="text",
        author=carol,
        article=handed_over,
    )
    assert claims_of(handed_over)[-1].versions.get().derived_from == []


# --- owner changes ------------------------------------------------------------------------------


def test_it_records_an_owner_change(handed_over: Article, alice: User, carol: User) -> None:
    event = AuditEvent.objects.filter(type="article.updated", article=handed_over).last()
    assert event is not None and event.changes["owner"] == [alice.pk, carol.pk]


def test_it_counts_a_new_owner_as_a_contributor_to_every_claim(handed_over: Article, carol: User) -> None:
    assert all(carol.pk in claim.contributors(up_to_version=1) for claim in claims_of(handed_over))


def test_it_refuses_a_new_owner_the_signature_of_claims_they_took_over(handed_over: Article, carol: User) -> None:
    carol.groups.add(Group.objects.get(name="Medical reviewers"))
    first = claims_of(handed_over)[0]
    first.submit(by=carol)
    assert refusal_kind(first, User.objects.get(pk=carol.pk)) == RefusalKind.SEPARATION_OF_DUTIES


def test_it_lets_a_reviewer_who_never_touched_the_words_sign(handed_over: Article, carol: User) -> None:
    _, second = split_first(handed_over, carol)
    second.submit(by=carol)
    approve(fresh(second), make_user("sam", "Medical reviewers"))
    assert fresh(second).status == ClaimStatus.APPROVED
