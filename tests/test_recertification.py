"""Re-certifying an approved claim unchanged: the round, what stays live meanwhile, and what a decision does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from content.exceptions import InvalidTransition, NotAllowed
from content.models import Claim, ClaimStatus
from review.actions import record_review
from review.audit import verify_chain, write_anchor
from review.models import (
    DEFAULT_MEANING,
    REJECT_MEANING,
    AuditEvent,
    Channel,
    Publication,
    Recertification,
    RecertificationOutcome,
)
from review.operations.recertification import recertify
from review.publishing.actions import publish_claim
from review.publishing.feeds import servable_publications, serve
from tests.conftest import PASSWORD, client_for
from tests.test_publishing import approve, claims_of, feed, load_channels, make_article

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def channels(groups: None) -> dict[str, Channel]:
    return load_channels()


@pytest.fixture
def live(author: User, reviewer: User, publisher: User, channels: dict[str, Channel]) -> Claim:
    """Approved 300 days ago and live on the website (which re-reviews every 365 days)."""
    now = timezone.now()
    claim = approve(claims_of(make_article(author))[0], reviewer, at=now - 300 * DAY)
    publish_claim(claim, channels["website"], by=publisher, now=now - 299 * DAY)
    return claim


def served_versions(channel: Channel, at: Any) -> list[int]:
    return [s.publication.version for s in serve(servable_publications(channel, at), channel, at)]


def decide(claim: Claim, reviewer: User, decision: str, grade: str = "moderate") -> None:
    claim.refresh_from_db()
    record_review(
        claim=claim,
        version=claim.version,
        reviewer=reviewer,
        decision=decision,
        evidence_grade=grade,
        password=PASSWORD,
        signature_meaning={"approve": DEFAULT_MEANING, "reject": REJECT_MEANING}.get(decision, ""),
    )


def test_it_opens_a_new_round_on_the_same_version(live: Claim, second_reviewer: User) -> None:
    round_before = live.review_round
    recert = recertify(live, by=second_reviewer, reason="Yearly review")
    live.refresh_from_db()
    assert (live.status, live.version, live.approved_version) == (ClaimStatus.IN_REVIEW, 1, 1)
    assert live.review_round == round_before + 1
    assert (recert.version, recert.round, recert.outcome) == (1, live.review_round, RecertificationOutcome.OPEN)
    assert recert.started_by == second_reviewer


def test_it_keeps_the_live_publications_up_while_the_round_is_open(
    live: Claim, second_reviewer: User, channels: dict[str, Channel]
) -> None:
    recertify(live, by=second_reviewer)
    now = timezone.now()
    assert served_versions(channels["website"], now) == [1]
    # ...but only until the approval it renews expires.
    assert served_versions(channels["website"], now + 66 * DAY) == []


def test_a_new_approval_extends_every_live_publication(
    live: Claim, second_reviewer: User, channels: dict[str, Channel], publisher: User
) -> None:
    pub = Publication.objects.get()
    old = pub.approved_at
    recertify(live, by=second_reviewer)
    decide(live, second_reviewer, "approve")
    live.refresh_from_db()
    pub.refresh_from_db()
    assert live.status == ClaimStatus.APPROVED
    assert pub.approved_at > old + 299 * DAY  # the new signature's time
    assert served_versions(channels["website"], timezone.now() + 300 * DAY) == [1]
    assert Recertification.objects.get().outcome == RecertificationOutcome.APPROVED


def test_the_round_needs_a_fresh_signature_even_from_the_earlier_signer(live: Claim, reviewer: User) -> None:
    recertify(live, by=reviewer)
    decide(live, reviewer, "approve")
    live.refresh_from_db()
    assert live.status == ClaimStatus.APPROVED
    assert live.reviews.filter(round=live.review_round, decision="approve").count() == 1


@pytest.mark.parametrize(
    ("decision", "grade", "outcome"),
    [
        ("request_changes", "low", RecertificationOutcome.CHANGES_REQUESTED),
        ("reject", "contradicted", RecertificationOutcome.REJECTED),
    ],
)
def test_a_refusal_lets_the_publications_expire_on_their_old_date(
    live: Claim, second_reviewer: User, channels: dict[str, Channel], decision: str, grade: str, outcome: str
) -> None:
    old = Publication.objects.get().approved_at
    recertify(live, by=second_reviewer)
    decide(live, second_reviewer, decision, grade)
    now = timezone.now()
    assert Recertification.objects.get().outcome == outcome
    assert Publication.objects.get().approved_at == old
    assert served_versions(channels["website"], now) == [1]
    assert served_versions(channels["website"], now + 66 * DAY) == []


def test_a_first_of_two_signatures_does_not_extend_yet(
    live: Claim, second_reviewer: User, reviewer: User, channels: dict[str, Channel]
) -> None:
    old = Publication.objects.get().approved_at
    recertify(live, by=second_reviewer)
    decide(live, second_reviewer, "approve", grade="low")  # a low grade asks for two signatures
    live.refresh_from_db()
    assert live.status == ClaimStatus.IN_REVIEW
    assert Publication.objects.get().approved_at == old
    assert Recertification.objects.get().outcome == RecertificationOutcome.OPEN
    decide(live, reviewer, "approve", grade="low")
    live.refresh_from_db()
    assert live.status == ClaimStatus.APPROVED
    assert Publication.objects.get().approved_at > old


def test_only_an_approved_current_version_can_be_recertified(live: Claim, second_reviewer: User, author: User) -> None:
    recertify(live, by=second_reviewer)
    with pytest.raises(InvalidTransition):
        recertify(live, by=second_reviewer)  # already in its round
    draft = claims_of(make_article(author))[0]
    with pytest.raises(InvalidTransition):
        recertify(draft, by=second_reviewer)


def test_only_reviewers_recertify(live: Claim, author: User, publisher: User) -> None:
    for person in (author, publisher):
        with pytest.raises(NotAllowed):
            recertify(live, by=person)
    assert Recertification.objects.count() == 0


def test_the_round_is_on_the_audit_chain(live: Claim, second_reviewer: User) -> None:
    recertify(live, by=second_reviewer)
    decide(live, second_reviewer, "approve")
    types = set(AuditEvent.objects.filter(object_type="recertification").values_list("type", flat=True))
    assert types == {"recertification.created", "recertification.closed"}
    write_anchor()
    assert verify_chain().ok


# --- API -----------------------------------------------------------------------------------------


def test_the_api_opens_the_round(live: Claim, second_reviewer: User) -> None:
    response = client_for(second_reviewer).post(
        f"/api/v1/claims/{live.pk}/recertify/", {"reason": "Due"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["claim"], body["version"], body["outcome"], body["reason"]) == (live.pk, 1, "open", "Due")
    assert body["round"] == Claim.objects.get(pk=live.pk).review_round


def test_the_api_refuses_with_reasons(live: Claim, second_reviewer: User, author: User) -> None:
    url = f"/api/v1/claims/{live.pk}/recertify/"
    forbidden = client_for(author).post(url, {}, content_type="application/json")
    assert forbidden.status_code == 403
    reviewer_client = client_for(second_reviewer)
    assert reviewer_client.post(url, {}, content_type="application/json").status_code == 201
    again = reviewer_client.post(url, {}, content_type="application/json")
    assert again.status_code == 409
    assert "approved" in again.json()["detail"]
    too_long = reviewer_client.post(url, {"reason": "x" * 2001}, content_type="application/json")
    assert too_long.status_code == 400
    assert "reason" in too_long.json()


def test_the_due_api_lists_approvals_falling_due(live: Claim, second_reviewer: User) -> None:
    client = client_for(second_reviewer)
    assert client.get("/api/v1/due/?within=30").json()["results"] == []
    [item] = client.get("/api/v1/due/?within=90").json()["results"]
    assert (item["claim"], item["version"], item["channel"], item["overdue"]) == (live.pk, 1, "website", False)
    assert client.get("/api/v1/due/?within=x").status_code == 400


def test_the_feed_keeps_serving_through_the_api_during_the_round(
    live: Claim, second_reviewer: User, publisher: User
) -> None:
    recertify(live, by=second_reviewer)
    assert [item["claim"] for item in feed(client_for(publisher), "website")] == [live.pk]


# --- the page ------------------------------------------------------------------------------------


def test_the_review_page_offers_recertification_and_the_form_opens_the_round(
    live: Claim, second_reviewer: User
) -> None:
    client: Client = client_for(second_reviewer)
    page = client.get(f"/claims/{live.pk}/")
    assert b"Re-certify v1 unchanged" in page.content
    response = client.post(f"/claims/{live.pk}/recertify/", {"reason": "Yearly review"})
    assert response.status_code == 302
    assert response["Location"] == f"/claims/{live.pk}/review/"
    assert Recertification.objects.get().reason == "Yearly review"
    again = client.post(f"/claims/{live.pk}/recertify/", {"reason": "Again"}, follow=True)
    assert again.status_code == 409
