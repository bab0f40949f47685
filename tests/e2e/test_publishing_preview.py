"""In a real browser: a reviewer adapts a tag's wording to the claim and signs it; the publisher
previews what each chosen channel will serve, then confirms."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from content.models import ClaimStatus
from review.actions import record_review
from review.models import DEFAULT_MEANING, Publication
from tests.conftest import PASSWORD
from tests.e2e import test_journey
from tests.e2e.test_journey import Journey
from tests.test_publishing import claims_of, make_article

journey = test_journey.journey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]

CBT = "Cognitive behavioural therapy for insomnia improves sleep in most adults."
CBT_WORDING = "CBT can make sleep worse for the first weeks, while sleep is restricted."


def test_it_signs_adapted_wording_and_publishes_after_a_preview(
    journey: Journey, author: Any, second_reviewer: Any
) -> None:
    base = journey.base
    claim = claims_of(make_article(author, [CBT]))[0]
    claim.submit(by=author)

    # The reviewer: the tag's template is about antidepressants, so she rewrites it for CBT.
    bob = journey.open_as("bob")
    bob.goto(f"{base}/claims/{claim.pk}/review/")
    expect(bob.get_by_text("Some tags add wording to what is published.")).to_be_visible()
    bob.get_by_label("High certainty", exact=True).check()
    bob.get_by_label("Omits adverse effects").check()
    box = bob.locator("li", has=bob.get_by_label("Omits adverse effects")).get_by_role("textbox")
    assert "Antidepressants can cause side effects" in box.input_value()
    box.fill(CBT_WORDING)
    bob.get_by_label("Approve", exact=True).check()
    bob.get_by_label("Password").fill(PASSWORD)
    journey.check(bob, "review-wording-adapted")
    with bob.expect_navigation():
        bob.get_by_role("button", name="Record review").click()
    claim.refresh_from_db()
    # The tag is high-risk: a second signature, with the same wording, approves it.
    record_review(
        claim=claim,
        version=claim.version,
        reviewer=second_reviewer,
        decision="approve",
        evidence_grade="high",
        password=PASSWORD,
        signature_meaning=DEFAULT_MEANING,
        required_wording=[CBT_WORDING],
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED

    # The publisher: choose two channels, read what each will serve, confirm the one that takes it.
    paula = journey.open_as("paula")
    paula.goto(f"{base}/claims/{claim.pk}/publish/")
    paula.locator("#choose-website").check()
    paula.locator("#choose-newsletter").check()
    with paula.expect_navigation():
        paula.get_by_role("button", name="Preview what the chosen channels will serve").click()
    website = paula.locator("#preview-website")
    expect(website.get_by_text(CBT_WORDING).first).to_be_visible()
    expect(website.get_by_text(f"{len(CBT) + 2 + len(CBT_WORDING)} characters")).to_be_visible()
    assert "Antidepressants" not in paula.content()
    journey.check(paula, "publish-preview")
    assert not Publication.objects.exists()
    with paula.expect_navigation():
        paula.get_by_role("button", name="Confirm: publish to").click()
    expect(paula.locator("#channel-website").get_by_text("Live and current")).to_be_visible()
    expect(paula.locator("#channel-newsletter").get_by_text("Live and current")).to_be_visible()
    journey.check(paula, "publish-confirmed")
    assert set(Publication.objects.values_list("channel__slug", flat=True)) == {"website", "newsletter"}

    # The article: its preview shows the title it will pin, then the public page serves it.
    paula.goto(f"{base}/articles/{claim.article_id}/publish/")
    paula.locator("#choose-website").check()
    with paula.expect_navigation():
        paula.get_by_role("button", name="Preview what the chosen channels will serve").click()
    expect(paula.locator("#preview-website").get_by_text(claim.article.title)).to_be_visible()
    journey.check(paula, "publish-article-preview")
    with paula.expect_navigation():
        paula.get_by_role("button", name="Confirm: publish to Website").click()
    reader = journey.new_page(390, 844)
    reader.goto(f"{base}/channels/website/articles/{claim.article_id}/")
    expect(reader.get_by_text(CBT_WORDING)).to_be_visible()
    journey.check(reader, "public-page-signed-wording")
