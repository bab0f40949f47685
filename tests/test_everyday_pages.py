"""Small things people meet every day: the reviewer's note beside the edit form, the favicon,
and an integrity page that never shows where the server keeps its files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from content.models import Claim
from tests import review_helpers
from tests.conftest import client_for, first_claim, import_text, numbered_text
from tests.review_helpers import approve, request_changes

pytestmark = pytest.mark.django_db

claim = review_helpers.claim
tags = review_helpers.tags


def test_it_shows_the_reviewers_latest_note_and_tags_beside_the_edit_form(
    claim: Claim, author: User, reviewer: User, tags: dict[str, Any]
) -> None:
    request_changes(claim, reviewer, note="Say for whom this holds.", tags=[tags["needs-population-qualifier"]])
    html = client_for(author).get(f"/claims/{claim.pk}/edit/").content.decode()
    aside = html.split('<aside class="card feedback"')[1].split("</aside>")[0]
    assert "Say for whom this holds." in aside and "Bob Reviewer" in aside
    assert tags["needs-population-qualifier"].name in aside


def test_it_shows_the_newest_note_when_sent_back_twice(claim: Claim, author: User, reviewer: User) -> None:
    request_changes(claim, reviewer, note="First note.")
    revised = Claim.objects.get(pk=claim.pk).revise(text="Revised.", reason="As asked.", expected_version=1, by=author)
    revised.submit(by=author)
    request_changes(Claim.objects.get(pk=claim.pk), reviewer, note="Second note.")
    html = client_for(author).get(f"/claims/{claim.pk}/edit/").content.decode()
    assert "Second note." in html and "First note." not in html


def test_it_shows_no_note_before_any_review_sent_it_back(claim: Claim, author: User, reviewer: User) -> None:
    approve(claim, reviewer)
    assert "The reviewer's latest note" not in client_for(author).get(f"/claims/{claim.pk}/edit/").content.decode()


def test_it_names_a_favicon_on_every_page(db: None) -> None:
    assert 'rel="icon" href="/static/favicon.svg"' in Client().get("/accounts/login/").content.decode()


def test_it_answers_favicon_ico_with_the_icon(db: None) -> None:
    response = Client().get("/favicon.ico", follow=True)
    assert (response.status_code, response["Content-Type"]) == (200, "image/svg+xml")


def test_it_keeps_the_anchor_path_off_the_integrity_page_when_the_anchor_is_unreadable(
    compliance: User, author: User, claim: Claim, settings: Any, tmp_path: Path
) -> None:
    settings.AUDIT_ANCHOR_PATH = tmp_path / "anchor-is-a-folder"
    settings.AUDIT_ANCHOR_PATH.mkdir()
    client = client_for(compliance)
    client.post("/compliance/integrity/verify/")
    html = client.get("/compliance/integrity/").content.decode()
    assert "cannot be read" in html
    assert str(tmp_path) not in html and "anchor-is-a-folder" not in html


# --- the compliance timeline reads as a record -----------------------------------------------


def test_it_names_the_reviewer_and_the_nuance_tags_in_the_timeline(
    claim: Claim, reviewer: User, compliance: User, tags: dict[str, Any]
) -> None:
    tag = tags["needs-population-qualifier"]
    approve(claim, reviewer, tags=[tag])
    html = client_for(compliance).get("/compliance/", {"type": "review"}).content.decode()
    assert f"Bob Reviewer (#{reviewer.pk})" in html
    assert f"{tag.name} (#{tag.pk})" in html


def test_it_names_the_cited_works_in_the_timeline(author: User, compliance: User) -> None:
    cited = first_claim(import_text(author, numbered_text(1)))
    html = client_for(compliance).get("/compliance/", {"claim": cited.pk}).content.decode()
    [ref] = cited.citations.all()
    assert f"{ref.label} (#{ref.pk})" in html
