"""Browser fixtures: Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("E2E_OUTPUT", Path(__file__).resolve().parents[2] / "test-results" / "e2e"))

# Playwright's sync API runs an event loop in this thread; the test itself
# still talks to the database synchronously, which Django allows only when told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"No Chromium at {CHROMIUM}: install Debian's chromium package to run browser tests")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


class SerialWSGIServer(WSGIServer):
    """Serves one request at a time (Django then answers each with Connection: close)."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def serial_live_server_on_memory_sqlite() -> Iterator[None]:
    """On in-memory SQLite every live-server request uses the test's own connection, so two
    requests at once (a page's background fetch beside a navigation) would interleave their
    transactions on it and break the database for later tests; there, serve them in turn."""
    from django.db import connection

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    threaded = LiveServerThread.server_class
    LiveServerThread.server_class = SerialWSGIServer
    yield
    LiveServerThread.server_class = threaded


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    folder = SHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)  # only this run's steps, numbered in order
    folder.mkdir(parents=True, exist_ok=True)
    return folder
