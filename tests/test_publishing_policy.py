"""The channel policy as a pure function: plain values in, every failed rule out. No database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from review.publishing.policy import (
    Candidate,
    Policy,
    Signer,
    Tag,
    approved_at,
    check_policy,
    lowest_grade,
    published_text,
    review_due,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ALICE = Signer(1, "Dr Alice", NOW - timedelta(days=10))
BOB = Signer(2, "Dr Bob", NOW - timedelta(days=5))
ADVERSE = Tag("omits-adverse-effects", "Omits adverse effects")
ADVICE = Tag("not-medical-advice", "Needs a medical-advice notice")
TALK = "Talk to your doctor first."

WEBSITE = Policy(min_grade="moderate", signatures_required=1, review_interval_days=365)
SOCIAL = Policy(
    min_grade="high",
    signatures_required=1,
    blocking_tags=frozenset({"omits-adverse-effects", "absolute-language"}),
    max_length=280,
    review_interval_days=90,
    append_required_wording=False,
)


def candidate(**overrides: object) -> Candidate:
    values: dict[str, object] = {
        "version": 3,
        "approved_version": 3,
        "retired": False,
        "text": "Exercise helps mild depression.",
        "grades": ("moderate",),
        "signers": (ALICE,),
        "tags": (),
    }
    values.update(overrides)
    return Candidate(**values)  # type: ignore[arg-type]


def test_it_passes_an_approved_version_that_meets_every_rule() -> None:
    assert check_policy(WEBSITE, candidate(), NOW) == []


def test_it_refuses_a_version_that_is_not_the_last_approved() -> None:
    assert check_policy(WEBSITE, candidate(version=3, approved_version=2), NOW) == ["version 3 is not approved"]


def test_it_refuses_a_claim_never_approved() -> None:
    failed = check_policy(WEBSITE, candidate(approved_version=None, grades=(), signers=()), NOW)
    assert "version 3 is not approved" in failed
    assert "needs 1 signature, has 0" in failed


def test_it_compares_the_lowest_approving_grade() -> None:
    failed = check_policy(WEBSITE, candidate(grades=("high", "low"), signers=(ALICE, BOB)), NOW)
    assert failed == ["grade low is below moderate"]


def test_it_lowest_grade_ignores_order() -> None:
    assert lowest_grade(["high", "very_low", "moderate"]) == "very_low"


def test_it_counts_distinct_signers() -> None:
    policy = Policy(min_grade="moderate", signatures_required=2)
    same_person_twice = (ALICE, Signer(1, "Dr Alice", NOW - timedelta(days=1)))
    assert check_policy(policy, candidate(signers=same_person_twice), NOW) == ["needs 2 signatures, has 1"]


def test_it_names_each_blocking_tag() -> None:
    absolute = Tag("absolute-language", "Absolute language")
    failed = check_policy(SOCIAL, candidate(grades=("high",), tags=(ADVERSE, absolute, ADVICE)), NOW)
    assert failed == ["blocked by tag Omits adverse effects", "blocked by tag Absolute language"]


def test_it_counts_length_as_published_with_appended_wording() -> None:
    policy = Policy(min_grade="moderate", signatures_required=1, max_length=40, append_required_wording=True)
    text = "Exercise helps mild depression."  # 31 characters
    published = published_text(text, [TALK], append=True)
    assert published == "Exercise helps mild depression.\n\nTalk to your doctor first."
    failed = check_policy(policy, candidate(text=text, wording=(TALK,)), NOW)
    assert failed == [f"40 characters allowed, {len(published)} given with its required wording"]


def test_it_refuses_wording_on_a_channel_that_does_not_append_it() -> None:
    failed = check_policy(SOCIAL, candidate(grades=("high",), tags=(ADVICE,), wording=(TALK,)), NOW)
    assert failed == ["it needs its required wording, which this channel does not append"]


def test_it_passes_a_tagged_claim_whose_reviewer_signed_no_wording_on_such_a_channel() -> None:
    assert check_policy(SOCIAL, candidate(text="x" * 270, grades=("high",), tags=(ADVICE,)), NOW) == []


def test_it_reports_312_characters_on_a_280_channel() -> None:
    failed = check_policy(SOCIAL, candidate(text="y" * 312, grades=("high",)), NOW)
    assert failed == ["280 characters allowed, 312 given"]


def test_it_expires_an_approval_after_the_review_interval() -> None:
    old = Signer(1, "Dr Alice", NOW - timedelta(days=91))
    failed = check_policy(SOCIAL, candidate(grades=("high",), signers=(old,)), NOW)
    assert failed == [
        f"approval expired on {(old.signed_at + timedelta(days=90)):%Y-%m-%d}; the claim is due for re-review"
    ]


def test_it_dates_approval_from_the_latest_signature() -> None:
    assert approved_at([ALICE, BOB]) == BOB.signed_at
    assert review_due(BOB.signed_at, 90) == BOB.signed_at + timedelta(days=90)


def test_it_names_every_failed_rule_at_once() -> None:
    policy = Policy(
        min_grade="moderate",
        signatures_required=2,
        blocking_tags=frozenset({ADVERSE.slug}),
        max_length=280,
        append_required_wording=False,
    )
    failed = check_policy(
        policy,
        candidate(version=3, approved_version=2, text="z" * 312, grades=("low",), tags=(ADVERSE,)),
        NOW,
    )
    assert failed == [
        "version 3 is not approved",
        "grade low is below moderate",
        "needs 2 signatures, has 1",
        "blocked by tag Omits adverse effects",
        "280 characters allowed, 312 given",
    ]


def test_it_refuses_a_retired_claim() -> None:
    assert check_policy(WEBSITE, candidate(retired=True), NOW) == ["the claim is retired"]


def test_it_keeps_serving_an_older_approved_version_at_read_time() -> None:
    # v2 live; v3 approved later but not yet published: v2 stays servable until v3 is published.
    older = candidate(version=2, approved_version=3)
    assert check_policy(WEBSITE, older, NOW) == ["version 2 is not approved"]
    assert check_policy(WEBSITE, older, NOW, live=True) == []


def test_it_appends_nothing_where_the_channel_does_not_append() -> None:
    assert published_text(" Exercise helps. ", [TALK], append=False) == "Exercise helps."


def test_it_keeps_the_pure_grade_order_in_step_with_the_model_choices() -> None:
    from review import grades
    from review.models import GRADE_RANK, EvidenceGrade

    assert set(grades.ORDER) == set(EvidenceGrade.values)
    assert max(GRADE_RANK, key=GRADE_RANK.__getitem__) == EvidenceGrade.HIGH
    assert min(GRADE_RANK, key=GRADE_RANK.__getitem__) == EvidenceGrade.CONTRADICTED
