"""The whole journey in a real browser, one role after another."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Axe()


def assert_accessible(page: Any) -> None:
    results = AXE.run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    assert bad == [], "\n".join(f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in bad)


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_it_lets_an_author_log_in_and_read_the_sample(
    browser: Any, live_server: Any, sample_article: Any, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page)
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/articles/{sample_article.pk}/")
    page.screenshot(path=str(shots / "article.png"), full_page=True)
    assert page.get_by_role("heading", name="Restoring Neural Health with BDNF").is_visible()
    assert page.locator("li.claim").count() == 25
    assert_accessible(page)
