"""A session's first signature asks for the user ID as well as the password; later ones the password only."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from content.models import ClaimStatus
from tests.conftest import PASSWORD
from tests.e2e.test_journey import Journey, journey  # noqa: F401 (the fixture)
from tests.review_helpers import fresh, queue_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]


def sign(page: Any, base: str, claim_pk: int, user_id: str | None) -> None:
    page.goto(f"{base}/claims/{claim_pk}/review/")
    page.get_by_label("High certainty", exact=True).check()
    page.get_by_label("Approve", exact=True).check()
    if user_id is not None:
        page.get_by_label("User ID").fill(user_id)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Record review").click()


def test_it_asks_for_the_user_id_at_the_first_signature_only(journey: Journey, author: Any) -> None:  # noqa: F811
    first, second = queue_of(author, 2)
    bob = journey.open_as("bob")

    sign(bob, journey.base, first.pk, user_id=None)
    expect(bob.get_by_text("needs your user ID as well as your password").first).to_be_visible()
    journey.check(bob, "signing-needs-user-id")
    assert fresh(first).status == ClaimStatus.IN_REVIEW

    sign(bob, journey.base, first.pk, user_id="bob")
    assert fresh(first).status == ClaimStatus.APPROVED

    bob.goto(f"{journey.base}/claims/{second.pk}/review/")
    expect(bob.get_by_label("User ID")).to_have_count(0)
    journey.check(bob, "signing-password-only")
    sign(bob, journey.base, second.pk, user_id=None)
    assert fresh(second).status == ClaimStatus.APPROVED
