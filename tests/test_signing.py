"""Who signs: the user ID at a session's first signature (21 CFR 11.200(a)(1)); the throttle counts before it checks."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from content.models import Claim, ClaimStatus
from review.models import DEFAULT_MEANING, Refusal, RefusalKind, Review, SigningAttempts
from review.signing import THROTTLE_FAILURES, signing_locked
from tests import review_helpers
from tests.conftest import PASSWORD, client_for
from tests.review_helpers import fresh, queue_of

claim = review_helpers.claim


def form(c: Claim, **overrides: Any) -> dict[str, Any]:
    return {
        "version": c.version,
        "evidence_grade": "high",
        "decision": "approve",
        "signature_meaning": DEFAULT_MEANING,
        "password": PASSWORD,
    } | overrides


def sign_page(client: Client, c: Claim, **overrides: Any) -> Any:
    return client.post(f"/claims/{c.pk}/review/", form(c, **overrides))


def sign_api(client: Client | APIClient, c: Claim, **overrides: Any) -> Any:
    return client.post(f"/api/v1/claims/{c.pk}/reviews/", form(c, **overrides), format="json")


# --- the user ID at the first signature of a session ------------------------------------


def test_it_asks_for_the_user_id_at_the_first_signature_of_a_session(claim: Claim, reviewer: User) -> None:
    response = sign_page(client_for(reviewer), claim)
    assert response.status_code == 400
    assert "needs your user ID" in response.content.decode()
    assert not Review.objects.exists()


def test_it_shows_the_user_id_field_before_the_first_signature(claim: Claim, reviewer: User) -> None:
    response = client_for(reviewer).get(f"/claims/{claim.pk}/review/")
    assert 'autocomplete="username"' in response.content.decode()


def test_it_signs_with_the_user_id_and_password(claim: Claim, reviewer: User) -> None:
    response = sign_page(client_for(reviewer), claim, username=reviewer.username)
    assert (response.status_code, fresh(claim).status) == (302, ClaimStatus.APPROVED)


def test_it_refuses_someone_elses_user_id(claim: Claim, reviewer: User, second_reviewer: User) -> None:
    response = sign_page(client_for(reviewer), claim, username=second_reviewer.username)
    assert response.status_code == 400
    assert "not your user ID" in response.content.decode()


def test_it_asks_only_for_the_password_later_in_the_same_session(author: User, reviewer: User) -> None:
    first, second = queue_of(author, 2)
    client = client_for(reviewer)
    sign_page(client, first, username=reviewer.username)
    response = sign_page(client, second)
    assert (response.status_code, fresh(second).status) == (302, ClaimStatus.APPROVED)


def test_it_hides_the_user_id_field_later_in_the_same_session(author: User, reviewer: User) -> None:
    first, second = queue_of(author, 2)
    client = client_for(reviewer)
    sign_page(client, first, username=reviewer.username)
    response = client.get(f"/claims/{second.pk}/review/")
    assert 'autocomplete="username"' not in response.content.decode()


def test_it_asks_for_the_user_id_again_after_a_new_login(author: User, reviewer: User) -> None:
    first, second = queue_of(author, 2)
    client = client_for(reviewer)
    sign_page(client, first, username=reviewer.username)
    client.logout()
    client.post("/accounts/login/", {"username": reviewer.username, "password": PASSWORD})
    assert sign_page(client, second).status_code == 400


def test_it_needs_no_user_id_to_request_changes(claim: Claim, reviewer: User) -> None:
    response = sign_page(client_for(reviewer), claim, decision="request_changes", password="", nuance_note="Why?")
    assert (response.status_code, fresh(claim).status) == (302, ClaimStatus.CHANGES_REQUESTED)


def test_it_refuses_an_api_signature_without_the_user_id_with_400(claim: Claim, reviewer: User) -> None:
    response = sign_api(client_for(reviewer), claim)
    assert response.status_code == 400
    assert "username" in response.json()


def test_it_refuses_an_api_signature_under_another_user_id_with_400(
    claim: Claim, reviewer: User, second_reviewer: User
) -> None:
    response = sign_api(client_for(reviewer), claim, username=second_reviewer.username)
    assert (response.status_code, "username" in response.json()) == (400, True)


def test_it_asks_the_api_only_for_the_password_later_in_the_same_login_session(author: User, reviewer: User) -> None:
    first, second = queue_of(author, 2)
    client = client_for(reviewer)
    assert sign_api(client, first, username=reviewer.username).status_code == 201
    assert sign_api(client, second).status_code == 201


def test_it_asks_an_api_token_for_the_user_id_every_time(author: User, reviewer: User) -> None:
    # A token is no continuous session of access: every signature gives both components.
    first, second = queue_of(author, 2)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reviewer).key}")
    assert sign_api(client, first, username=reviewer.username).status_code == 201
    assert sign_api(client, second).status_code == 400


# --- the throttle counts before it checks ---------------------------------------------------


def test_it_gives_the_place_back_after_a_right_password(claim: Claim, reviewer: User) -> None:
    sign_api(client_for(reviewer), claim, username=reviewer.username)
    assert SigningAttempts.objects.get(user=reviewer).in_progress == 0


def test_it_counts_checks_under_way_against_the_limit(claim: Claim, reviewer: User) -> None:
    SigningAttempts.objects.create(user=reviewer, in_progress=THROTTLE_FAILURES)
    response = sign_api(client_for(reviewer), claim, username=reviewer.username)
    assert response.status_code == 403
    assert Refusal.objects.get().kind == RefusalKind.THROTTLED


def test_it_forgets_checks_that_never_finished_after_the_window(claim: Claim, reviewer: User) -> None:
    # A worker killed mid-check must not lock its signer out for good.
    stale = timezone.now() - timedelta(minutes=16)
    SigningAttempts.objects.create(user=reviewer, in_progress=THROTTLE_FAILURES, updated_at=stale)
    assert not signing_locked(reviewer)


@pytest.mark.django_db(transaction=True)
def test_it_evaluates_at_most_the_limit_of_concurrent_wrong_passwords(claim: Claim, reviewer: User) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("in-memory shared-cache SQLite fails concurrent writers at once; set SQLITE_TEST_FILE=1")
    attempts = 12
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            client = APIClient()
            client.force_authenticate(reviewer)
            barrier.wait(timeout=10)
            statuses.append(sign_api(client, claim, username=reviewer.username, password="wrong").status_code)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    kinds = list(Refusal.objects.values_list("kind", flat=True))
    assert (statuses, kinds.count(RefusalKind.WRONG_PASSWORD)) == ([403] * attempts, THROTTLE_FAILURES)
    assert kinds.count(RefusalKind.THROTTLED) == attempts - THROTTLE_FAILURES
