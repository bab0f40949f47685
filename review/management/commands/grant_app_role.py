"""Give the web and worker role the rights it needs and no more: `grant_app_role ROLE` (PostgreSQL).

The app must not run as the tables' owner: the owner may `ALTER TABLE ... DISABLE TRIGGER`
and then edit history, versions and audit events the append-only triggers protect. So
`migrate` runs as the owner, and the web server and worker as a second role that holds
only row rights (SELECT, INSERT, UPDATE, DELETE on tables; USAGE, SELECT on sequences):
no ownership, no TRUNCATE, no TRIGGER, no DDL. Run this as the owner after every
`migrate` and `createcachetable` (new tables need their grants); running it again changes
nothing. The role itself is created once by whoever administers the server
(`CREATE ROLE vetted_app LOGIN PASSWORD '...'`).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# What an unquoted PostgreSQL identifier may be; anything else is refused rather than quoted.
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class Command(BaseCommand):
    help = "Grant a PostgreSQL role the row rights the app needs (run as the tables' owner after migrate)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="The role the web and worker processes connect as, e.g. vetted_app.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")

    def handle(self, *args: Any, **options: Any) -> None:
        role: str = options["role"]
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError("grant_app_role needs PostgreSQL (DATABASE_URL=postgres://...): SQLite has no roles.")
        if not ROLE_NAME.fullmatch(role):
            raise CommandError(f"{role!r} is not a plain role name (lower-case letters, digits and _).")
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_schema()")
            owner, schema = cursor.fetchone()
            if problem := _unfit(cursor, role, owner, schema):
                raise CommandError(problem)
            quoted, where = connection.ops.quote_name(role), connection.ops.quote_name(schema)
            # Revoke first, so rights someone granted by hand (TRUNCATE, TRIGGER, REFERENCES) go too.
            for statement in (
                f"GRANT USAGE ON SCHEMA {where} TO {quoted}",
                f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {quoted}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {quoted}",
                f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {where} FROM {quoted}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {quoted}",
            ):
                cursor.execute(statement)
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", [schema])
            (tables,) = cursor.fetchone()
            cursor.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')", [role, schema])
            (can_create,) = cursor.fetchone()
        self.stdout.write(
            f"{role} may now read and write the rows of {tables} tables in schema {schema}, and nothing else."
        )
        if can_create:
            # PostgreSQL before 15 lets every role create objects in public; it cannot touch ours, but say so.
            self.stderr.write(f"Warning: {role} may still CREATE in schema {schema} (REVOKE CREATE ON SCHEMA ...).")


def _unfit(cursor: Any, role: str, owner: str, schema: str) -> str:
    """Why `role` must not be the app's role (empty when it may)."""
    cursor.execute("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s", [role])
    row = cursor.fetchone()
    if row is None:
        return f"There is no role {role!r}; create it first: CREATE ROLE {role} LOGIN PASSWORD '...'."
    superuser, createrole = row
    if superuser:
        return f"{role} is a superuser: it could disable the append-only triggers. Use a plain role."
    if createrole:
        return f"{role} has CREATEROLE: it could make itself a member of the owner. Use a plain role."
    # Membership in the owner (or being it) gives the owner's rights, ALTER TABLE among them.
    cursor.execute(
        "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND pg_has_role(%s, tableowner, 'MEMBER')",
        [schema, role],
    )
    (owned,) = cursor.fetchone()
    if role == owner or owned:
        return f"{role} owns the tables (or is a member of their owner): run the app as a second role."
    return ""
