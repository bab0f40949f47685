"""GET /healthz: 200 when the database answers and migrations are applied, 503 otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import load_backend
from django.test import Client
from django_tasks import task

from config import health


@task()
def nothing_to_do() -> None:
    """A real task for the backlog figures; never run here."""


@pytest.fixture
def unreachable(django_db_blocker: Any) -> Iterator[BaseDatabaseWrapper]:
    """A real PostgreSQL connection to an address where nothing listens (port 1)."""
    settings_dict = connections.configure_settings(
        {
            "default": {"ENGINE": "django.db.backends.dummy"},
            "down": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "vetted",
                "USER": "postgres",
                "HOST": "127.0.0.1",
                "PORT": "1",
                "OPTIONS": {"connect_timeout": 3},
            },
        }
    )["down"]
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "down")
    with django_db_blocker.unblock():  # pytest-django blocks every connection not made through its fixtures
        yield wrapper
    wrapper.close()


def test_it_reports_healthy_without_a_login(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "migrations": "ok",
        "tasks": {"pending": 0, "oldest_seconds": 0},
        "audit": "ok",
    }


def test_it_counts_tasks_waiting_for_the_worker(db: None) -> None:
    nothing_to_do.enqueue()
    nothing_to_do.enqueue()
    assert Client().get("/healthz").json()["tasks"]["pending"] == 2


def test_it_is_503_when_a_migration_is_not_applied(db: None) -> None:
    app_label, name = MigrationExecutor(connection).loader.graph.leaf_nodes()[0]
    MigrationRecorder(connection).record_unapplied(app_label, name)  # rolled back with the test
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"


def test_it_reports_an_unreachable_database(unreachable: BaseDatabaseWrapper) -> None:
    healthy, report = health.check(unreachable)
    assert not healthy
    assert report == {"database": "unreachable", "migrations": "unknown", "tasks": None}


def test_it_is_never_cached(db: None) -> None:
    assert "no-cache" in Client().get("/healthz")["Cache-Control"]


def test_it_refuses_post(db: None) -> None:
    assert Client().post("/healthz").status_code == 405
