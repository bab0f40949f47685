"""config.retry: a request is run again after a lost lock race only if it has committed nothing yet."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import RequestFactory
from django.urls import resolve

from config.retry import CommitWatch, run_again

# Commits for real: on_commit fires only when the outermost transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


def test_it_counts_a_write_whose_transaction_commits() -> None:
    watch = CommitWatch()
    with connection.execute_wrapper(watch), transaction.atomic():
        Group.objects.create(name="Editors")
        assert not watch.committed  # not yet: the transaction could still roll back
    assert watch.committed


def test_it_ignores_a_write_that_was_rolled_back() -> None:
    watch = CommitWatch()
    with connection.execute_wrapper(watch):
        with pytest.raises(RuntimeError), transaction.atomic():
            Group.objects.create(name="Editors")
            raise RuntimeError("the verb refused")
    assert not watch.committed


def test_it_counts_a_write_in_autocommit_mode() -> None:
    watch = CommitWatch()
    with connection.execute_wrapper(watch):
        Group.objects.create(name="Editors")
    assert watch.committed


def test_it_ignores_reads() -> None:
    watch = CommitWatch()
    with connection.execute_wrapper(watch), transaction.atomic():
        list(Group.objects.select_for_update())
    assert not watch.committed


def test_it_does_not_run_a_request_again_after_it_committed_a_write() -> None:
    request = RequestFactory().post("/claims/1/submit/")
    request.resolver_match = resolve("/claims/1/submit/")
    watch = CommitWatch()
    watch.committed = True
    assert run_again(request, watch, "deadlock detected") is None
