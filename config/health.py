"""GET /healthz: may a load balancer send this app server traffic?

200 when the database answers and every migration is applied; 503 otherwise. The
body also says how far behind the background worker is (READY task rows and the age
of the oldest) and whether the audit chain still continues from its anchor, which a
monitor alerts on but which do not take the server out.
No authentication and no details beyond ok/unreachable/pending: it is public.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger(__name__)


def pending_migrations(connection: BaseDatabaseWrapper) -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def task_backlog(connection: BaseDatabaseWrapper) -> dict[str, int | None]:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    # A savepoint, so a missing table (tasks app not migrated yet) cannot spoil an
    # enclosing transaction.
    with transaction.atomic(using=connection.alias):
        row = (
            DBTaskResult.objects.using(connection.alias)
            .filter(status=TaskResultStatus.READY)
            .aggregate(pending=Count("id"), oldest=Min("enqueued_at"))
        )
    oldest = row["oldest"]
    return {
        "pending": row["pending"],
        "oldest_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }


def check(connection: BaseDatabaseWrapper) -> tuple[bool, dict[str, Any]]:
    """(healthy, report) for one database connection."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        log.warning("health check: database %s unreachable (%s)", connection.alias, type(exc).__name__)
        return False, {"database": "unreachable", "migrations": "unknown", "tasks": None}
    pending = pending_migrations(connection)
    if pending:
        log.warning("health check: %d migrations not applied", len(pending))
    try:
        tasks: dict[str, int | None] | None = task_backlog(connection)
    except DatabaseError:
        tasks = None
    report = {"database": "ok", "migrations": "pending" if pending else "ok", "tasks": tasks, "audit": audit_state()}
    return not pending, report


def audit_state() -> str:
    """ "ok", or "broken" when the chain no longer continues from its anchor (details: the integrity page).

    A broken trail is an alarm for an operator, not a reason to take the server out of rotation.
    """
    from review.audit.anchor import state

    try:
        problem = state()
    except DatabaseError:
        return "unknown"
    if problem:
        log.critical("health check: the audit trail is broken", extra={"detail": problem})
        return "broken"
    return "ok"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = check(connections[DEFAULT_DB_ALIAS])
    return JsonResponse(report, status=200 if healthy else 503)
