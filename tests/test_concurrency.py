"""Writers at once, over HTTP: distinct slugs for one title, and one lock order so no deadlock becomes a 500.

Every thread has its own database connection and its own transactions
(transaction=True). On SQLite these need a file database (SQLITE_TEST_FILE=1, see
conftest): the in-memory one fails a second writer at once instead of queueing it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from content.locking import CHAIN_LOCK_KEY
from content.models import Article, Claim, ClaimStatus
from review import audit
from tests.conftest import first_claim, import_text, numbered_text

IMPORTS = 6


@pytest.fixture(autouse=True)
def real_locks(transactional_db: None) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("in-memory shared-cache SQLite fails concurrent writers at once; set SQLITE_TEST_FILE=1")


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread and connection, released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except BaseException as exc:  # reported to the test below, not swallowed
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def assert_audit_clean() -> None:
    audit.write_anchor()  # the head after every thread committed
    result = audit.verify_chain()
    assert result.ok, result.detail
    assert list(audit.reconcile()) == []


def test_it_gives_six_simultaneous_imports_of_one_title_six_slugs(author: User) -> None:
    text = numbered_text(3, title="Coffee and the heart")
    clients = [api_for(author) for _ in range(IMPORTS)]

    def importing(client: APIClient) -> Callable[[], Any]:
        # The same title and text each time: the slug race, not a duplicate import (that is refused unless forced).
        return lambda: client.post("/api/v1/articles/", {"text": text, "format": "text", "force": True}, format="json")

    responses = at_once([importing(c) for c in clients])
    assert [r.status_code for r in responses] == [201] * IMPORTS
    slugs = sorted(Article.objects.values_list("slug", flat=True))
    assert slugs == sorted(["coffee-and-the-heart"] + [f"coffee-and-the-heart-{n}" for n in range(2, IMPORTS + 1)])
    assert Claim.objects.count() == 3 * IMPORTS
    assert_audit_clean()


# --- one lock order; a deadlock that still happens is retried once, then a 503 ------------------------------------


@pytest.fixture
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks and deadlock detection are PostgreSQL's; SQLite has one write lock")


def other_writer() -> Any:
    """A second, raw connection to the test database, outside Django's per-thread handling."""
    raw = connection.get_new_connection(connection.get_connection_params())
    raw.autocommit = False
    return raw


def wait_for_a_lock_wait(raw: Any) -> None:
    """Until some other session waits for a lock (the request queued behind `raw`'s row lock)."""
    with raw.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with raw.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> %s", [mine])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the request never waited for the row lock")


def in_thread(call: Callable[[], Any]) -> Callable[[], Any]:
    """Start `call` in its own thread and connection; the returned function joins it and gives its result."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:
            box["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()

    def join() -> Any:
        thread.join(timeout=60)
        if "error" in box:
            raise box["error"]
        return box["result"]

    return join


def submit_by(author: User, claim: Claim, via: str) -> Callable[[], Any]:
    """The request, ready to send: logged in now (a login appends an audit event), so sending it
    writes only what the verb writes; build it before another writer holds any lock."""
    if via == "api":
        api = api_for(author)
        return lambda: api.post(f"/api/v1/claims/{claim.pk}/submit/", {}, format="json")
    client = Client()
    client.force_login(author)
    return lambda: client.post(f"/claims/{claim.pk}/submit/")


@pytest.mark.parametrize("via", ["api", "page"])
def test_it_retries_a_request_that_lost_a_real_deadlock(
    postgres_only: None, author: User, via: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A writer in the wrong order (row, then chain lock) against a request in the right one (chain, then row).

    The other writer locks the claim row; the request takes the chain lock and waits for
    the row; the other writer then asks for the chain lock: a cycle. PostgreSQL aborts
    the request's transaction (its wait started first, and the other writer checks for
    deadlocks only after 10 s). The request runs again in a fresh transaction, queues for
    the chain lock behind the other writer, and succeeds once that one has finished.
    """
    claim = first_claim(import_text(author, numbered_text(1)))
    submit = submit_by(author, claim, via)
    raw = other_writer()
    try:
        with raw.cursor() as cursor:
            cursor.execute("SET deadlock_timeout = '10s'")
            cursor.execute("SELECT id FROM content_claim WHERE id = %s FOR UPDATE", [claim.pk])
        response_of = in_thread(submit)
        wait_for_a_lock_wait(raw)
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    finally:
        raw.rollback()
        raw.close()
    response = response_of()
    assert response.status_code == (200 if via == "api" else 302)
    assert "met deadlock detected; trying once more" in caplog.text
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW
    assert_audit_clean()


