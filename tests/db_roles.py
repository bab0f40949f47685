"""The two PostgreSQL roles of a deployment, for tests: the tables' owner and the app's role.

`app_role` creates a role with a unique name (parallel runs never clash) inside the test's
transaction and grants it what `grant_app_role` grants; the rollback at the end of the test
removes it. `acting_as(role)` runs a block with that role's rights (SET ROLE), as the web and
worker processes would: the owner is the test's own connection user.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connection

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's")


def unique_role() -> str:
    return f"vetted_app_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def app_role(db: None) -> str:
    name = unique_role()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOLOGIN")
    call_command("grant_app_role", name, stdout=io.StringIO())
    return name


@contextmanager
def acting_as(role: str | None) -> Iterator[None]:
    """Run the block as `role` (None: as the owner, the test's own user)."""
    if role is None:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
