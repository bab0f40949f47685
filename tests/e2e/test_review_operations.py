"""Review operations in the browser: re-certifying an approval that falls due, and assigning a review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from content.models import ClaimStatus
from review.models import Assignment, Channel, Publication, Recertification
from review.publishing.actions import publish_claim
from tests.conftest import PASSWORD
from tests.e2e.test_journey import Journey, journey
from tests.test_publishing import approve, claims_of, make_article

__all__ = ["journey"]

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]


def test_a_reviewer_recertifies_a_falling_due_approval_and_assigns_a_review(
    journey: Journey, author: Any, reviewer: Any, second_reviewer: Any, publisher: Any
) -> None:
    base = journey.base
    now = timezone.now()
    due_soon = approve(
        claims_of(make_article(author, ("Regular exercise improves mild depression.",)))[0],
        reviewer,
        at=now - 355 * timedelta(days=1),
    )
    publish_claim(due_soon, Channel.objects.get(slug="website"), by=publisher, now=now - 354 * timedelta(days=1))
    old_approval = Publication.objects.get().approved_at
    waiting = claims_of(make_article(author, ("Sleep affects mood.", "Light in the morning helps sleep.")))
    for claim in waiting:
        claim.submit(by=author)

    # Carol sees the approval falling due and re-certifies it unchanged.
    carol = journey.open_as("carol")
    carol.goto(f"{base}/publishing/due/")
    carol.get_by_role("link", name=f"#{due_soon.pk} v1").click()
    carol.get_by_text("Re-certify v1 unchanged").click()
    carol.get_by_label("Why now?").fill("Yearly review: the evidence still holds")
    with carol.expect_navigation():
        carol.get_by_role("button", name="Re-certify").click()
    carol.get_by_text("Opened re-certification round").wait_for()
    journey.check(carol, "recertify-review")
    journey.review(carol, due_soon, grade="Moderate certainty", decision="Approve", password=PASSWORD)
    due_soon.refresh_from_db()
    assert due_soon.status == ClaimStatus.APPROVED
    assert Recertification.objects.get().outcome == "approved"
    assert Publication.objects.get().approved_at > old_approval  # every live publication extended

    # Bob assigns a waiting claim to Carol; it leads her queue.
    bob = journey.open_as("bob")
    bob.goto(f"{base}/claims/{waiting[1].pk}/")
    bob.get_by_text("Assign this review").click()
    bob.get_by_label("To", exact=True).select_option(label="Carol Reviewer")
    with bob.expect_navigation():
        bob.get_by_role("button", name="Assign", exact=True).click()
    bob.get_by_text(f"Assigned claim #{waiting[1].pk} to Carol Reviewer").wait_for()
    journey.check(bob, "assigned")
    assert Assignment.objects.get().assignee == second_reviewer

    carol.goto(f"{base}/review/queue/")
    first_row = carol.locator("tr.queue-row").first
    assert first_row.get_attribute("id") == f"queue-{waiting[1].pk}"
    assert "assigned to you" in first_row.inner_text()
    journey.check(carol, "queue-assigned-first")
    narrow = journey.open_as("carol", width=390)
    narrow.goto(f"{base}/claims/{waiting[1].pk}/")
    narrow.get_by_text("Assigned to").wait_for()
    journey.check(narrow, "assignment-390")
