"""The claim ledger's model layer: versions, hashes, verbs, history and DB invariants."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from content.diffing import Piece, similarity, word_diff
from content.exceptions import InvalidTransition, NotAllowed, StaleVersion
from content.models import Article, Claim, ClaimStatus, ClaimVersion, Reference, content_hash
from tests.conftest import first_claim, import_text, numbered_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(author: User) -> Article:
    return import_text(author, numbered_text(3))


@pytest.fixture
def claim(article: Article) -> Claim:
    return first_claim(article)


def revise(claim: Claim, by: User, text: str = "Adults who sleep well live longer.", reason: str = "Clearer") -> Claim:
    return claim.revise(text=text, expected_version=claim.version, reason=reason, by=by)


# --- content_hash ------------------------------------------------------------------------------------------------


def test_it_hashes_to_sha256_hex() -> None:
    digest = content_hash("Water is good.", ["doi:10.1/x"])
    assert len(digest) == 64 and int(digest, 16) >= 0


def test_it_ignores_line_endings_in_the_hash() -> None:
    assert content_hash("One.\r\nTwo.", []) == content_hash("One.\nTwo.", [])


def test_it_ignores_surrounding_whitespace_in_the_hash() -> None:
    assert content_hash("  One.\n", []) == content_hash("One.", [])


def test_it_ignores_citation_order_in_the_hash() -> None:
    assert content_hash("One.", ["a|2001", "b|2002"]) == content_hash("One.", ["b|2002", "a|2001"])


def test_it_changes_the_hash_when_the_text_changes() -> None:
    assert content_hash("One.", []) != content_hash("One!", [])


def test_it_changes_the_hash_when_the_citations_change() -> None:
    assert content_hash("One.", ["a|2001"]) != content_hash("One.", ["b|2002"])


def test_it_does_not_confuse_text_with_citations_in_the_hash() -> None:
    # A naive "text + keys" concatenation would make these two collide.
    assert content_hash("One.a|2001", []) != content_hash("One.", ["a|2001"])


# --- creation ----------------------------------------------------------------------------------------------------


def test_it_creates_claims_at_version_one(claim: Claim) -> None:
    assert (claim.version, claim.status) == (1, ClaimStatus.DRAFT)


def test_it_stores_the_hash_of_text_and_citations(claim: Claim) -> None:
    assert claim.content_hash == content_hash(claim.text, claim.citation_keys())


def test_it_records_version_one_as_a_version_row(claim: Claim, author: User) -> None:
    version = claim.versions.get()
    assert (version.version, version.text, version.changed_by, version.change_reason) == (
        1,
        claim.text,
        author,
        "Imported",
    )


# --- revise ------------------------------------------------------------------------------------------------------


def test_it_revises_to_the_next_version(claim: Claim, author: User) -> None:
    revise(claim, author)
    claim.refresh_from_db()
    assert (claim.version, claim.text) == (2, "Adults who sleep well live longer.")


def test_it_rehashes_a_revision(claim: Claim, author: User) -> None:
    revise(claim, author)
    claim.refresh_from_db()
    assert claim.content_hash == content_hash("Adults who sleep well live longer.", claim.citation_keys())


def test_it_writes_a_version_row_per_revision(claim: Claim, author: User) -> None:
    revise(claim, author, reason="Shorter")
    assert list(claim.versions.values_list("version", "change_reason")) == [(1, "Imported"), (2, "Shorter")]


def test_it_requires_a_reason_to_revise(claim: Claim, author: User) -> None:
    with pytest.raises(ValidationError) as exc:
        revise(claim, author, reason="   ")
    assert "change_reason" in exc.value.message_dict


def test_it_refuses_an_empty_revision(claim: Claim, author: User) -> None:
    with pytest.raises(ValidationError) as exc:
        revise(claim, author, text=" \n ")
    assert "text" in exc.value.message_dict


def test_it_refuses_a_revision_that_changes_nothing(claim: Claim, author: User) -> None:
    with pytest.raises(ValidationError):
        revise(claim, author, text=claim.text + "  ")
    assert claim.versions.count() == 1


def test_it_refuses_a_stale_revision(claim: Claim, author: User) -> None:
    revise(claim, author, text="First editor's words.")
    with pytest.raises(StaleVersion) as exc:
        claim.revise(text="Second editor's words.", expected_version=1, reason="Mine", by=author)
    assert (exc.value.current_version, exc.value.current_text) == (2, "First editor's words.")


def test_it_keeps_the_winner_when_refusing_a_stale_revision(claim: Claim, author: User) -> None:
    revise(claim, author, text="First editor's words.")
    with pytest.raises(StaleVersion):
        claim.revise(text="Second editor's words.", expected_version=1, reason="Mine", by=author)
    claim.refresh_from_db()
    assert (claim.version, claim.text) == (2, "First editor's words.")


def test_it_refuses_to_revise_a_claim_in_review(claim: Claim, author: User) -> None:
    claim.submit(by=author)
    with pytest.raises(InvalidTransition):
        revise(claim, author)


def test_it_refuses_to_revise_a_retired_claim(claim: Claim, author: User) -> None:
    claim.retire(by=author, reason="Out of date")
    with pytest.raises(InvalidTransition):
        revise(claim, author)


def test_it_refuses_a_revision_by_another_author(claim: Claim, other_author: User) -> None:
    with pytest.raises(NotAllowed):
        revise(claim, other_author)


def test_it_refuses_a_revision_by_a_reviewer(claim: Claim, reviewer: User) -> None:
    with pytest.raises(NotAllowed):
        revise(claim, reviewer)


def test_it_sends_an_approved_claim_back_to_draft_on_revision(claim: Claim, author: User) -> None:
    claim.status, claim.approved_version = ClaimStatus.APPROVED, 1
    claim.save()
    revise(claim, author)
    claim.refresh_from_db()
    assert (claim.status, claim.version, claim.approved_version) == (ClaimStatus.DRAFT, 2, 1)


def test_it_revises_citations(claim: Claim, author: User) -> None:
    other = Reference.objects.exclude(claims=claim).first()
    assert other is not None
    claim.revise(text=claim.text, expected_version=1, reason="Better source", by=author, citations=[other])
    claim.refresh_from_db()
    assert (claim.version, claim.citation_keys()) == (2, [other.key])


def test_it_snapshots_citations_in_the_version_row(claim: Claim, author: User) -> None:
    other = Reference.objects.exclude(claims=claim).first()
    assert other is not None
    claim.revise(text=claim.text, expected_version=1, reason="Better source", by=author, citations=[other])
    assert [c["key"] for c in claim.versions.get(version=2).citations] == [other.key]


# --- status changes are not content versions ---------------------------------------------------------------------


def test_it_keeps_the_version_on_submit(claim: Claim, author: User) -> None:
    claim.submit(by=author)
    claim.refresh_from_db()
    assert (claim.status, claim.version, claim.versions.count()) == (ClaimStatus.IN_REVIEW, 1, 1)


def test_it_keeps_the_version_on_retire(claim: Claim, author: User) -> None:
    claim.retire(by=author, reason="Out of date")
    claim.refresh_from_db()
    assert (claim.status, claim.version, claim.versions.count()) == (ClaimStatus.RETIRED, 1, 1)


def test_it_refuses_to_submit_twice(claim: Claim, author: User) -> None:
    claim.submit(by=author)
    with pytest.raises(InvalidTransition):
        claim.submit(by=author)


def test_it_refuses_a_submit_by_a_reviewer(claim: Claim, reviewer: User) -> None:
    with pytest.raises(NotAllowed):
        claim.submit(by=reviewer)


def test_it_requires_a_reason_to_retire(claim: Claim, author: User) -> None:
    with pytest.raises(ValidationError):
        claim.retire(by=author, reason="")


# --- history -----------------------------------------------------------------------------------------------------


def test_it_records_who_and_why_in_history(claim: Claim, author: User) -> None:
    revise(claim, author, reason="Clearer wording")
    record = claim.history.filter(version=2).earliest("history_date")
    assert (record.history_user, record.history_change_reason) == (author, "Clearer wording")


def test_it_records_status_changes_in_history(claim: Claim, author: User) -> None:
    claim.submit(by=author)
    latest = claim.history.latest("history_date")
    assert (latest.status, latest.version, latest.history_user) == (ClaimStatus.IN_REVIEW, 1, author)


def test_it_records_citations_in_history(claim: Claim, author: User) -> None:
    other = Reference.objects.exclude(claims=claim).first()
    assert other is not None
    claim.revise(text=claim.text, expected_version=1, reason="Better source", by=author, citations=[other])
    latest = claim.history.latest("history_date")
    assert [ref.reference_id for ref in latest.citations.all()] == [other.pk]


def test_it_keeps_the_citations_of_older_versions_in_history(claim: Claim, author: User) -> None:
    before = set(claim.citations.values_list("pk", flat=True))
    other = Reference.objects.exclude(claims=claim).first()
    assert other is not None
    claim.revise(text=claim.text, expected_version=1, reason="Better source", by=author, citations=[other])
    first = claim.history.earliest("history_date")
    # The creation row is written before citations are attached; the next row has them.
    v1_records = claim.history.filter(version=1).order_by("history_date", "history_id")
    assert first.version == 1
    assert {ref.reference_id for ref in v1_records.last().citations.all()} == before


def test_it_keeps_a_long_change_reason_in_history(claim: Claim, author: User) -> None:
    reason = "The cited cohort study measured sleep duration, not quality; " * 5
    revise(claim, author, reason=reason)
    assert claim.history.filter(version=2).earliest("history_date").history_change_reason == reason.strip()


def test_it_records_the_reference_history(article: Article, author: User) -> None:
    ref = Reference.objects.first()
    assert ref is not None
    assert ref.history.get().history_user == author


def test_it_records_the_article_history(article: Article, author: User) -> None:
    assert article.history.get().history_change_reason == "Imported"


# --- immutability and database invariants ------------------------------------------------------------------------


def test_it_never_deletes_a_claim(claim: Claim) -> None:
    with pytest.raises(NotAllowed):
        claim.delete()


def test_it_never_rewrites_a_version_row(claim: Claim) -> None:
    version = claim.versions.get()
    version.text = "Rewritten history."
    with pytest.raises(NotAllowed):
        version.save()


def test_it_never_deletes_a_version_row(claim: Claim) -> None:
    with pytest.raises(NotAllowed):
        claim.versions.get().delete()


def test_it_allows_one_row_per_claim_version_in_the_database(claim: Claim, author: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimVersion.objects.create(
            claim=claim, version=1, text="Dup.", content_hash="0" * 64, changed_by=author, change_reason="Dup"
        )


def save_raw(claim: Claim, **fields: object) -> None:
    """Write fields straight to the row, past the verbs, as a buggy caller might."""
    for name, value in fields.items():
        setattr(claim, name, value)
    with transaction.atomic():
        claim.save(update_fields=list(fields))


def test_it_refuses_an_approved_claim_without_an_approved_version_in_the_database(claim: Claim) -> None:
    with pytest.raises(IntegrityError):
        save_raw(claim, status=ClaimStatus.APPROVED)


def test_it_refuses_an_unknown_status_in_the_database(claim: Claim) -> None:
    with pytest.raises(IntegrityError):
        save_raw(claim, status="published")


def test_it_refuses_version_zero_in_the_database(claim: Claim) -> None:
    with pytest.raises(IntegrityError):
        save_raw(claim, version=0)


def test_it_allows_one_reference_per_work_in_the_database(article: Article) -> None:
    ref = Reference.objects.first()
    assert ref is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Reference.objects.create(key=ref.key, label="Again")


# --- word diff (pure) --------------------------------------------------------------------------------------------


def test_it_diffs_by_word() -> None:
    assert word_diff("Water is good.", "Water is very good.") == [
        Piece("equal", "Water is "),
        Piece("insert", "very "),
        Piece("equal", "good."),
    ]


def test_it_shows_a_replaced_word_as_delete_then_insert() -> None:
    assert [p.op for p in word_diff("Water is good.", "Water is bad.")] == ["equal", "delete", "insert"]


def test_it_rebuilds_both_texts_from_the_diff() -> None:
    old, new = "Sleep  helps\nmemory a lot.", "Sleep helps memory.\nA lot, says one study."
    pieces = word_diff(old, new)
    assert "".join(p.text for p in pieces if p.op != "insert") == old
    assert "".join(p.text for p in pieces if p.op != "delete") == new


def test_it_scores_identical_texts_as_fully_similar() -> None:
    assert similarity("Water is good.", "Water is good.") == 1.0


def test_it_refuses_a_revision_the_database_cannot_store(claim: Claim, author: User) -> None:
    with pytest.raises(ValidationError) as exc:
        revise(claim, author, text="Water is good\x00 for you.")
    assert "text" in exc.value.message_dict
