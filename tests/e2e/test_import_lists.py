"""In a real browser: an imported list stays with its lead-in, and the article page shows it as a list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from content.models import Article
from tests.e2e.test_journey import Journey, journey  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]

# A loose numbered list: blank lines between the items, as many pages and papers write it.
ARTICLE = """Sleep habits

Three habits protect sleep:

1. Go to bed at the same time every night.

2. Avoid caffeine after noon.

3. Keep the bedroom dark.

Sleep is worth protecting.
"""


def test_it_shows_a_loose_list_as_one_claim_with_its_lead_in(journey: Journey) -> None:  # noqa: F811
    page = journey.open_as("alice")
    page.goto(f"{journey.base}/articles/import/")
    page.get_by_label("Paste the article").fill(ARTICLE)
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported 2 claims").wait_for()
    article = Article.objects.get(title="Sleep habits")
    first = article.claims.order_by("position").first()
    assert first is not None
    page.goto(f"{journey.base}/articles/{article.pk}/")
    claim = page.locator(f"#claim-{first.pk}")
    expect(claim.get_by_text("Three habits protect sleep:")).to_be_visible()
    expect(claim.locator("li", has_text="Avoid caffeine after noon.")).to_be_visible()
    expect(claim.locator("ul > li")).to_have_count(3)
    journey.check(page, "article-with-lead-in-list")
