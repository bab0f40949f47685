"""Optimistic locking under real concurrency: two editors, two connections, one winner."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models.signals import pre_save

from content.exceptions import StaleVersion
from content.models import Claim, Reference
from tests.conftest import first_claim, import_text, numbered_text


# pytest-django runs SQLite tests on an in-memory, shared-cache database. Shared
# cache locks whole tables and reports a conflict at once ("database table is
# locked") instead of waiting out the busy timeout, so a second writer fails with
# OperationalError rather than queueing behind BEGIN IMMEDIATE as it does on the
# file database the app runs on. PostgreSQL (the production database, in CI)
# runs these tests with real row locks.
@pytest.fixture(autouse=True)
def real_locks(transactional_db: None) -> None:
    # Checked here, not at import: the test database's name is known only once it is set up.
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "in-memory shared-cache SQLite fails concurrent writers instead of queueing them; run on PostgreSQL"
        )


@pytest.fixture
def slow_saves() -> Iterator[None]:
    """Hold each claim save for a moment, so both editors are inside revise() at once.

    Without the row lock both would read version 1 and both would think they won;
    the pause only widens that window, nothing here asserts on time.
    """

    def pause(sender: type[Claim], **kwargs: Any) -> None:
        time.sleep(0.2)

    pre_save.connect(pause, sender=Claim, dispatch_uid="test_locking_pause")
    yield
    pre_save.disconnect(sender=Claim, dispatch_uid="test_locking_pause")


def race(claim_pk: int, author_pk: int, texts: list[str]) -> list[str]:
    """Run one revision per text, each in its own thread and DB connection, all from version 1."""
    barrier = threading.Barrier(len(texts))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def edit(text: str) -> None:
        try:
            by = User.objects.get(pk=author_pk)
            claim = Claim.objects.get(pk=claim_pk)
            barrier.wait(timeout=10)
            claim.revise(text=text, expected_version=1, reason=f"Edit to {text!r}", by=by)
            outcomes.append("saved")
        except StaleVersion:
            outcomes.append("stale")
        except BaseException as exc:  # reported to the test below, not swallowed
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=edit, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_simultaneous_revisions_win(author: User, slow_saves: None) -> None:
    claim = first_claim(import_text(author, numbered_text(1)))
    assert race(claim.pk, author.pk, ["Editor one's words.", "Editor two's words."]) == ["saved", "stale"]


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_new_version_after_a_race(author: User, slow_saves: None) -> None:
    claim = first_claim(import_text(author, numbered_text(1)))
    race(claim.pk, author.pk, ["Editor one's words.", "Editor two's words."])
    claim.refresh_from_db()
    assert claim.version == 2
    assert list(claim.versions.values_list("version", flat=True)) == [1, 2]


@pytest.fixture
def slow_reference_saves() -> Iterator[None]:
    """Hold each new reference's save, so both imports have looked for it before either writes it."""

    def pause(sender: type[Reference], **kwargs: Any) -> None:
        time.sleep(0.2)

    pre_save.connect(pause, sender=Reference, dispatch_uid="test_locking_reference_pause")
    yield
    pre_save.disconnect(sender=Reference, dispatch_uid="test_locking_reference_pause")


def test_it_shares_a_new_reference_between_two_simultaneous_imports(
    author: User, other_author: User, slow_reference_saves: None
) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(user_pk: int, title: str) -> None:
        try:
            user = User.objects.get(pk=user_pk)
            barrier.wait(timeout=10)
            import_text(user, f"{title}\n\nBody water is mostly inside cells (Popkin, 2010).\n")
        except BaseException as exc:  # reported to the test below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(author.pk, "Water")),
        threading.Thread(target=run, args=(other_author.pk, "Fluids")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert (errors, Reference.objects.filter(key="popkin|2010").count(), Claim.objects.count()) == ([], 1, 2)
