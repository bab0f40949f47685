"""A large import in a real browser: the progress page polls (htmx, under the CSP) until the worker is done."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from content.models import Article
from tests.conftest import numbered_text
from tests.e2e import test_journey
from tests.e2e.test_journey import Journey

journey = test_journey.journey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]


def test_it_shows_a_large_import_until_the_worker_has_stored_it(journey: Journey, settings: Any) -> None:
    settings.VETTED_BACKGROUND_IMPORT_BYTES = 1000
    page = journey.open_as("alice")
    # The page's polls wait in the browser while the worker runs below: on in-memory SQLite the
    # live server shares this thread's connection, so the two must not use it at the same time.
    page.route("**/articles/import/*/", lambda route: route.continue_())
    page.goto(f"{journey.base}/articles/import/")
    page.get_by_label("Paste the article").fill(numbered_text(30, title="Sleep in large cohorts"))
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Waiting for the background worker").wait_for()
    journey.check(page, "import-waiting")

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=StringIO(), stderr=StringIO())

    # No reload: the next poll swaps the finished state in, and the polling stops.
    article = Article.objects.get()
    link = page.get_by_role("link", name="Sleep in large cohorts")
    expect(link).to_be_visible(timeout=10_000)
    expect(page.get_by_text("Imported 30 claims")).to_be_visible()
    expect(page.locator("#import-job[hx-get]")).to_have_count(0)
    journey.check(page, "import-done")
    link.click()
    page.wait_for_url(f"{journey.base}/articles/{article.pk}/")
