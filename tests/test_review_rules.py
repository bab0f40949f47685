"""The review verb (review.models.record_review) and its rules, without HTTP.

Transitions: in_review --approve (enough signatures)--> approved,
--request_changes--> changes_requested, --reject--> rejected. Refusals:
wrong state / stale version (409), wrong person (403, recorded when signing).
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from content.exceptions import InvalidTransition, NotAllowed, StaleVersion
from content.models import Claim, ClaimStatus
from review.actions import record_review
from review.management.commands.seed_demo import MYTH
from review.models import (
    DEFAULT_MEANING,
    GRADE_RANK,
    REJECT_MEANING,
    AlreadySigned,
    Decision,
    EvidenceGrade,
    NuanceTag,
    Refusal,
    RefusalKind,
    Review,
    ReviewRefused,
    Signature,
    needs_extra_signature,
    signatures_required,
)
from tests import review_helpers
from tests.conftest import PASSWORD
from tests.review_helpers import approve, fresh, reject, request_changes, revise, snapshot

immediate_tasks = review_helpers.immediate_tasks
tags = review_helpers.tags
claim = review_helpers.claim


def signed(claim: Claim, reviewer: User, **overrides: Any) -> Review:
    """record_review with every argument overridable."""
    kwargs: dict[str, Any] = {
        "claim": claim,
        "version": claim.version,
        "reviewer": reviewer,
        "decision": Decision.APPROVE,
        "evidence_grade": EvidenceGrade.HIGH,
        "password": PASSWORD,
        "signature_meaning": DEFAULT_MEANING,
    } | overrides
    return record_review(**kwargs)


# --- the policy, as pure functions ---------------------------------------------


def test_it_ranks_grades_from_high_to_contradicted() -> None:
    ordered = sorted(EvidenceGrade, key=lambda g: -GRADE_RANK[g])
    assert [g.value for g in ordered] == ["high", "moderate", "low", "very_low", "unsupported", "contradicted"]


@pytest.mark.parametrize("grade", ["high", "moderate"])
def test_it_needs_one_signature_for_moderate_or_better_evidence_without_risky_tags(grade: str) -> None:
    assert signatures_required(grade, [NuanceTag(high_risk=False)]) == 1


@pytest.mark.parametrize("grade", ["low", "very_low", "unsupported", "contradicted"])
def test_it_needs_two_signatures_below_moderate(grade: str) -> None:
    assert signatures_required(grade, []) == 2


def test_it_needs_two_signatures_for_a_high_risk_tag() -> None:
    assert needs_extra_signature("high", [NuanceTag(high_risk=False), NuanceTag(high_risk=True)])


def test_it_reads_the_signature_counts_from_settings(settings: Any) -> None:
    settings.VETTED_SIGNATURES_DEFAULT, settings.VETTED_SIGNATURES_HIGH_RISK = 2, 3
    assert (signatures_required("high", []), signatures_required("low", [])) == (2, 3)


# --- approve ---------------------------------------------------------------------


def test_it_approves_at_once_with_high_evidence_and_no_tags(claim: Claim, reviewer: User) -> None:
    approve(claim, reviewer)
    c = fresh(claim)
    assert (c.status, c.approved_version, c.approvals_needed) == (ClaimStatus.APPROVED, 1, 1)


def test_it_keeps_a_high_risk_approval_in_review_at_one_of_two(
    claim: Claim, reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    approve(claim, reviewer, tags=[tags["omits-adverse-effects"]])
    c = fresh(claim)
    assert (c.status, c.approved_version, c.approvals_needed) == (ClaimStatus.IN_REVIEW, None, 2)
    assert Review.objects.approvals().filter(claim=c, version=1).count() == 1


def test_it_approves_a_high_risk_claim_with_a_second_distinct_signature(
    claim: Claim, reviewer: User, second_reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    approve(claim, reviewer, tags=[tags["omits-adverse-effects"]])
    approve(claim, second_reviewer)
    c = fresh(claim)
    assert (c.status, c.approved_version) == (ClaimStatus.APPROVED, 1)


def test_it_keeps_the_higher_bar_when_the_second_reviewer_sees_no_risk(
    claim: Claim, reviewer: User, second_reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    approve(claim, reviewer, tags=[tags["omits-adverse-effects"]])
    approve(claim, second_reviewer)  # on its own this review would need one signature
    assert fresh(claim).approvals_needed == 2


def test_it_needs_two_signatures_when_the_grade_is_low(claim: Claim, reviewer: User, second_reviewer: User) -> None:
    approve(claim, reviewer, grade=EvidenceGrade.LOW)
    assert fresh(claim).status == ClaimStatus.IN_REVIEW
    approve(claim, second_reviewer, grade=EvidenceGrade.HIGH)
    assert fresh(claim).status == ClaimStatus.APPROVED


def test_it_counts_one_reviewers_signature_once(claim: Claim, reviewer: User, tags: dict[str, NuanceTag]) -> None:
    approve(claim, reviewer, tags=[tags["misattributed-source"]])
    before = snapshot(claim)
    with pytest.raises(AlreadySigned) as exc:
        approve(claim, reviewer)
    assert exc.value.status == ClaimStatus.IN_REVIEW
    assert snapshot(claim) == before


def test_it_seals_the_signature_to_the_version_hash(claim: Claim, reviewer: User) -> None:
    review = approve(claim, reviewer)
    sig = Signature.objects.get(review=review)
    assert (sig.claim_version, sig.content_hash, sig.meaning) == (1, claim.content_hash, DEFAULT_MEANING)
    assert sig.is_intact()


def test_it_prints_the_signers_full_name_and_utc_time(claim: Claim, reviewer: User) -> None:
    sig = approve(claim, reviewer).signature
    assert sig.printed_name == "Bob Reviewer"
    assert sig.signed_at.utcoffset() == timedelta(0)
    assert str(sig).endswith(f"UTC: {DEFAULT_MEANING}")


def test_it_detects_a_tampered_signature(claim: Claim, reviewer: User) -> None:
    sig = approve(claim, reviewer).signature
    sig.meaning = "I confirm nothing"
    assert not sig.is_intact()


def test_it_names_version_and_hash_on_the_review(claim: Claim, reviewer: User, tags: dict[str, NuanceTag]) -> None:
    review = signed(
        claim, reviewer, evidence_type="rct", nuance_tags=[tags["not-medical-advice"]], nuance_note="Fine *as is*."
    )
    review.refresh_from_db()
    assert (review.claim_id, review.version, review.content_hash, review.reviewer_id) == (
        claim.pk,
        1,
        claim.content_hash,
        reviewer.pk,
    )
    assert (review.evidence_grade, review.evidence_type, review.nuance_note) == ("high", "rct", "Fine *as is*.")
    assert [t.slug for t in review.nuance_tags.all()] == ["not-medical-advice"]


# --- request changes and reject end the round ---------------------------------------


def test_it_moves_to_changes_requested(claim: Claim, reviewer: User) -> None:
    request_changes(claim, reviewer)
    assert fresh(claim).status == ClaimStatus.CHANGES_REQUESTED


def test_it_needs_no_password_to_request_changes(claim: Claim, reviewer: User) -> None:
    review = request_changes(claim, reviewer)
    assert not Signature.objects.filter(review=review).exists()


def test_it_rejects_with_a_signature(claim: Claim, reviewer: User) -> None:
    review = reject(claim, reviewer)
    assert fresh(claim).status == ClaimStatus.REJECTED
    assert review.signature.meaning == REJECT_MEANING


def test_it_ends_a_half_signed_round_on_request_for_changes(
    claim: Claim, reviewer: User, second_reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    approve(claim, reviewer, tags=[tags["omits-adverse-effects"]])
    request_changes(claim, second_reviewer)
    c = fresh(claim)
    assert (c.status, c.approved_version) == (ClaimStatus.CHANGES_REQUESTED, None)


# --- wrong state and stale versions (409, nothing changes) -----------------------------


@pytest.mark.parametrize("decision", ["approve", "request_changes", "reject"])
def test_it_refuses_to_review_a_draft(sample_article: Any, reviewer: User, decision: str) -> None:
    draft = sample_article.claims.order_by("position").first()
    before = snapshot(draft)
    meaning = {"approve": DEFAULT_MEANING, "reject": REJECT_MEANING}.get(decision, "")
    with pytest.raises(InvalidTransition) as exc:
        signed(draft, reviewer, decision=decision, signature_meaning=meaning, nuance_note="x")
    assert exc.value.status == ClaimStatus.DRAFT
    assert snapshot(draft) == before


def test_it_refuses_to_review_an_approved_claim(claim: Claim, reviewer: User, second_reviewer: User) -> None:
    approve(claim, reviewer)
    before = snapshot(claim)
    with pytest.raises(InvalidTransition) as exc:
        approve(fresh(claim), second_reviewer)
    assert exc.value.status == ClaimStatus.APPROVED
    assert snapshot(claim) == before


def test_it_refuses_a_wrong_state_before_checking_the_password(
    claim: Claim, reviewer: User, second_reviewer: User
) -> None:
    approve(claim, reviewer)
    with pytest.raises(InvalidTransition):
        signed(claim, second_reviewer, password="wrong")
    assert not Refusal.objects.exists()


def test_it_refuses_a_review_of_a_version_that_moved_on(
    claim: Claim, author: User, reviewer: User, second_reviewer: User
) -> None:
    request_changes(claim, reviewer)
    revise(claim, author)
    fresh(claim).submit(by=author)
    before = snapshot(claim)
    with pytest.raises(StaleVersion) as exc:
        signed(claim, second_reviewer, version=1)
    assert exc.value.current_version == 2
    assert snapshot(claim) == before


# --- separation of duties, the password and the throttle (403) -------------------------


def test_it_refuses_an_author_who_is_also_a_reviewer(claim: Claim, author: User) -> None:
    author.groups.add(Group.objects.get(name="Medical reviewers"))
    author = User.objects.get(pk=author.pk)
    before = snapshot(claim)
    with pytest.raises(ReviewRefused) as exc:
        approve(claim, author)
    assert exc.value.kind == RefusalKind.SEPARATION_OF_DUTIES
    assert snapshot(claim) == before


def test_it_records_a_separation_of_duties_refusal(claim: Claim, author: User) -> None:
    author.groups.add(Group.objects.get(name="Medical reviewers"))
    with pytest.raises(ReviewRefused):
        reject(claim, User.objects.get(pk=author.pk))
    assert list(Refusal.objects.values_list("user", "claim", "version", "kind")) == [
        (author.pk, claim.pk, 1, "separation_of_duties")
    ]


def test_it_refuses_a_superuser_who_wrote_the_claim(db: None) -> None:
    from content.actions import import_article
    from tests.conftest import sample_text

    boss = User.objects.create_superuser("boss", "boss@example.org", PASSWORD)
    c = import_article(text=sample_text(), fmt="text", author=boss).article.claims.order_by("position").first()
    assert c is not None
    c.submit(by=boss)
    with pytest.raises(ReviewRefused):
        approve(fresh(c), boss)


def test_it_refuses_someone_who_edited_an_earlier_version(
    claim: Claim, author: User, reviewer: User, second_reviewer: User
) -> None:
    # Carol takes the article over, revises the claim, hands it back; Alice revises again.
    carol = second_reviewer
    carol.groups.add(Group.objects.get(name="Authors"))
    request_changes(claim, reviewer)
    article = claim.article
    article.owner = carol
    article.save()
    revise(claim, User.objects.get(pk=carol.pk))
    article.owner = author
    article.save()
    revise(claim, author, text="A third wording.")
    fresh(claim).submit(by=author)
    with pytest.raises(ReviewRefused) as exc:
        approve(fresh(claim), User.objects.get(pk=carol.pk))
    assert exc.value.kind == RefusalKind.SEPARATION_OF_DUTIES


def test_it_lets_a_contributor_request_changes(claim: Claim, author: User) -> None:
    author.groups.add(Group.objects.get(name="Medical reviewers"))
    request_changes(claim, User.objects.get(pk=author.pk))
    assert fresh(claim).status == ClaimStatus.CHANGES_REQUESTED


def test_it_refuses_a_wrong_password(claim: Claim, reviewer: User) -> None:
    before = snapshot(claim)
    with pytest.raises(ReviewRefused) as exc:
        signed(claim, reviewer, password="not my password")
    assert exc.value.kind == RefusalKind.WRONG_PASSWORD
    assert snapshot(claim) == before


def test_it_refuses_a_missing_password(claim: Claim, reviewer: User) -> None:
    with pytest.raises(ReviewRefused):
        signed(claim, reviewer, password="")


def test_it_records_a_wrong_password(claim: Claim, reviewer: User) -> None:
    with pytest.raises(ReviewRefused):
        signed(claim, reviewer, password="nope")
    assert Refusal.objects.get().kind == RefusalKind.WRONG_PASSWORD


def test_it_locks_signing_after_five_wrong_passwords(claim: Claim, reviewer: User) -> None:
    for _ in range(5):
        with pytest.raises(ReviewRefused):
            signed(claim, reviewer, password="nope")
    with pytest.raises(ReviewRefused) as exc:
        approve(claim, reviewer)  # the right password, too late
    assert exc.value.kind == RefusalKind.THROTTLED
    assert fresh(claim).status == ClaimStatus.IN_REVIEW


def test_it_unlocks_signing_after_fifteen_minutes(claim: Claim, reviewer: User) -> None:
    for _ in range(5):
        Refusal.objects.create(
            user=reviewer,
            claim=claim,
            version=1,
            kind=RefusalKind.WRONG_PASSWORD,
            at=timezone.now() - timedelta(minutes=16),
        )
    approve(claim, reviewer)
    assert fresh(claim).status == ClaimStatus.APPROVED


def test_it_does_not_lock_after_four_wrong_passwords(claim: Claim, reviewer: User) -> None:
    for _ in range(4):
        with pytest.raises(ReviewRefused):
            signed(claim, reviewer, password="nope")
    approve(claim, reviewer)
    assert fresh(claim).status == ClaimStatus.APPROVED


def test_it_refuses_someone_who_is_not_a_reviewer(claim: Claim, publisher: User) -> None:
    before = snapshot(claim)
    with pytest.raises(NotAllowed):
        request_changes(claim, publisher)
    assert snapshot(claim) == before


# --- bad input (400) -------------------------------------------------------------------


def test_it_requires_a_grade(claim: Claim, reviewer: User) -> None:
    with pytest.raises(ValidationError) as exc:
        signed(claim, reviewer, evidence_grade="")
    assert "evidence_grade" in exc.value.message_dict


def test_it_requires_a_signature_meaning(claim: Claim, reviewer: User) -> None:
    with pytest.raises(ValidationError) as exc:
        signed(claim, reviewer, signature_meaning="  ")
    assert "signature_meaning" in exc.value.message_dict


def test_it_refuses_to_reject_with_the_approval_meaning(claim: Claim, reviewer: User) -> None:
    with pytest.raises(ValidationError) as exc:
        signed(claim, reviewer, decision=Decision.REJECT, signature_meaning=DEFAULT_MEANING)
    assert "signature_meaning" in exc.value.message_dict


def test_it_refuses_an_unknown_decision(claim: Claim, reviewer: User) -> None:
    with pytest.raises(ValidationError):
        signed(claim, reviewer, decision="maybe")


# --- versions: a review of n is never carried to n+1 ----------------------------------


def test_it_sends_an_approved_claim_back_to_draft_when_revised(claim: Claim, author: User, reviewer: User) -> None:
    approve(claim, reviewer)
    revise(claim, author)
    c = fresh(claim)
    assert (c.status, c.version) == (ClaimStatus.DRAFT, 2)


def test_it_keeps_the_last_approved_version_after_a_revision(claim: Claim, author: User, reviewer: User) -> None:
    approve(claim, reviewer)
    revise(claim, author)
    assert fresh(claim).approved_version == 1


def test_it_keeps_the_approval_of_the_old_version_on_record(claim: Claim, author: User, reviewer: User) -> None:
    review = approve(claim, reviewer)
    revise(claim, author)
    review.refresh_from_db()
    assert (review.version, review.signature.claim_version, review.signature.is_intact()) == (1, 1, True)


def test_it_does_not_count_an_approval_of_n_towards_n_plus_1(
    claim: Claim, author: User, reviewer: User, second_reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    approve(claim, reviewer, tags=[tags["omits-adverse-effects"]])
    request_changes(claim, second_reviewer)
    revise(claim, author)
    fresh(claim).submit(by=author)
    approve(fresh(claim), second_reviewer, tags=[tags["omits-adverse-effects"]])
    c = fresh(claim)
    assert (c.status, c.version, c.approvals_needed) == (ClaimStatus.IN_REVIEW, 2, 2)


def test_it_resets_the_signature_bar_for_a_new_version(
    claim: Claim, author: User, reviewer: User, second_reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    approve(claim, reviewer, tags=[tags["omits-adverse-effects"]])
    approve(claim, second_reviewer)
    revise(claim, author)
    assert fresh(claim).approvals_needed == 1


def test_it_moves_approved_version_forward_when_a_newer_version_is_approved(
    claim: Claim, author: User, reviewer: User
) -> None:
    approve(claim, reviewer)
    revise(claim, author)
    fresh(claim).submit(by=author)
    approve(fresh(claim), reviewer)
    assert fresh(claim).approved_version == 2


# --- history and notifications ------------------------------------------------------------


def test_it_records_who_moved_the_claim_and_why(claim: Claim, reviewer: User) -> None:
    approve(claim, reviewer)
    last = fresh(claim).history.first()  # type: ignore[attr-defined]
    assert (last.history_user_id, last.history_change_reason) == (reviewer.pk, "Approved version 1 (1 of 1 signatures)")


def test_it_mails_the_author_the_note(
    claim: Claim,
    reviewer: User,
    tags: dict[str, NuanceTag],
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request_changes(claim, reviewer, tags=[tags["omits-adverse-effects"]], note="Name the **side effects**.")
    [message] = mail.outbox
    assert message.to == ["alice@example.org"]
    assert "Name the **side effects**." in message.body
    assert "Omits adverse effects" in message.body
    assert "Required wording published with the claim:\n- Antidepressants can cause side effects" in message.body


def test_it_says_in_the_mail_that_a_second_signature_is_needed(
    claim: Claim,
    reviewer: User,
    tags: dict[str, NuanceTag],
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        approve(claim, reviewer, tags=[tags["omits-adverse-effects"]])
    assert "needs another reviewer's signature" in mail.outbox[0].body
    assert f"Signed by Bob Reviewer at {fresh(claim).reviews.get().signature.signed_at:%Y-%m-%d %H:%M:%S} UTC" in (
        mail.outbox[0].body
    )


def test_it_tells_earlier_reviewers_that_a_revision_is_back(
    claim: Claim, author: User, reviewer: User, immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    request_changes(claim, reviewer, note="Say for whom.")
    revise(claim, author)
    with django_capture_on_commit_callbacks(execute=True):
        fresh(claim).submit(by=author)
    [message] = mail.outbox
    assert (message.to, "Say for whom." in message.body) == (["bob@example.org"], True)
    assert "back for review at version 2" in message.body


def test_it_sends_no_mail_before_the_review_commits(claim: Claim, reviewer: User, immediate_tasks: None) -> None:
    request_changes(claim, reviewer)
    assert mail.outbox == []


# --- the vocabulary and the demo --------------------------------------------------------


def test_it_ships_a_vocabulary_with_high_risk_tags_and_required_wording(tags: dict[str, NuanceTag]) -> None:
    assert tags["omits-adverse-effects"].high_risk
    assert tags["not-medical-advice"].required_wording.startswith("Do not start, stop or change")


def test_it_lets_staff_edit_a_tag_in_the_admin(tags: dict[str, NuanceTag], client: Any) -> None:
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", PASSWORD))
    tag = tags["absolute-language"]
    response = client.post(
        f"/admin/review/nuancetag/{tag.pk}/change/",
        {
            "slug": tag.slug,
            "name": tag.name,
            "description": tag.description,
            "required_wording": "Results vary from person to person.",
            "high_risk": "on",
            "active": "on",
        },
    )
    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.high_risk, tag.required_wording) == (True, "Results vary from person to person.")


def test_it_seeds_the_demo_review_of_the_libido_myth(db: None) -> None:
    call_command("seed_demo", password="demo-password-1", stdout=io.StringIO())
    review = Review.objects.select_related("claim").get(claim__text=MYTH)
    assert (review.decision, review.evidence_grade, review.claim.status) == (
        Decision.REQUEST_CHANGES,
        EvidenceGrade.CONTRADICTED,
        ClaimStatus.CHANGES_REQUESTED,
    )
    assert [t.slug for t in review.nuance_tags.all()] == ["omits-adverse-effects"]
    assert "SSRIs" in review.nuance_note and "emotional blunting" in review.nuance_note


def test_it_seeds_the_demo_review_once(db: None) -> None:
    for _ in range(2):
        call_command("seed_demo", password="demo-password-1", stdout=io.StringIO())
    assert Review.objects.count() == 1
