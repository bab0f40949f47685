"""Random revise/submit/review/retract sequences by random people, with DESIGN's invariants checked after every step.

Each rule predicts the outcome from a small model (the order of checks in
Claim.revise/submit and record_review) and asserts that the real verb did the
same; a refusal must leave everything as it was. The invariants are then checked
against the database.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from content.bulk import create_claim
from content.exceptions import InvalidTransition, NotAllowed, StaleVersion
from content.models import RETURNABLE, REVISABLE, Article, Claim, ClaimStatus, ClaimVersion, Reference, content_hash
from review.actions import UNAPPROVABLE_GRADES, record_review, signing_locked
from review.management.commands.seed_demo import load_vocabulary, system_user
from review.models import (
    DEFAULT_MEANING,
    REJECT_MEANING,
    SIGNED_DECISIONS,
    AlreadySigned,
    Decision,
    EvidenceGrade,
    NuanceTag,
    Refusal,
    RefusalKind,
    Review,
    ReviewRefused,
    Signature,
    signatures_required,
)
from review.retraction import return_to_review
from tests.conftest import PASSWORD

# Weighted so that random runs reach review often, while everyone still tries everything.
EDITORS = st.sampled_from(["author", "author", "author", "reviewer", "outsider"])
REVIEWERS = st.sampled_from(["reviewer", "second_reviewer", "reviewer", "second_reviewer", "author", "outsider"])
MOSTLY_TRUE = st.sampled_from([True] * 5 + [False])
MOSTLY_FALSE = st.sampled_from([False] * 5 + [True])
LIKELY_NEXT = {
    ClaimStatus.DRAFT: ["submit"] * 6 + ["revise"] * 2 + ["review"] * 2 + ["retract"],
    ClaimStatus.IN_REVIEW: ["review"] * 8 + ["revise", "submit", "retract"],
    ClaimStatus.CHANGES_REQUESTED: ["revise"] * 6 + ["review"] * 2 + ["submit"] * 2 + ["retract"],
    ClaimStatus.REJECTED: ["revise"] * 6 + ["review"] * 2 + ["submit"] * 2 + ["retract"],
    ClaimStatus.APPROVED: ["revise"] * 4 + ["review"] * 3 + ["submit"] * 3 + ["retract"] * 2,
}
DECISIONS = st.sampled_from([Decision.APPROVE] * 4 + [Decision.REQUEST_CHANGES, Decision.REJECT])
ALLOWED = {s.value for s in ClaimStatus}
TAG_SLUGS = ["omits-adverse-effects", "overstates-causation", "needs-population-qualifier", "misattributed-source"]
_serial = itertools.count()


def refusal_of(exc: BaseException) -> str:
    if isinstance(exc, ReviewRefused):
        return exc.kind
    if isinstance(exc, AlreadySigned):
        return "already_signed"
    if isinstance(exc, StaleVersion):
        return "stale"
    if isinstance(exc, InvalidTransition):
        return "wrong_state"
    if isinstance(exc, NotAllowed):
        return "not_allowed"
    if isinstance(exc, ValidationError):
        return "invalid"
    raise exc


class ReviewLifecycle(RuleBasedStateMachine):
    """One claim, four people. The author also holds the reviewer role, so separation of duties is exercised."""

    def __init__(self) -> None:
        super().__init__()
        n = next(_serial)
        groups = {g.name: g for g in Group.objects.all()}
        self.people: dict[str, User] = {}
        for name, roles in [
            ("author", ["Authors", "Medical reviewers"]),
            ("reviewer", ["Medical reviewers"]),
            ("second_reviewer", ["Medical reviewers"]),
            ("outsider", []),
        ]:
            user = User.objects.create_user(f"{name}{n}", f"{name}{n}@example.org", PASSWORD, first_name=name)
            user.groups.set([groups[r] for r in roles])
            self.people[name] = User.objects.get(pk=user.pk)  # fresh permission cache
        author = self.people["author"]
        article = Article.objects.create(title=f"Machine {n}", slug=f"machine-{n}", source_text="x", owner=author)
        section = article.sections.create(position=1, heading="")
        # Every version cites this work; "retract" does to the claim what retracting a cited work does.
        self.cited = Reference.objects.create(key=f"walker|{n}", label=f"Walker, {n}", authors="Walker", year=2017)
        self.claim = create_claim(
            article=article,
            section=section,
            position=1,
            text="Sleep helps memory.",
            citations=[self.cited],
            author=author,
        )
        self.tags = {t.slug: t for t in NuanceTag.objects.filter(slug__in=TAG_SLUGS)}
        self.words = itertools.count(1)

    # --- helpers ---------------------------------------------------------------------

    def fresh(self) -> Claim:
        return Claim.objects.get(pk=self.claim.pk)

    def snapshot(self) -> tuple[Any, ...]:
        c = self.fresh()
        return (
            c.status,
            c.version,
            c.text,
            c.content_hash,
            c.approved_version,
            c.approvals_needed,
            c.review_round,
            ClaimVersion.objects.filter(claim=c).count(),
            Review.objects.filter(claim=c).count(),
            Signature.objects.filter(review__claim=c).count(),
            c.history.count(),  # type: ignore[attr-defined]
        )

    def attempt(self, expected: str, action: Any) -> None:
        """Run the verb; check the outcome is the predicted one, and that a refusal changed nothing."""
        before = self.snapshot()
        try:
            action()
        except Exception as exc:
            outcome = refusal_of(exc)
            assert self.snapshot() == before, f"refused ({outcome}) but changed something"
        else:
            outcome = "ok"
        assert outcome == expected
        event(f"{action_name(action)} -> {outcome}")

    # --- rules -------------------------------------------------------------------------

    # One rule picks what happens next. Its weights lean towards the verb the current state expects
    # (otherwise most random steps would be refused for the wrong state), but every verb stays possible
    # in every state, so wrong-state refusals are exercised too.
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(LIKELY_NEXT[self.fresh().status]), "kind")
        if kind == "retract":
            self.retract()
        elif kind == "revise":
            self.revise(data.draw(EDITORS, "who"), data.draw(MOSTLY_FALSE, "stale"))
        elif kind == "submit":
            self.submit(data.draw(EDITORS, "who"))
        else:
            self.review(
                data.draw(REVIEWERS, "who"),
                data.draw(DECISIONS, "decision"),
                data.draw(st.sampled_from(EvidenceGrade.values), "grade"),
                data.draw(st.sets(st.sampled_from(TAG_SLUGS), max_size=2), "tags"),
                data.draw(MOSTLY_TRUE, "right_password"),
                data.draw(MOSTLY_FALSE, "stale"),
            )

    def revise(self, who: str, stale: bool) -> None:
        c, user = self.fresh(), self.people[who]
        expected_version = c.version - 1 if stale and c.version > 1 else c.version
        if c.status not in REVISABLE:
            expected = "wrong_state"
        elif who != "author":
            expected = "not_allowed"
        elif expected_version != c.version:
            expected = "stale"
        else:
            expected = "ok"
        text = f"Sleep helps memory, wording {next(self.words)}."
        self.attempt(
            expected,
            lambda: c.revise(text=text, expected_version=expected_version, reason="Answering review", by=user),
        )

    def retract(self) -> None:
        """A cited work is retracted: a new round, the old approval voided, back to review where it applies."""
        before = self.fresh()
        status, round_, version, needed = before.status, before.review_round, before.version, before.approvals_needed
        returned = return_to_review(before, reason="Cited work retracted", by=self.people["reviewer"], cited=self.cited)
        after = self.fresh()
        assert returned == (status in RETURNABLE)
        assert after.status == (ClaimStatus.IN_REVIEW if returned else status)
        assert (after.review_round, after.approved_version) == (round_ + 1, None)
        assert (after.version, after.approvals_needed) == (version, needed)
        event(f"retract from {status}")

    def submit(self, who: str) -> None:
        c, user = self.fresh(), self.people[who]
        if c.status != ClaimStatus.DRAFT:
            expected = "wrong_state"
        elif who != "author":
            expected = "not_allowed"
        else:
            expected = "ok"
        self.attempt(expected, lambda: c.submit(by=user))

    def review(
        self, who: str, decision: str, grade: str, tag_slugs: set[str], right_password: bool, stale: bool
    ) -> None:
        c, user = self.fresh(), self.people[who]
        version = c.version - 1 if stale and c.version > 1 else c.version
        signed = decision in SIGNED_DECISIONS
        if decision == Decision.APPROVE and grade in UNAPPROVABLE_GRADES:
            expected = "invalid"  # input is checked before anything else
        elif c.status != ClaimStatus.IN_REVIEW:
            expected = "wrong_state"
        elif version != c.version:
            expected = "stale"
        elif who == "outsider":
            expected = "not_allowed"
        elif signed and signing_locked(user):
            expected = RefusalKind.THROTTLED
        elif signed and who == "author":
            expected = RefusalKind.SEPARATION_OF_DUTIES
        elif signed and not right_password:
            expected = RefusalKind.WRONG_PASSWORD
        elif decision == Decision.APPROVE and Review.objects.counting(c).filter(reviewer=user).exists():
            expected = "already_signed"
        else:
            expected = "ok"
        refusals_before = Refusal.objects.filter(user=user).count()
        self.attempt(
            expected,
            lambda: record_review(
                claim=c,
                version=version,
                reviewer=user,
                decision=decision,
                evidence_grade=grade,
                nuance_tags=[self.tags[s] for s in sorted(tag_slugs)],
                nuance_note="A note.",
                password=PASSWORD if right_password else "wrong password",
                signature_meaning=REJECT_MEANING if decision == Decision.REJECT else DEFAULT_MEANING,
            ),
        )
        recorded = expected in {k.value for k in RefusalKind}
        assert Refusal.objects.filter(user=user).count() == refusals_before + int(recorded)
        if expected == "ok":
            self.check_move(c, decision, grade, tag_slugs)

    def check_move(self, before: Claim, decision: str, grade: str, tag_slugs: set[str]) -> None:
        """The claim moved exactly as the lifecycle says."""
        after = self.fresh()
        assert after.version == before.version
        if decision == Decision.REQUEST_CHANGES:
            assert after.status == ClaimStatus.CHANGES_REQUESTED
        elif decision == Decision.REJECT:
            assert after.status == ClaimStatus.REJECTED
        else:
            needed = max(before.approvals_needed, signatures_required(grade, [self.tags[s] for s in tag_slugs]))
            count = Review.objects.counting(after).count()
            assert after.approvals_needed == needed
            assert after.status == (ClaimStatus.APPROVED if count >= needed else ClaimStatus.IN_REVIEW)
            event(f"approve -> {after.status} with {count} of {needed}")

    # --- invariants (DESIGN.md) -------------------------------------------------------

    @invariant()
    def version_counts_its_rows(self) -> None:
        c = self.fresh()
        assert list(c.versions.order_by("version").values_list("version", flat=True)) == list(range(1, c.version + 1))

    @invariant()
    def content_hash_matches(self) -> None:
        c = self.fresh()
        assert c.content_hash == content_hash(c.text, c.citation_keys())
        assert c.content_hash == c.versions.get(version=c.version).content_hash

    @invariant()
    def status_is_allowed(self) -> None:
        c = self.fresh()
        assert c.status in ALLOWED
        assert c.status != ClaimStatus.APPROVED or c.approved_version == c.version

    @invariant()
    def approved_version_had_enough_distinct_outside_approvals(self) -> None:
        c = self.fresh()
        if c.approved_version is None:
            return
        # A retraction voids the approved version, so one still named was approved in the current round.
        approvals = list(
            Review.objects.approvals().filter(claim=c, version=c.approved_version, round=c.review_round).for_list()
        )
        needed = max(
            [int(settings_value("VETTED_SIGNATURES_DEFAULT"))]
            + [signatures_required(r.evidence_grade, list(r.nuance_tags.all())) for r in approvals]
        )
        signers = {r.reviewer_id for r in approvals}
        assert len(signers) == len(approvals) >= needed
        assert not signers & c.contributors(up_to_version=c.approved_version)

    @invariant()
    def no_contributor_signed(self) -> None:
        c = self.fresh()
        for r in Review.objects.filter(claim=c, decision__in=SIGNED_DECISIONS):
            assert r.reviewer_id not in c.contributors(up_to_version=r.version)

    @invariant()
    def reviews_are_sealed_to_their_version(self) -> None:
        c = self.fresh()
        hashes = dict(c.versions.values_list("version", "content_hash"))
        for r in Review.objects.filter(claim=c).select_related("signature"):
            assert r.content_hash == hashes[r.version]
            sig = getattr(r, "signature", None)
            assert (sig is not None) == (r.decision in SIGNED_DECISIONS)
            assert sig is None or (sig.is_intact() and sig.content_hash == hashes[r.version])

    @invariant()
    def a_round_in_review_holds_only_pending_approvals(self) -> None:
        c = self.fresh()
        if c.status != ClaimStatus.IN_REVIEW:
            return
        current = list(
            Review.objects.filter(claim=c, version=c.version, round=c.review_round).values_list("decision", flat=True)
        )
        assert set(current) <= {Decision.APPROVE}
        assert len(current) < c.approvals_needed


def action_name(action: Any) -> str:
    return str(action.__qualname__.split(".")[1])


def settings_value(name: str) -> Any:
    from django.conf import settings as django_settings

    return getattr(django_settings, name)


@pytest.mark.django_db
def test_it_keeps_the_invariants_under_random_lifecycles(groups: None) -> None:
    load_vocabulary(system_user())
    run_state_machine_as_test(
        ReviewLifecycle,
        settings=settings(
            max_examples=30,
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
