"""Evidence that changes: a reviewer marks a cited work retracted or superseded; every claim citing it is
flagged and goes back to review (the old approval stays on record); the publisher sees where they are live."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from content.models import Article, Claim, ClaimFlag, Reference
from review.actions import CitesRetracted, record_review
from review.models import REJECT_MEANING, Channel, Publication, Review, Signature
from review.publishing.actions import PolicyRefused, publish_article, publish_claim
from review.publishing.feeds import servable_publications
from review.retraction import retract_reference
from tests.conftest import PASSWORD, client_for
from tests.review_helpers import approve as approve_version
from tests.review_helpers import fresh, immediate_tasks, make_reviewer, request_changes  # noqa: F401 (fixtures)
from tests.test_library import approve, claims_of, import_claims, make_channel, publish

pytestmark = pytest.mark.django_db

CITING = [
    "Regular walking lowers blood pressure (Smith, 2019).",  # approved, published on the website
    "Cycling lowers resting heart rate (Smith, 2019).",  # draft
    "Swimming improves lung capacity (Smith, 2019).",  # changes requested
    "Yoga reduces back pain in adults (Smith, 2019).",  # in review
    "Running prevents colds in adults (Smith, 2019).",  # rejected
    "Dancing improves balance (Smith, 2019).",  # retired
]
OTHER = "Walking helps mood (Jones, 2020)."
REASON = "Retraction notice: data could not be verified."
# A superseded work starts the same new review round as a retraction, but its claims may be re-approved as they are.
SUPERSEDED = "Replaced by Smith, 2024."


@pytest.fixture
def article(author: User, reviewer: User, publisher: User) -> Article:
    article = import_claims(author, *CITING, OTHER)
    approved, _, changes, in_review, rejected, retired, other = claims_of(article)
    publish(approve(approved, reviewer), make_channel(), publisher)
    approve(other, reviewer)
    changes.submit(by=author)
    record_review(
        claim=changes,
        version=1,
        reviewer=reviewer,
        decision="request_changes",
        evidence_grade="low",
        nuance_note="Which swimmers?",
    )
    in_review.submit(by=author)
    rejected.submit(by=author)
    record_review(
        claim=rejected,
        version=1,
        reviewer=reviewer,
        decision="reject",
        evidence_grade="contradicted",
        password=PASSWORD,
        signature_meaning=REJECT_MEANING,
    )
    retired.retire(by=author, reason="Not about exercise")
    return article


@pytest.fixture
def smith(article: Article) -> Reference:
    return Reference.objects.get(key="smith|2019")


def mark_url(ref: Reference) -> str:
    return reverse("library_reference_mark", args=[ref.pk])


def retract(client_user: User, ref: Reference, status: str = "retracted", reason: str = REASON) -> int:
    return client_for(client_user).post(mark_url(ref), {"status": status, "reason": reason}).status_code


def statuses(article: Article) -> list[str]:
    return [c.status for c in claims_of(article)]


def test_it_marks_a_cited_work_retracted_with_its_reason(smith: Reference, reviewer: User) -> None:
    assert retract(reviewer, smith) == 302
    smith.refresh_from_db()
    assert (smith.status, smith.status_reason) == ("retracted", REASON)
    assert smith.history.latest().history_user == reviewer


def test_it_flags_every_live_claim_citing_it(smith: Reference, article: Article, reviewer: User) -> None:
    retract(reviewer, smith)
    flagged = {f.claim_id for f in ClaimFlag.objects.filter(code="retracted_citation")}
    claims = claims_of(article)
    assert flagged == {c.pk for c in claims[:5]}  # not the retired claim, not the one citing Jones


def test_it_explains_the_flag_in_the_claim_json(smith: Reference, article: Article, reviewer: User) -> None:
    retract(reviewer, smith)
    body = client_for(reviewer).get(reverse("api_claim", args=[claims_of(article)[0].pk])).json()
    flag = ClaimFlag.objects.get(claim=claims_of(article)[0], code="retracted_citation")
    assert {
        "id": flag.pk,
        "code": "retracted_citation",
        "severity": "risk",
        "evidence": "Smith, 2019",
        "why": f"Cites Smith, 2019, marked retracted: {REASON}",
    } in body["risk_flags"]


def test_it_sends_approved_draft_and_changes_requested_claims_back_to_review(
    smith: Reference, article: Article, reviewer: User
) -> None:
    before = statuses(article)
    assert before == ["approved", "draft", "changes_requested", "in_review", "rejected", "retired", "approved"]
    retract(reviewer, smith)
    assert statuses(article) == ["in_review", "in_review", "in_review", "in_review", "rejected", "retired", "approved"]


def test_it_records_why_each_claim_went_back_to_review(smith: Reference, article: Article, reviewer: User) -> None:
    retract(reviewer, smith)
    latest = claims_of(article)[0].history.latest()
    assert latest.history_user == reviewer
    assert latest.history_change_reason == f"Cited reference retracted: Smith, 2019 ({REASON})"


def test_it_keeps_the_old_approval_on_record(smith: Reference, article: Article, reviewer: User) -> None:
    approved = claims_of(article)[0]
    retract(reviewer, smith)
    approved.refresh_from_db()
    review = Review.objects.get(claim=approved, decision="approve")
    assert Signature.objects.get(review=review).is_intact()
    assert approved.history.filter(approved_version=1).exists()  # it was approved, and the record says so


def test_it_puts_returned_claims_in_the_review_queue(smith: Reference, article: Article, reviewer: User) -> None:
    retract(reviewer, smith)
    ids = [c["id"] for c in client_for(reviewer).get(reverse("api_review_queue")).json()["results"]]
    assert set(ids) == {c.pk for c in claims_of(article)[:4]}


def test_it_marks_a_work_superseded_too(smith: Reference, article: Article, reviewer: User) -> None:
    assert retract(reviewer, smith, status="superseded", reason="Replaced by Smith, 2024.") == 302
    latest = claims_of(article)[1].history.latest()
    assert latest.history_change_reason == "Cited reference superseded: Smith, 2019 (Replaced by Smith, 2024.)"


def test_it_flags_a_later_version_that_still_cites_the_retracted_work(
    smith: Reference, article: Article, author: User, reviewer: User
) -> None:
    retract(reviewer, smith)
    rejected = claims_of(article)[4]
    rejected.revise(text="Running may prevent some colds (Smith, 2019).", expected_version=1, reason="Hedge", by=author)
    assert ClaimFlag.objects.filter(claim=rejected, version=2, code="retracted_citation").exists()


def test_it_does_the_cascade_in_one_call(smith: Reference, article: Article, reviewer: User) -> None:
    result = retract_reference(smith, status="retracted", reason=REASON, by=reviewer)
    assert [c.pk for c in result.flagged] == [c.pk for c in claims_of(article)[:5]]
    assert [c.pk for c in result.returned] == [c.pk for c in claims_of(article)[:3]]


# --- Refusals -------------------------------------------------------------------------------------------------------


def test_it_refuses_get_on_mark(smith: Reference, reviewer: User) -> None:
    assert client_for(reviewer).get(mark_url(smith)).status_code == 405


def test_it_hides_mark_from_outsiders(smith: Reference, outsider: User) -> None:
    assert retract(outsider, smith) == 404


def test_it_refuses_mark_to_authors_and_publishers(smith: Reference, author: User, publisher: User) -> None:
    assert (retract(author, smith), retract(publisher, smith)) == (403, 403)
    smith.refresh_from_db()
    assert smith.status == "active"


def test_it_refuses_to_mark_a_work_twice(smith: Reference, reviewer: User, second_reviewer: User) -> None:
    retract(reviewer, smith)
    assert retract(second_reviewer, smith, status="superseded") == 409


def test_it_requires_a_reason(smith: Reference, article: Article, reviewer: User) -> None:
    assert retract(reviewer, smith, reason="") == 400
    assert statuses(article)[0] == "approved"


def test_it_rejects_an_unknown_status(smith: Reference, reviewer: User) -> None:
    assert retract(reviewer, smith, status="active") == 400


# --- What the publisher sees ----------------------------------------------------------------------------------------


def test_it_offers_the_mark_form_to_reviewers_only_while_the_work_is_active(smith: Reference, reviewer: User) -> None:
    url = reverse("library_reference", args=[smith.pk])
    assert "Mark and send claims back to review" in client_for(reviewer).get(url).content.decode()
    retract(reviewer, smith)
    assert "Mark and send claims back to review" not in client_for(reviewer).get(url).content.decode()


def test_it_hides_a_cited_work_page_from_outsiders(smith: Reference, outsider: User) -> None:
    assert client_for(outsider).get(reverse("library_reference", args=[smith.pk])).status_code == 404


def test_it_lists_cited_works_with_their_status(smith: Reference, reviewer: User) -> None:
    retract(reviewer, smith)
    page = client_for(reviewer).get(reverse("library_references"), {"q": "smith"}).content.decode()
    assert "Smith, 2019" in page and "Retracted" in page and "Jones" not in page


def test_it_keeps_the_impact_page_queries_flat(author: User, reviewer: User, publisher: User) -> None:
    channel = make_channel()

    def citing(n: int, tag: str) -> Reference:
        sentences = [f"Walking {i} km lowers blood pressure ({tag}, 2019)." for i in range(n)]
        for claim in claims_of(import_claims(author, *sentences, title=tag)):
            publish(approve(claim, reviewer), channel, publisher)
        return Reference.objects.get(key=f"{tag.lower()}|2019")

    client = client_for(publisher)
    few, many = citing(2, "Few"), citing(20, "Many")
    with CaptureQueriesContext(connection) as two:
        client.get(reverse("library_reference", args=[few.pk]))
    with CaptureQueriesContext(connection) as twenty:
        page = client.get(reverse("library_reference", args=[many.pk])).content.decode()
    assert len(twenty) == len(two)
    assert page.count("Website (v1") == 20


# --- A retraction voids the earlier approval (issue 8) --------------------------------------------------------------


def sign(claim: Claim, reviewer: User, grade: str = "low") -> str:
    """Approve the claim's current version (grade low: two signatures needed); returns the claim's new status."""
    approve_version(claim, reviewer, grade=grade)
    claim.refresh_from_db()
    return claim.status


@pytest.fixture
def twice_signed(author: User, reviewer: User, second_reviewer: User) -> Claim:
    """A claim citing Smith, 2019, approved with two signatures (low evidence needs two)."""
    claim = claims_of(import_claims(author, "Tai chi reduces falls in older adults (Smith, 2019)."))[0]
    claim.submit(by=author)
    sign(claim, reviewer)
    assert sign(claim, second_reviewer) == "approved"
    return claim


def test_it_needs_the_full_number_of_fresh_signatures_after_a_retraction(
    twice_signed: Claim, reviewer: User, second_reviewer: User
) -> None:
    retract_reference(Reference.objects.get(key="smith|2019"), status="superseded", reason=SUPERSEDED, by=reviewer)
    third = make_reviewer("reviewer3")
    assert sign(twice_signed, third) == "in_review"  # the two old signatures no longer count
    assert sign(twice_signed, reviewer) == "approved"  # the earlier signer may judge it afresh


def test_it_voids_partial_signatures_of_a_claim_already_in_review(
    author: User, reviewer: User, second_reviewer: User
) -> None:
    claim = claims_of(import_claims(author, "Tai chi reduces falls in older adults (Smith, 2019)."))[0]
    claim.submit(by=author)
    assert sign(claim, reviewer) == "in_review"  # 1 of 2
    retract_reference(Reference.objects.get(key="smith|2019"), status="superseded", reason=SUPERSEDED, by=reviewer)
    assert sign(claim, second_reviewer) == "in_review"  # 1 of 2 again, not 2 of 2


def test_it_keeps_the_claims_two_signature_bar_after_a_retraction(twice_signed: Claim, reviewer: User) -> None:
    retract_reference(Reference.objects.get(key="smith|2019"), status="retracted", reason=REASON, by=reviewer)
    twice_signed.refresh_from_db()
    assert (twice_signed.status, twice_signed.approvals_needed, twice_signed.approved_version) == ("in_review", 2, None)


def test_it_shows_only_fresh_signatures_in_the_queue(twice_signed: Claim, reviewer: User) -> None:
    retract_reference(Reference.objects.get(key="smith|2019"), status="retracted", reason=REASON, by=reviewer)
    rows = client_for(reviewer).get(reverse("api_review_queue")).json()["results"]
    assert [(r["id"], r["approved_version"]) for r in rows] == [(twice_signed.pk, None)]
    page = client_for(reviewer).get(reverse("review_queue")).content.decode()
    assert "0 of 2" in page


def test_it_withdraws_a_retracted_claim_from_every_channel(
    smith: Reference, article: Article, reviewer: User, publisher: User
) -> None:
    approved = claims_of(article)[0]
    professional = Channel.objects.create(name="Clinicians", slug="clinicians", audience="professional")
    publish(approved, professional, publisher)
    retract_reference(smith, status="retracted", reason=REASON, by=reviewer)
    pubs = Publication.objects.filter(claim=approved)
    assert {(p.channel.slug, p.is_live) for p in pubs} == {("website", False), ("clinicians", False)}
    assert {p.withdraw_reason for p in pubs} == {f"Cited reference retracted: Smith, 2019 ({REASON})"}
    assert not servable_publications(Channel.objects.get(slug="website"), timezone.now()).exists()


def test_it_refuses_to_republish_until_the_claim_is_revised_and_approved_again(
    smith: Reference, article: Article, reviewer: User, second_reviewer: User, author: User, publisher: User
) -> None:
    approved, website = claims_of(article)[0], Channel.objects.get(slug="website")
    retract_reference(smith, status="retracted", reason=REASON, by=reviewer)
    with pytest.raises(PolicyRefused):
        publish_claim(approved, website, by=publisher)
    request_changes(fresh(approved), second_reviewer, note="Cite evidence that still stands.")
    revised = fresh(approved).revise(
        text="Regular walking lowers blood pressure.",
        expected_version=1,
        reason="Dropped Smith",
        by=author,
        citations=[],
    )
    revised.submit(by=author)
    sign(revised, second_reviewer, grade="high")
    assert publish_claim(revised, website, by=publisher)[0].is_live


def test_it_refuses_to_approve_a_version_that_cites_a_retracted_work(
    smith: Reference, article: Article, reviewer: User, second_reviewer: User
) -> None:
    approved = claims_of(article)[0]
    retract_reference(smith, status="retracted", reason=REASON, by=reviewer)
    with pytest.raises(CitesRetracted, match="retracted: revise the claim first"):
        sign(fresh(approved), second_reviewer, grade="high")
    assert fresh(approved).status == "in_review"


def test_it_shows_the_publisher_which_channels_a_retraction_withdrew(
    smith: Reference, article: Article, reviewer: User, publisher: User
) -> None:
    retract(reviewer, smith)
    page = client_for(publisher).get(reverse("library_reference", args=[smith.pk])).content.decode()
    assert f"#{claims_of(article)[0].pk} v1" in page and "Website (v1, withdrawn" in page
    assert "5; 0 carried by a channel now, 1 withdrawn by this mark" in page


def test_it_keeps_a_superseded_claim_on_its_channels_for_the_publisher_to_decide(
    smith: Reference, article: Article, reviewer: User, publisher: User
) -> None:
    retract(reviewer, smith, status="superseded", reason="Replaced by Smith, 2024.")
    page = client_for(publisher).get(reverse("library_reference", args=[smith.pk])).content.decode()
    assert Publication.objects.get(claim=claims_of(article)[0]).is_live
    assert "Website (v1, since" in page and "5; 1 carried by a channel now" in page


def test_it_withdraws_an_older_published_version_that_cited_the_work(
    author: User, reviewer: User, publisher: User
) -> None:
    claim = claims_of(import_claims(author, "Tai chi reduces falls in older adults (Smith, 2019)."))[0]
    pub = publish(approve(claim, reviewer), make_channel(), publisher)
    claim.revise(
        text="Tai chi may reduce falls in older adults.", expected_version=1, reason="Drop", by=author, citations=[]
    )
    retract_reference(Reference.objects.get(key="smith|2019"), status="retracted", reason=REASON, by=reviewer)
    pub.refresh_from_db()
    claim.refresh_from_db()
    assert (pub.is_live, claim.status, claim.version, claim.approved_version) == (False, "draft", 2, None)


@pytest.mark.usefixtures("immediate_tasks")
def test_it_tells_publishers_authors_and_signers_what_a_retraction_changed(
    smith: Reference,
    article: Article,
    author: User,
    reviewer: User,
    second_reviewer: User,
    publisher: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        retract_reference(smith, status="retracted", reason=REASON, by=second_reviewer)
    [notice] = [m for m in mail.outbox if "Smith, 2019" in m.subject]
    assert sorted(notice.to) == sorted([author.email, reviewer.email, publisher.email])
    approved = claims_of(article)[0]
    assert f"Claim #{approved.pk} (now in review): withdrawn from Website" in notice.body
    assert REASON in notice.body and reverse("library_reference", args=[smith.pk]) in notice.body


def test_it_lists_a_reapproved_claim_in_the_library_with_its_fresh_signatures_only(
    twice_signed: Claim, reviewer: User, second_reviewer: User
) -> None:
    retract_reference(Reference.objects.get(key="smith|2019"), status="superseded", reason=SUPERSEDED, by=reviewer)
    sign(twice_signed, reviewer, grade="high")
    assert sign(twice_signed, second_reviewer, grade="moderate") == "approved"
    [row] = client_for(reviewer).get(reverse("api_library")).json()["results"]
    assert (row["claim"], row["evidence_grade"]) == (twice_signed.pk, "moderate")  # not the voided "low"


def test_it_takes_a_retracted_claim_off_the_public_website_page(author: User, reviewer: User, publisher: User) -> None:
    article = import_claims(author, "Tai chi reduces falls (Smith, 2019).", "Walking helps mood (Jones, 2020).")
    for claim in claims_of(article):
        approve(claim, reviewer)
    publish_article(article, make_channel(), by=publisher)
    url = reverse("public_article", args=[article.pk])
    assert "Tai chi reduces falls" in Client().get(url).content.decode()
    retract_reference(Reference.objects.get(key="smith|2019"), status="retracted", reason=REASON, by=reviewer)
    page = Client().get(url).content.decode()
    assert "Tai chi reduces falls" not in page and "Walking helps mood" in page


def test_it_marks_signatures_of_an_earlier_round_on_the_review_page(twice_signed: Claim, reviewer: User) -> None:
    retract_reference(Reference.objects.get(key="smith|2019"), status="retracted", reason=REASON, by=reviewer)
    page = client_for(reviewer).get(reverse("claim_review", args=[twice_signed.pk])).content.decode()
    assert page.count("Earlier review round") == 2


def test_it_names_each_reviews_round_in_the_api(twice_signed: Claim, reviewer: User) -> None:
    retract_reference(Reference.objects.get(key="smith|2019"), status="superseded", reason=SUPERSEDED, by=reviewer)
    sign(twice_signed, reviewer)
    rows = client_for(reviewer).get(reverse("api_claim_reviews", args=[twice_signed.pk])).json()
    assert [r["round"] for r in rows] == [1, 1, 2]


def test_it_links_each_withdrawal_to_the_retracted_work(
    smith: Reference, article: Article, reviewer: User, publisher: User
) -> None:
    retract_reference(smith, status="retracted", reason=REASON, by=reviewer)
    assert list(Publication.objects.filter(withdrawn_for=smith).values_list("claim", flat=True)) == [
        claims_of(article)[0].pk
    ]


def test_it_lets_the_latest_reviewed_round_speak_for_a_live_publication() -> None:
    from types import SimpleNamespace

    from review.models import serving_rounds

    def review(claim: int, version: int, round: int) -> SimpleNamespace:
        return SimpleNamespace(claim_id=claim, version=version, round=round)

    # Claim 1 v1 was approved in round 1; a retraction started round 2 with no review of v1 yet,
    # so round 1 still speaks for it. Claim 2 v1 has a review in round 2: that round speaks.
    reviews = [review(1, 1, 1), review(1, 2, 2), review(2, 1, 1), review(2, 1, 2)]
    assert serving_rounds(reviews) == {(1, 1): 1, (1, 2): 2, (2, 1): 2}
