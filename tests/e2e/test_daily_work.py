"""A working day in a real browser: the inbox, search, archiving a mistaken import, fixing a split.

Each step checks what the person sees, runs axe-core (no serious or critical violations),
checks nothing is wider than the window and saves a screenshot, at 1280 and at 390 px.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from playwright.sync_api import expect

from content.models import Article
from tests.conftest import first_claim, import_text
from tests.e2e import test_journey
from tests.e2e.test_journey import Journey
from tests.review_helpers import IMMEDIATE_TASKS, request_changes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]

journey = test_journey.journey

ARTICLE = """Coffee and sleep

Coffee after noon delays sleep onset (Drake, 2013).

Adults who sleep seven hours have fewer heart attacks (Walker, 2017).
"""


def both_widths(journey: Journey, username: str, path: str, name: str) -> None:
    """The same page as a phone sees it: fits, axe clean, screenshot."""
    phone = journey.open_as(username, width=390)
    phone.goto(f"{journey.base}{path}")
    journey.check(phone, f"{name}-390")
    phone.close()


@override_settings(TASKS=IMMEDIATE_TASKS)
def test_it_walks_the_inbox_search_and_archive(journey: Journey, author: User, reviewer: User) -> None:
    base = journey.base
    article = import_text(author, ARTICLE)
    coffee = first_claim(article)
    coffee.submit(by=author)
    request_changes(coffee, reviewer, note="Say how late in the day, and for whom.")

    # The author sees the notice in the header, reads it in the inbox and opens the claim.
    page = journey.open_as("alice")
    # Any console error from here on (a missing favicon is one) fails the walk.
    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    inbox = page.get_by_role("link", name="Inbox 1 unread")
    expect(inbox).to_be_visible()
    journey.check(page, "home-with-unread")
    inbox.click()
    expect(page.get_by_text("Say how late in the day, and for whom.")).to_be_visible()
    journey.check(page, "inbox")
    both_widths(journey, "alice", "/inbox/", "inbox")
    with page.expect_navigation():
        page.get_by_role("button", name="Open").click()
    assert page.url == f"{base}/claims/{coffee.pk}/"
    expect(page.get_by_role("link", name="Inbox", exact=True)).to_be_visible()

    # Revising, she has the reviewer's note beside the text.
    page.goto(f"{base}/claims/{coffee.pk}/edit/")
    expect(page.get_by_role("complementary", name="The reviewer's latest note")).to_contain_text(
        "Say how late in the day, and for whom."
    )
    journey.check(page, "edit-with-the-reviewers-note")
    both_widths(journey, "alice", f"/claims/{coffee.pk}/edit/", "edit-with-the-reviewers-note")

    # She searches for the claim by a word of it, narrowed to claims sent back to her.
    page.get_by_role("link", name="Search").click()
    journey.check(page, "search-empty")
    page.get_by_label("Words").fill("coffee")
    page.get_by_label("Status").select_option("changes_requested")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    expect(page.locator(f"#claim-{coffee.pk}")).to_contain_text("Coffee after noon delays sleep onset")
    expect(page.locator("ol.results li")).to_have_count(1)
    journey.check(page, "search-results")
    both_widths(journey, "alice", "/search/?q=sleep", "search-results")

    # An article imported twice by mistake is archived before anything of it went to review.
    junk = import_text(author, ARTICLE.replace("Coffee and sleep", "Coffee and sleep (copy)"), force=True)
    page.goto(f"{base}/articles/{junk.pk}/")
    page.get_by_text("Archive this article").click()
    page.get_by_label("Why archive it?").fill("Imported twice by mistake.")
    journey.check(page, "archive-form")
    with page.expect_navigation():
        page.get_by_role("button", name="Archive", exact=True).click()
    expect(page.get_by_text("Archived “Coffee and sleep (copy)” and retired its claims")).to_be_visible()
    expect(page.get_by_role("link", name="Coffee and sleep (copy)")).to_have_count(0)
    journey.check(page, "article-list-after-archive")
    both_widths(journey, "alice", f"/articles/{junk.pk}/", "archived-article")
    assert Article.objects.get(pk=junk.pk).is_archived
    assert console_errors == []


def test_it_splits_at_the_cursor_merges_back_and_refuses_text_with_a_file(
    journey: Journey, author: User, tmp_path: Path
) -> None:
    base = journey.base
    article = import_text(author, "Hydration\n\nWater is most of the body.\n\nCoffee counts towards fluid intake.\n")
    first = first_claim(article).revise(
        text="Water is most of the body. Thirst lags behind need. Older adults feel it later.",
        expected_version=1,
        reason="The whole paragraph",
        by=author,
    )

    # Two split points at once, each put at the cursor by the button.
    page = journey.open_as("alice")
    page.goto(f"{base}/claims/{first.pk}/split/")
    box = page.get_by_label("The claim, with a split point where each new claim starts")
    for sentence in ("Thirst lags", "Older adults"):
        at = box.input_value().index(sentence)
        box.evaluate("(el, at) => el.setSelectionRange(at, at)", at)
        page.get_by_role("button", name="Split here").click()
    assert box.input_value() == (
        "Water is most of the body.\n---\nThirst lags behind need.\n---\nOlder adults feel it later."
    )
    page.get_by_label("Why split it?").fill("Three facts")
    journey.check(page, "split-at-the-cursor")
    with page.expect_navigation():
        page.get_by_role("button", name="Split", exact=True).click()
    expect(page.get_by_text(f"Split claim #{first.pk} “Water is most of the body.” into 3 claims")).to_be_visible()
    expect(page.locator("li.claim")).to_have_count(4)
    journey.check(page, "article-after-split")

    # The third part goes back into the second: merged with the previous claim.
    third = article.claims.get(text="Older adults feel it later.")
    item = page.locator(f"#claim-{third.pk}")
    item.get_by_text("Merge with previous").click()
    item.get_by_label("Why merge it into the previous claim?").fill("One thought")
    with page.expect_navigation():
        item.get_by_role("button", name="Merge").click()
    expect(
        page.get_by_text(f"Merged claim #{third.pk} “Older adults feel it later.” into the previous claim")
    ).to_be_visible()
    expect(page.locator("li.claim")).to_have_count(3)
    journey.check(page, "article-after-merge-with-previous")
    both_widths(journey, "alice", f"/claims/{first.pk}/split/", "split-form")

    # Text pasted and a file chosen: refused, with the reason, nothing imported.
    upload = tmp_path / "sleep.txt"
    upload.write_text("Sleep\n\nSleep helps memory (Walker, 2017).\n")
    page.goto(f"{base}/articles/import/")
    page.get_by_label("Paste the article").fill("Diet\n\nOlive oil helps.\n")
    page.get_by_label("…or upload a file (.txt, .md, .html)").set_input_files(str(upload))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("You pasted text and chose a file")).to_be_visible()
    journey.check(page, "import-text-and-file-refused")
    assert not Article.objects.filter(title__in=["Diet", "Sleep"]).exists()
