"""The whole journey in a real browser: author, reviewers, publisher, compliance, public reader.

Each step checks what a person would see, runs axe-core on the page (no serious
or critical violations) and saves a screenshot under test-results/e2e/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from content.models import Article, Claim, ClaimStatus
from review.audit import system_user
from review.management.commands.seed_demo import load_vocabulary
from tests.conftest import PASSWORD, SAMPLE

# The feed and audit pages read through the "replica" alias (a test mirror of default).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]

AXE = Axe()

ARTICLE = """Sleep and Mood

Sleep and Mood

Share this article

Regular sleep supports mood regulation (Walker, 2017). Adults need seven to nine hours of sleep a night.

Exercise is simply a cure for depression.
"""


class Journey:
    """One browser tab per person, with the checks every page gets."""

    def __init__(self, browser: Any, base: str, shots: Path) -> None:
        self.browser, self.base, self.shots, self.step = browser, base, shots, 0
        self.csp_errors: list[str] = []
        self.usernames: dict[Any, str] = {}  # who is logged in on each tab

    def new_page(self, width: int = 1280, height: int = 900) -> Any:
        """A tab that records every Content-Security-Policy refusal (an inline script or style would be one)."""
        page = self.browser.new_page(viewport={"width": width, "height": height})
        page.on(
            "console",
            lambda msg: self.csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        return page

    def open_as(self, username: str, width: int = 1280) -> Any:
        page = self.new_page(width)
        page.goto(f"{self.base}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{self.base}/")
        self.usernames[page] = username
        return page

    def check(self, page: Any, name: str) -> None:
        """Screenshot, nothing wider than the window, and axe-core: no serious or critical violations."""
        self.step += 1
        width = page.viewport_size["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name}: wider than {width} px"
        page.screenshot(path=str(self.shots / f"{self.step:02d}-{name}.png"), full_page=True)
        assert self.csp_errors == [], f"{name}: {self.csp_errors}"
        violations = AXE.run(page).response["violations"]
        bad = [v for v in violations if v["impact"] in {"serious", "critical"}]
        assert bad == [], f"{name}: " + "; ".join(
            f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}" for v in bad
        )

    def fits(self, page: Any, width: int = 390) -> None:
        """Nothing overflows sideways at this width."""
        assert page.evaluate("document.documentElement.scrollWidth") <= width

    def review(
        self,
        page: Any,
        claim: Claim,
        *,
        grade: str,
        decision: str,
        tags: tuple[str, ...] = (),
        note: str = "",
        password: str | None = None,
    ) -> None:
        page.goto(f"{self.base}/claims/{claim.pk}/review/")
        page.get_by_label(grade, exact=True).check()
        for tag in tags:
            page.get_by_label(tag).check()
        if note:
            page.get_by_label("Nuance note").fill(note)
        page.get_by_label(decision, exact=True).check()
        if password is not None:
            # A session's first signature also asks for the user ID (21 CFR 11.200(a)(1)).
            if page.get_by_label("User ID").count():
                page.get_by_label("User ID").fill(self.usernames[page])
            page.get_by_label("Password").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Record review").click()


@pytest.fixture
def journey(
    browser: Any,
    live_server: Any,
    shots: Path,
    author: Any,
    reviewer: Any,
    second_reviewer: Any,
    publisher: Any,
    compliance: Any,
) -> Journey:
    load_vocabulary(system_user())
    return Journey(browser, live_server.url, shots)


def test_it_takes_a_claim_from_import_to_a_published_page(journey: Journey, tmp_path: Path) -> None:
    base = journey.base

    # The author pastes an article, uploads another, and fixes a split.
    page = journey.open_as("alice")
    journey.check(page, "author-home")
    page.goto(f"{base}/articles/import/")
    journey.check(page, "import-form")
    # Progress while the server imports: held here (the submission is stopped) so it can be seen.
    page.get_by_label("Paste the article").fill(ARTICLE * 40)
    page.evaluate("document.querySelector('form[data-progress]').addEventListener('submit', e => e.preventDefault())")
    page.get_by_role("button", name="Import").click()
    progress = page.locator("#import-progress")
    expect(progress).to_be_visible()
    assert "Importing" in progress.inner_text() and "characters" in progress.inner_text()
    assert page.get_by_role("button", name="Import").is_disabled()
    journey.check(page, "import-progress")
    page.goto(f"{base}/articles/import/")
    page.get_by_label("Paste the article").fill(ARTICLE)
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported 3 claims").wait_for()
    article = Article.objects.get(title="Sleep and Mood")
    first, _second, third = article.claims.order_by("position")
    assert "Share this article" not in page.content()
    page.locator(f"#claim-{first.pk} summary", has_text="Merge with next").click()
    page.get_by_label("Why merge?").first.fill("The importer split one thought in two")
    page.locator(f"#claim-{first.pk}").get_by_role("button", name="Merge").click()
    page.get_by_text("Merged the claim with the next one").wait_for()
    expect(page.locator("li.claim")).to_have_count(2)
    journey.check(page, "article-after-merge")

    page.goto(f"{base}/articles/import/")
    page.get_by_label("…or upload a file (.txt, .md, .html)").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported 25 claims").wait_for()

    page.goto(f"{base}/articles/{article.pk}/")
    page.get_by_role("button", name="Submit all drafts for review").click()
    page.get_by_text("Submitted 2 claims for review").wait_for()

    # The reviewer starts from the home page, works the queue and asks for changes, by keyboard shortcuts.
    bob = journey.open_as("bob")
    assert bob.locator("#queue-h").inner_text().endswith("2")
    journey.check(bob, "reviewer-home")
    bob.goto(f"{base}/review/queue/")
    journey.check(bob, "review-queue")
    bob.goto(f"{base}/claims/{first.pk}/review/")
    bob.keyboard.press("j")  # next claim
    bob.wait_for_url(f"{base}/claims/{third.pk}/review/")
    bob.goto(f"{base}/claims/{first.pk}/review/")
    bob.get_by_label("Low certainty", exact=True).check()
    bob.get_by_label("Omits adverse effects").check()
    bob.keyboard.press("c")  # request changes: the decision is chosen and the note has the focus
    assert bob.get_by_label("Request changes", exact=True).is_checked()
    bob.keyboard.type("Say how much sleep is associated with mood, and for whom.")
    journey.check(bob, "request-changes")
    bob.get_by_role("button", name="Record review").click()
    bob.wait_for_url(f"{base}/claims/{third.pk}/review/")  # on to the next claim in the queue
    bob.goto(f"{base}/claims/{first.pk}/review/")  # already decided: nothing to review
    assert "nothing to review" in bob.content()

    # The author reads the note on the home page, then on the claim; revises and resubmits.
    page.goto(f"{base}/")
    sent_back = page.locator("section", has=page.locator("#changes-h"))
    expect(sent_back.get_by_text("Say how much sleep is associated with mood")).to_be_visible()
    journey.check(page, "author-home-sent-back")
    phone = journey.open_as("alice", width=390)
    journey.fits(phone)
    journey.check(phone, "author-home-phone")
    page.goto(f"{base}/claims/{first.pk}/")
    expect(page.get_by_text("Say how much sleep is associated with mood")).to_be_visible()
    journey.check(page, "author-sees-feedback")
    with page.expect_navigation():
        page.get_by_role("link", name="Revise").click()
    page.get_by_label("Text").fill("Regular sleep is associated with better mood in adults (Walker, 2017).")
    page.get_by_label("Why are you changing it?").fill("Reviewer asked for an association, not a cause")
    with page.expect_navigation():
        page.get_by_role("button", name="Save as a new version").click()
    page.goto(f"{base}/claims/{first.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit for review").click()
    first.refresh_from_db()
    assert (first.status, first.version) == (ClaimStatus.IN_REVIEW, 3)

    # Two reviewers sign the high-risk claim; the first tries a wrong password.
    journey.review(
        bob,
        first,
        grade="High certainty",
        decision="Approve",
        tags=("Omits adverse effects",),
        password="not my password",
    )
    expect(bob.get_by_text("Wrong password")).to_be_visible()
    journey.check(bob, "wrong-password")
    journey.review(
        bob, first, grade="High certainty", decision="Approve", tags=("Omits adverse effects",), password=PASSWORD
    )
    first.refresh_from_db()
    assert first.status == ClaimStatus.IN_REVIEW  # one of two signatures

    carol = journey.open_as("carol")
    carol.goto(f"{base}/claims/{first.pk}/review/")
    journey.check(carol, "second-reviewer-form")
    journey.review(carol, first, grade="High certainty", decision="Approve", password=PASSWORD)
    # The second claim, reviewed with the keyboard only (and the form read on a phone first).
    carol_phone = journey.open_as("carol", width=390)
    carol_phone.goto(f"{base}/claims/{third.pk}/review/")
    journey.check(carol_phone, "review-form-phone")
    carol.goto(f"{base}/claims/{third.pk}/review/")
    carol.get_by_label("High certainty", exact=True).focus()
    carol.keyboard.press("Space")
    carol.keyboard.press("a")  # approve: the decision is chosen and the password has the focus
    assert carol.get_by_label("Approve", exact=True).is_checked()
    carol.keyboard.type(PASSWORD)
    with carol.expect_navigation():
        carol.keyboard.press("Enter")
    first.refresh_from_db()
    third.refresh_from_db()
    assert (first.status, first.approved_version) == (ClaimStatus.APPROVED, 3)
    assert third.status == ClaimStatus.APPROVED

    # The publisher: social refuses the tagged claim with its reasons; the website takes the article.
    paula = journey.open_as("paula")
    ready = paula.locator("section", has=paula.locator("#ready-h"))
    expect(ready.get_by_role("link", name=f"#{first.pk} Regular sleep")).to_be_visible()
    journey.check(paula, "publisher-home")
    paula.goto(f"{base}/claims/{first.pk}/publish/")
    social = paula.locator("#channel-social")
    expect(social.get_by_text("Does not meet policy")).to_be_visible()
    expect(social.get_by_text("blocked by tag Omits adverse effects")).to_be_visible()
    expect(social.get_by_role("button", name="Publish")).to_have_count(0)
    journey.check(paula, "publish-claim-refused")
    # The untagged claim meets the social channel's policy and goes out there.
    paula.goto(f"{base}/claims/{third.pk}/publish/")
    paula.locator("#choose-social").check()
    with paula.expect_navigation():
        paula.get_by_role("button", name="Preview what the chosen channels will serve").click()
    with paula.expect_navigation():
        paula.get_by_role("button", name="Confirm: publish to").click()
    expect(paula.locator("#channel-social").get_by_text("Live and current")).to_be_visible()
    journey.check(paula, "publish-claim-social")
    paula.goto(f"{base}/articles/{article.pk}/publish/")
    paula.locator("#choose-website").check()
    with paula.expect_navigation():
        paula.get_by_role("button", name="Preview what the chosen channels will serve").click()
    with paula.expect_navigation():
        paula.get_by_role("button", name="Confirm: publish to").click()
    journey.check(paula, "publish-article")

    # The public page: the approved text, its required wording and provenance, no login.
    reader = journey.new_page(390, 844)
    reader.goto(f"{base}/channels/website/articles/{article.pk}/")
    claim_box = reader.locator(f"#claim-{first.pk}")
    claim_box.get_by_text("How we checked this").click()
    provenance = claim_box.locator(".provenance").inner_text()
    assert "High certainty" in provenance and "Bob Reviewer" in provenance and "Carol Reviewer" in provenance
    assert "Walker, 2017" in provenance
    assert "Medically reviewed" in reader.content()
    journey.check(reader, "public-page-phone")
    expect(reader.get_by_text("Regular sleep is associated with better mood in adults")).to_be_visible()
    assert "MedicalWebPage" in reader.content()
    assert reader.evaluate("document.documentElement.scrollWidth") <= 390

    # Compliance: timeline for the claim, the dossier, the CSV export and verification.
    charlie = journey.open_as("charlie")
    events = charlie.locator("section", has=charlie.locator("#events-h"))
    expect(events.locator("tbody tr")).to_have_count(8)
    expect(charlie.get_by_text("Not verified yet")).to_be_visible()
    expect(charlie.locator("#fig-status").get_by_role("row", name="Approved 2")).to_be_visible()
    journey.check(charlie, "compliance-home")
    # htmx: another period swaps the charts in place (the page itself is not reloaded).
    charlie.evaluate("window.stillHere = true")
    charlie.get_by_label("26 weeks").check()
    charlie.get_by_role("heading", name="Most-used nuance tags (last 26 weeks)").wait_for()
    assert charlie.evaluate("window.stillHere") is True
    assert charlie.url.endswith("?weeks=26")
    phone = journey.open_as("charlie", width=390)
    journey.fits(phone)
    journey.check(phone, "compliance-home-phone")
    charlie.goto(f"{base}/compliance/")
    charlie.get_by_label("Claim #").fill(str(first.pk))
    with charlie.expect_navigation():
        charlie.get_by_role("button", name="Filter").click()
    expect(charlie).to_have_url(re.compile(rf"/compliance/\?(.*&)?claim={first.pk}(&|$)"))
    journey.check(charlie, "timeline-for-claim")
    charlie.goto(f"{base}/compliance/claims/{first.pk}/dossier/")
    expect(charlie.get_by_text("Reviewer asked for an association, not a cause").first).to_be_visible()
    journey.check(charlie, "dossier")
    with charlie.expect_download() as download:
        charlie.goto(f"{base}/compliance/?claim={first.pk}")
        charlie.get_by_role("link", name="CSV").click()
    csv_path = tmp_path / "audit.csv"
    download.value.save_as(csv_path)
    assert csv_path.read_text("utf-8").count("\n") > 5
    progress = charlie.locator("#export-progress")
    progress.get_by_text("Exported").wait_for()
    assert charlie.locator("#export-progress progress").evaluate("p => p.value === p.max")
    journey.check(charlie, "export-progress")
    charlie.goto(f"{base}/compliance/integrity/")
    charlie.evaluate("window.stillHere = true")
    charlie.get_by_role("button", name="Verify now").click()  # htmx: the panel is replaced in place
    charlie.locator("#integrity-panel .big-number", has_text="Intact").wait_for()
    assert charlie.evaluate("window.stillHere") is True
    journey.check(charlie, "integrity")
