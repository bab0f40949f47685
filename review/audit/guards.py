"""Append-only in the database: which models are governed, and the triggers refusing UPDATE and DELETE.

The triggers cover every history table of a governed model, ClaimVersion, Rendition (the bytes a
channel served) and the audit tables.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.apps import apps
from django.core import checks
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from simple_history.models import HistoricalChanges

from content.governance import GovernedQuerySet
from content.models import ClaimVersion
from review.models import AuditEvent, AuditVerification, Rendition

logger = logging.getLogger(__name__)

GOVERNED_APPS = ("content", "review")


TRIGGER_FUNCTION = "vetted_refuse_change"


def is_governed(model: type[models.Model]) -> bool:
    return model._meta.app_label in GOVERNED_APPS and hasattr(model._meta, "simple_history_manager_attribute")


def governed_models() -> list[type[models.Model]]:
    """Every model with a history manager in the content and review apps, found at run time."""
    return [m for label in GOVERNED_APPS for m in apps.get_app_config(label).get_models() if is_governed(m)]


def history_model(model: type[models.Model]) -> Any:
    return getattr(model, model._meta.simple_history_manager_attribute).model  # type: ignore[attr-defined]


def append_only_tables() -> list[str]:
    """History tables (rows and m2m rows) of the governed models, ClaimVersion, Rendition and the audit tables."""
    tables = [
        m._meta.db_table
        for label in GOVERNED_APPS
        for m in apps.get_app_config(label).get_models()
        if issubclass(m, HistoricalChanges)
    ]
    tables += [ClaimVersion._meta.db_table, Rendition._meta.db_table]
    tables += [AuditEvent._meta.db_table, AuditVerification._meta.db_table]
    return sorted(set(tables))


def _trigger_name(table: str, op: str) -> str:
    name = f"vetted_ao_{op}_{table}"
    if len(name) > 60:  # PostgreSQL identifiers stop at 63 bytes
        name = f"vetted_ao_{op}_{hashlib.sha256(table.encode()).hexdigest()[:16]}"
    return name


def install_append_only_triggers(connection: BaseDatabaseWrapper) -> list[str]:
    """Create (idempotently) the UPDATE/DELETE-refusing triggers on every append-only table that exists.

    Safe to run again at any time: PostgreSQL uses CREATE OR REPLACE, SQLite
    IF NOT EXISTS. Tables not created yet are skipped; the post_migrate receiver
    runs this again after every migrate, so history tables added later get
    their triggers too. Returns the tables guarded.
    """
    existing = set(connection.introspection.table_names())
    tables = [t for t in append_only_tables() if t in existing]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                CREATE OR REPLACE FUNCTION {TRIGGER_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'vetted: % on % refused: the table is append-only', TG_OP, TG_TABLE_NAME
                        USING ERRCODE = 'restrict_violation';
                END
                $$
                """
            )
            for table in tables:
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {quote(_trigger_name(table, 'ud'))} "
                    f"BEFORE UPDATE OR DELETE ON {quote(table)} "
                    f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER_FUNCTION}()"
                )
        elif connection.vendor == "sqlite":
            for table in tables:
                for op in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {quote(_trigger_name(table, op.lower()))} "
                        f"BEFORE {op} ON {quote(table)} "
                        f"BEGIN SELECT RAISE(ABORT, 'vetted: {op} on {table} refused: the table is append-only'); END"
                    )
        else:
            logger.warning("No append-only triggers for database vendor %s", connection.vendor)
            return []
    return tables


def drop_append_only_triggers(connection: BaseDatabaseWrapper) -> None:
    """Remove the triggers (migration rollback; SQLite's flush, which empties tables with DELETE)."""
    existing = set(connection.introspection.table_names())
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in append_only_tables():
            if connection.vendor == "postgresql" and table in existing:
                cursor.execute(f"DROP TRIGGER IF EXISTS {quote(_trigger_name(table, 'ud'))} ON {quote(table)}")
            elif connection.vendor == "sqlite":
                for op in ("update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {quote(_trigger_name(table, op))}")


@checks.register(checks.Tags.models)
def check_governed_managers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A governed model whose manager is not guarded lets bulk writes bypass the audit trail."""
    return [
        checks.Warning(
            f"{model._meta.label}'s default manager does not use content.governance.GovernedQuerySet, "
            "so QuerySet.update()/bulk_create()/delete() on it would bypass the audit trail.",
            hint="Add `objects = GovernedQuerySet.as_manager()` (or base its QuerySet on GovernedQuerySet).",
            obj=model,
            id="vetted.W001",
        )
        for model in governed_models()
        if not issubclass(getattr(model._default_manager, "_queryset_class", QuerySet), GovernedQuerySet)
    ]
