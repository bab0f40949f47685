"""The app's own database role: row rights only, so the append-only triggers hold against it."""

from __future__ import annotations

import io
from typing import Any

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from content.models import Claim, ClaimVersion
from review import audit
from review.audit.verify import run_verification
from review.models import AuditEvent, Channel
from review.publishing.actions import publish_claim
from tests.db_roles import acting_as, app_role, postgres_only, unique_role
from tests.test_library import approve, claims_of, import_claims

__all__ = ["app_role"]  # the fixture, imported for the tests below

pytestmark = pytest.mark.django_db


def refused(sql: str, params: list[Any] | None = None) -> str:
    """Run `sql` in a savepoint and return the database's refusal (fails the test if it is accepted)."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])
    return str(caught.value)


def quoted(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def history_table() -> str:
    return connection.ops.quote_name(Claim.history.model._meta.db_table)  # type: ignore[attr-defined]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite half")
def test_it_says_in_one_line_that_sqlite_has_no_roles() -> None:
    with pytest.raises(CommandError, match="needs PostgreSQL") as caught:
        call_command("grant_app_role", "vetted_app")
    assert "\n" not in str(caught.value)


@postgres_only
def test_it_refuses_a_role_that_does_not_exist() -> None:
    with pytest.raises(CommandError, match="There is no role"):
        call_command("grant_app_role", unique_role())


@postgres_only
@pytest.mark.parametrize("name", ["Robert'); DROP TABLE x; --", "", "a" * 64])
def test_it_refuses_a_name_that_is_not_a_plain_role_name(name: str) -> None:
    with pytest.raises(CommandError, match="not a plain role name"):
        call_command("grant_app_role", name)


@postgres_only
def test_it_refuses_the_owner_itself() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
    with pytest.raises(CommandError, match=r"superuser|owns the tables"):
        call_command("grant_app_role", owner)


@postgres_only
@pytest.mark.parametrize(("attribute", "why"), [("SUPERUSER", "is a superuser"), ("CREATEROLE", "has CREATEROLE")])
def test_it_refuses_a_role_that_could_become_the_owner(attribute: str, why: str) -> None:
    name = unique_role()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOLOGIN {attribute}")
    with pytest.raises(CommandError, match=why):
        call_command("grant_app_role", name)


@postgres_only
def test_it_refuses_a_member_of_the_owner() -> None:
    owner, member = unique_role(), unique_role()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {owner} NOLOGIN")
        cursor.execute(f"CREATE ROLE {member} NOLOGIN IN ROLE {owner}")
        cursor.execute(f"ALTER TABLE {quoted(Channel)} OWNER TO {owner}")
    with pytest.raises(CommandError, match="owns the tables"):
        call_command("grant_app_role", member)


@postgres_only
def test_it_grants_again_without_change(app_role: str) -> None:
    out = io.StringIO()
    call_command("grant_app_role", app_role, stdout=out)
    assert out.getvalue().startswith(f"{app_role} may now read and write the rows of ")


@postgres_only
def test_it_lets_the_app_role_do_ordinary_work(app_role: str, author: User, reviewer: User, publisher: User) -> None:
    channel = Channel.objects.create(name="Website", slug="website", audience="patient", min_grade="low")
    with acting_as(app_role):
        claim = claims_of(import_claims(author, "Walking lowers blood pressure (Smith, 2019)."))[0]
        publish_claim(approve(claim, reviewer), channel, by=publisher)
        audit.write_anchor()  # as after the commit
        result, _ = run_verification()
    assert result.ok, result.detail


@postgres_only
def test_it_refuses_the_app_role_disabling_the_triggers(app_role: str) -> None:
    with acting_as(app_role):
        for table in audit.append_only_tables():
            name = connection.ops.quote_name(table)
            assert "must be owner" in refused(f"ALTER TABLE {name} DISABLE TRIGGER USER")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [AuditEvent._meta.db_table],
            )
            (trigger,) = cursor.fetchone()
        assert "must be owner" in refused(f"DROP TRIGGER {trigger} ON {quoted(AuditEvent)}")
        assert "permission denied" in refused(f"TRUNCATE {quoted(AuditEvent)}")


@postgres_only
@pytest.mark.parametrize("as_owner", [False, True], ids=["app role", "owner"])
def test_it_refuses_updates_and_deletes_of_history_versions_and_events(
    app_role: str, author: User, reviewer: User, as_owner: bool
) -> None:
    approve(claims_of(import_claims(author, "Walking lowers blood pressure (Smith, 2019)."))[0], reviewer)
    tried = set()
    with acting_as(None if as_owner else app_role):
        for table in audit.append_only_tables():
            name = connection.ops.quote_name(table)
            with connection.cursor() as cursor:
                pk = connection.ops.quote_name(connection.introspection.get_primary_key_column(cursor, table) or "")
                cursor.execute(f"SELECT count(*) FROM {name}")
                if not cursor.fetchone()[0]:
                    continue
            assert "append-only" in refused(f"UPDATE {name} SET {pk} = {pk}")
            assert "append-only" in refused(f"DELETE FROM {name}")
            tried.add(name)
    assert {history_table(), quoted(ClaimVersion), quoted(AuditEvent)} <= tried


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_real_app_role_connection_the_ddl_and_the_history_edits(groups: None) -> None:
    """The same refusals over a connection that logs in as the role (not SET ROLE)."""
    audit.record(None, "test.committed")  # a committed row the app role could try to change
    name = unique_role()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN")
    try:
        call_command("grant_app_role", name, stdout=io.StringIO())
        db = connection.settings_dict
        with psycopg.connect(
            host=db["HOST"], port=db["PORT"] or 5432, dbname=db["NAME"], user=name, autocommit=True
        ) as app:
            assert app.execute("SELECT count(*) FROM review_auditevent").fetchone() == (1,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"):
                app.execute("ALTER TABLE review_auditevent DISABLE TRIGGER USER")
            with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
                app.execute("UPDATE review_auditevent SET reason = 'nothing happened'")
            with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
                app.execute("DELETE FROM review_auditevent")
            app.execute("UPDATE review_channel SET name = name")  # row rights on live tables it has
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {name}")
            cursor.execute(f"DROP ROLE {name}")
