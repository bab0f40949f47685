"""The "next claim" shortcut on the review page (J), and the shortcut help on the form."""

from __future__ import annotations

from django.contrib.auth.models import User

from content.models import Claim
from tests.conftest import client_for, import_text, numbered_text
from tests.review_helpers import approve


def waiting(author: User, n: int) -> list[Claim]:
    claims = list(import_text(author, numbered_text(n)).claims.order_by("position"))
    for c in claims:
        c.submit(by=author)
    return claims


def test_it_sends_the_reviewer_to_the_next_claim_in_the_queue(author: User, reviewer: User) -> None:
    first, second, _third = waiting(author, 3)
    response = client_for(reviewer).get("/review/next/", {"after": first.pk})
    assert response.status_code == 302
    assert response["Location"] == f"/claims/{second.pk}/review/"


def test_it_skips_claims_the_reviewer_already_signed(author: User, reviewer: User) -> None:
    first, second, third = waiting(author, 3)
    second.approvals_needed = 2
    second.save()
    approve(Claim.objects.get(pk=second.pk), reviewer)
    response = client_for(reviewer).get("/review/next/", {"after": first.pk})
    assert response["Location"] == f"/claims/{third.pk}/review/"


def test_it_starts_at_the_oldest_claim_without_a_current_one(author: User, reviewer: User) -> None:
    first, *_ = waiting(author, 2)
    assert client_for(reviewer).get("/review/next/")["Location"] == f"/claims/{first.pk}/review/"


def test_it_returns_to_the_queue_when_nothing_else_waits(author: User, reviewer: User) -> None:
    (only,) = waiting(author, 1)
    response = client_for(reviewer).get("/review/next/", {"after": only.pk}, follow=True)
    assert response.redirect_chain[-1][0] == "/review/queue/"
    assert b"No other claim is waiting for your review." in response.content


def test_it_refuses_the_next_claim_to_an_author(author: User) -> None:
    assert client_for(author).get("/review/next/").status_code == 403


def test_it_refuses_next_claim_by_post(reviewer: User) -> None:
    assert client_for(reviewer).post("/review/next/").status_code == 405


def test_it_lists_the_shortcuts_on_the_review_form(author: User, reviewer: User) -> None:
    (claim,) = waiting(author, 1)
    page = client_for(reviewer).get(f"/claims/{claim.pk}/review/").content.decode()
    assert "<kbd>A</kbd> approve" in page
    assert "<kbd>C</kbd> request changes" in page
    assert f'href="/review/next/?after={claim.pk}"' in page
