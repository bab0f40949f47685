"""In the browser: a reviewer comments on three words, signs suggested wording, and the author's
acceptance approves the claim, which is published with no further signature."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from content.models import ClaimStatus
from review.models import Comment, Publication, Signature, SuggestionStatus
from tests.conftest import PASSWORD, import_text
from tests.e2e.test_journey import Journey, journey

__all__ = ["journey"]

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]

TEXT = "Regular exercise greatly reduces the risk of heart disease in older adults (Smith, 2019)."

# Selects `words` inside the claim's text the way a mouse drag does (a DOM Range), then lets the
# page's script see it, as it sees a real selection.
SELECT = """(words) => {
  const el = document.getElementById("claim-words");
  const at = el.textContent.indexOf(words);
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let pos = 0, node, started = false;
  while ((node = walker.nextNode())) {
    if (!started && at < pos + node.length) { range.setStart(node, at - pos); started = true; }
    if (started && at + words.length <= pos + node.length) { range.setEnd(node, at + words.length - pos); break; }
    pos += node.length;
  }
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  el.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
}"""


def test_it_approves_and_publishes_a_claim_on_a_signed_suggestion(journey: Journey, author: Any) -> None:
    base = journey.base
    claim = import_text(author, f"Exercise\n\n{TEXT}\n").claims.get()
    claim.submit(by=author)

    # The reviewer comments on three words from the review page.
    bob = journey.open_as("bob")
    bob.goto(f"{base}/claims/{claim.pk}/review/")
    bob.evaluate(SELECT, "of heart disease")
    expect(bob.locator("#comment-form [data-selected]")).to_have_text("of heart disease")
    bob.get_by_label("Comment", exact=True).fill("Which outcome: events or deaths?")
    with bob.expect_navigation():
        bob.get_by_role("button", name="Comment on the selected words").click()
    expect(bob.locator(".thread").get_by_text("Which outcome: events or deaths?")).to_be_visible()
    expect(bob.locator("#claim-words mark")).to_have_text("of heart disease")
    journey.check(bob, "comment-on-three-words")
    thread = Comment.objects.get(claim=claim)
    assert (thread.quote, TEXT[thread.start : thread.end]) == ("of heart disease", "of heart disease")

    # On the claim page the reviewer replaces two words and signs the result.
    bob.goto(f"{base}/claims/{claim.pk}/")
    bob.evaluate(SELECT, "greatly reduces")
    expect(bob.get_by_label("Suggested wording for")).to_have_value("greatly reduces")
    bob.get_by_label("Suggested wording for").fill("may reduce")
    bob.get_by_label("Sign the suggested text").check()
    bob.get_by_label("Evidence grade").select_option("high")
    bob.locator("#suggest-password").fill(PASSWORD)
    journey.check(bob, "signed-suggestion-form")
    with bob.expect_navigation():
        bob.get_by_role("button", name="Suggest this wording").click()
    expect(bob.get_by_text("Suggestion signed")).to_be_visible()
    # Then sends the claim back to its author, who can only revise a claim out of review.
    journey.review(bob, claim, grade="High certainty", decision="Request changes", note="See my suggested wording.")

    # The author accepts the signed wording unchanged: v2, approved by that signature.
    alice = journey.open_as("alice")
    alice.goto(f"{base}/claims/{claim.pk}/")
    expect(alice.get_by_text("The claim would read: “Regular exercise may reduce the risk")).to_be_visible()
    journey.check(alice, "author-sees-signed-suggestion")
    with alice.expect_navigation():
        alice.get_by_role("button", name="Accept (approved as suggested)").click()
    expect(alice.get_by_text(f"claim #{claim.pk} is now v2, approved")).to_be_visible()
    journey.check(alice, "accepted-suggestion")
    claim.refresh_from_db()
    assert (claim.status, claim.version, claim.approved_version) == (ClaimStatus.APPROVED, 2, 2)
    assert claim.text == TEXT.replace("greatly reduces", "may reduce")
    assert claim.suggestions.get().status == SuggestionStatus.ACCEPTED
    thread.refresh_from_db()
    assert (thread.claim_version, claim.text[thread.start : thread.end]) == (2, "of heart disease")

    # The publisher puts v2 on the website: no one signed again.
    paula = journey.open_as("paula")
    paula.goto(f"{base}/claims/{claim.pk}/publish/")
    paula.locator("#choose-website").check()
    with paula.expect_navigation():
        paula.get_by_role("button", name="Preview what the chosen channels will serve").click()
    with paula.expect_navigation():
        paula.get_by_role("button", name="Confirm: publish to").click()
    expect(paula.locator("#channel-website").get_by_text("Live and current")).to_be_visible()
    journey.check(paula, "published-as-suggested")
    assert Publication.objects.filter(claim=claim, version=2, channel__slug="website").exists()
    assert Signature.objects.filter(review__claim=claim).count() == 1
