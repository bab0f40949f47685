"""Progressive delay: each wrong password, at login or when signing, makes the next try wait longer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client

from content.models import Claim, ClaimStatus
from content.pacing import seconds_left, wait_after
from review.models import AuditEvent, Refusal, RefusalKind, ReviewRefused
from review.models.reviews import DEFAULT_MEANING
from tests import review_helpers
from tests.conftest import PASSWORD
from tests.review_helpers import approve, fresh
from tests.test_review_rules import signed

claim = review_helpers.claim

LOGIN = "/accounts/login/"
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def pacing_on(settings: Any) -> None:
    settings.PASSWORD_PACING_FIRST_WAIT = SECOND  # conftest turns it off for the rest of the suite


def login(client: Client, username: str, password: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password})


def time_passes(seconds: float) -> None:
    """Move the recorded failures back instead of sleeping: the pace is measured from them."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=seconds))
    Refusal.objects.update(at=F("at") - timedelta(seconds=seconds))


# --- the pace itself (pure) -------------------------------------------------------------------------------------


def test_it_doubles_the_wait_after_each_failure() -> None:
    assert [wait_after(n, SECOND).total_seconds() for n in range(6)] == [0, 1, 2, 4, 8, 16]


def test_it_never_waits_more_than_a_minute() -> None:
    assert wait_after(1000, SECOND) == timedelta(seconds=60)


def test_it_rounds_the_seconds_left_up() -> None:
    last = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert seconds_left(2, last, last + timedelta(seconds=0.5), SECOND) == 2


def test_it_allows_the_next_try_once_the_wait_is_over() -> None:
    last = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert seconds_left(2, last, last + timedelta(seconds=2), SECOND) == 0


# --- login ------------------------------------------------------------------------------------------------------


def test_it_asks_a_login_right_after_a_wrong_password_to_wait(author: User) -> None:
    client = Client()
    login(client, author.username, "wrong password")
    response = login(client, author.username, PASSWORD)
    assert (response.status_code, response["Retry-After"]) == (429, "1")
    assert "Wait 1 s before trying again" in response.content.decode()


def test_it_does_not_check_or_count_a_try_inside_the_wait(author: User) -> None:
    client = Client()
    login(client, author.username, "wrong password")
    login(client, author.username, "another wrong password")
    assert AccessAttempt.objects.get().failures_since_start == 1
    assert AuditEvent.objects.filter(type="auth.login_failed").count() == 1


def test_it_lets_the_right_password_in_after_the_wait(author: User) -> None:
    client = Client()
    login(client, author.username, "wrong password")
    time_passes(1.1)
    assert login(client, author.username, PASSWORD).status_code == 302


def test_it_waits_longer_after_each_wrong_password(author: User) -> None:
    client = Client()
    login(client, author.username, "wrong password")
    time_passes(1.1)
    login(client, author.username, "wrong password")
    time_passes(1.1)  # the second wait is 2 s
    assert login(client, author.username, PASSWORD)["Retry-After"] == "1"


def test_it_paces_each_client_address_on_its_own(author: User, settings: Any) -> None:
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    login(Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5"), author.username, "wrong password")
    someone_else = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert login(someone_else, author.username, PASSWORD).status_code == 302


def test_it_paces_each_username_on_its_own(author: User, reviewer: User) -> None:
    client = Client()
    login(client, author.username, "wrong password")
    assert login(client, reviewer.username, PASSWORD).status_code == 302


# --- signing ----------------------------------------------------------------------------------------------------


def test_it_asks_a_signature_right_after_a_wrong_password_to_wait(claim: Claim, reviewer: User) -> None:
    with pytest.raises(ReviewRefused):
        signed(claim, reviewer, password="nope")
    with pytest.raises(ReviewRefused, match="Wait 1 s before signing again") as refused:
        approve(claim, reviewer)
    assert refused.value.kind == RefusalKind.THROTTLED
    assert fresh(claim).status == ClaimStatus.IN_REVIEW


def test_it_signs_with_the_right_password_after_the_wait(claim: Claim, reviewer: User) -> None:
    with pytest.raises(ReviewRefused):
        signed(claim, reviewer, password="nope")
    time_passes(1.1)
    approve(claim, reviewer)
    assert fresh(claim).status == ClaimStatus.APPROVED


def test_it_counts_only_wrong_passwords_towards_the_wait(claim: Claim, reviewer: User) -> None:
    with pytest.raises(ReviewRefused):
        signed(claim, reviewer, password="nope")
    with pytest.raises(ReviewRefused):
        approve(claim, reviewer)  # too early: recorded as throttled, and the wait does not grow
    time_passes(1.1)
    approve(claim, reviewer)
    assert fresh(claim).status == ClaimStatus.APPROVED


def test_the_signing_page_says_how_long_to_wait(claim: Claim, reviewer: User) -> None:
    client = Client()
    client.force_login(reviewer)
    form = {
        "version": claim.version,
        "decision": "approve",
        "evidence_grade": "high",
        "signature_meaning": DEFAULT_MEANING,
        "username": reviewer.username,
        "password": "nope",
    }
    client.post(f"/claims/{claim.pk}/review/", form)
    response = client.post(f"/claims/{claim.pk}/review/", {**form, "password": PASSWORD})
    assert "Wait 1 s before signing again" in response.content.decode()
    assert fresh(claim).status == ClaimStatus.IN_REVIEW