def test_it_queues_a_request_behind_a_writer_that_holds_the_chain_lock(postgres_only: None, author: User) -> None:
    """The same two writers in the one order (chain lock, then row): the request waits its turn and succeeds."""
    claim = first_claim(import_text(author, numbered_text(1)))
    submit = submit_by(author, claim, "api")
    raw = other_writer()
    try:
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
            cursor.execute("SELECT id FROM content_claim WHERE id = %s FOR UPDATE", [claim.pk])
        response_of = in_thread(submit)
        wait_for_a_lock_wait(raw)
    finally:
        raw.rollback()
        raw.close()
    assert response_of().status_code == 200
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW
    assert_audit_clean()


@pytest.fixture
def sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's single write lock; PostgreSQL is covered by the deadlock tests above")


@pytest.fixture
def short_busy_timeout() -> Iterator[None]:
    """New connections give up after 1 s instead of the configured 20 s, so the test is quick."""
    options = connection.settings_dict["OPTIONS"]
    saved = options["timeout"]
    options["timeout"] = 1
    yield
    options["timeout"] = saved


def test_it_answers_a_database_locked_past_its_timeout_twice_with_503(
    sqlite_only: None, short_busy_timeout: None, author: User, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds SQLite's write lock past the busy timeout of both tries: 503 "try again", not 500."""
    claim = first_claim(import_text(author, numbered_text(1)))
    submit = submit_by(author, claim, "api")
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        response = in_thread(submit)()
    finally:
        other.rollback()
        other.close()
    assert (response.status_code, response["Retry-After"], response.json()["reason"]) == (503, "2", "database busy")
    assert "met database busy; trying once more" in caplog.text
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DRAFT


def wait_for_a_retry(caplog: pytest.LogCaptureFixture) -> None:
    deadline = time.monotonic() + 10
    while "trying once more" not in caplog.text:
        assert time.monotonic() < deadline, "the request was never retried"
        time.sleep(0.05)


@pytest.mark.parametrize("via", ["api", "page"])
def test_it_retries_a_request_that_found_the_database_locked(
    sqlite_only: None, short_busy_timeout: None, author: User, via: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The first try gives up after the busy timeout; the lock is released then, and the second try succeeds."""
    claim = first_claim(import_text(author, numbered_text(1)))
    submit = submit_by(author, claim, via)
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        response_of = in_thread(submit)
        wait_for_a_retry(caplog)
    finally:
        other.rollback()
        other.close()
    assert response_of().status_code == (200 if via == "api" else 302)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW
    assert_audit_clean()


def test_it_retries_an_upload_with_the_file_read_again(
    sqlite_only: None, short_busy_timeout: None, author: User, caplog: pytest.LogCaptureFixture
) -> None:
    """The second try reads the uploaded file from its start again, so the import is the whole file."""
    client = Client()
    client.force_login(author)
    upload = SimpleUploadedFile("sleep.txt", numbered_text(3, title="Sleep and the heart").encode())

    def send() -> Any:
        return client.post("/articles/import/", {"upload": upload, "format": "auto", "title": ""})

    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        response_of = in_thread(send)
        wait_for_a_retry(caplog)
    finally:
        other.rollback()
        other.close()
    response = response_of()
    article = Article.objects.get()
    assert response["Location"] == f"/articles/{article.pk}/"
    assert (article.title, article.claims.count()) == ("Sleep and the heart", 3)
