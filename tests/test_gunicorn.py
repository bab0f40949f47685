"""The real gunicorn with gunicorn.conf.py: slow clients cannot starve the health check.

With sync workers, a client that sends its request slowly holds a whole worker process;
two of them held both default workers and /healthz timed out. Threaded workers keep
serving from their free threads.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthz_status(port: int, timeout: float) -> int:
    """The status /healthz answers with (503 is an answer too: this database is not migrated)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def one_worker(tmp_path: Path) -> Iterator[int]:
    """gunicorn.conf.py as deployed, with a single worker process, on an empty SQLite file."""
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed beside this Python")
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_LOG_LEVEL": "warning",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
    }
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [str(GUNICORN), "-c", "gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                healthz_status(port, timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_it_answers_the_health_check_while_two_slow_clients_hold_requests_open(one_worker: int) -> None:
    slow = [socket.create_connection(("127.0.0.1", one_worker)) for _ in range(2)]
    try:
        for client in slow:
            # Half a request: the server waits for the rest, as it would for a slow uploader.
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.5)  # both are being read by the worker now
        assert healthz_status(one_worker, timeout=5) in (200, 503)
    finally:
        for client in slow:
            client.close()
