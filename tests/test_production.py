"""Production settings, the read-replica router and structured logs.

The settings tests start a fresh Python with production environment variables,
because settings are read once per process.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from config.db_router import use_replica
from config.logging import JsonFormatter, RequestIdFilter
from content.models import Claim
from review.models import Channel, ChannelToken
from tests.conftest import client_for, first_claim

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DEBUG": "0",
    "SECRET_KEY": "x7Qm2Lr9-Vw4Zt8Kp1Hs6Nd3Fg5Jb0Cy2Ue7Ai9Ox4Rl8Mq1Tn6",
    "ALLOWED_HOSTS": "vetted.example",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/vetted_h6",
}
SHOW_SETTINGS = """
import django, json
django.setup()
from django.conf import settings as s
print(json.dumps({
    "hsts": s.SECURE_HSTS_SECONDS, "session_secure": s.SESSION_COOKIE_SECURE, "csrf_secure": s.CSRF_COOKIE_SECURE,
    "ssl_redirect": s.SECURE_SSL_REDIRECT, "static": s.STORAGES["staticfiles"]["BACKEND"],
    "cache": s.CACHES["default"]["BACKEND"], "replica": s.DATABASES["replica"]["NAME"],
}))
"""


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    # A clean slate: nothing from this test run (e.g. the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE) leaks in.
    dropped = {*PRODUCTION_ENV, "REDIS_URL", "DATABASE_REPLICA_URL"}
    base = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_settings(**overrides: str) -> dict[str, Any]:
    result = run_python(SHOW_SETTINGS, **{**PRODUCTION_ENV, **overrides})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- production settings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:///db.sqlite3"}, "DATABASE_URL"),
        ({"DEBUG": "1"}, "DEBUG must be off"),
    ],
)
def test_it_refuses_to_start_production_without_what_it_needs(missing: dict[str, str], message: str) -> None:
    result = run_python("import django; django.setup()", **{**PRODUCTION_ENV, **missing})
    assert (result.returncode, message in result.stderr) == (1, True)


def test_it_passes_the_deploy_checks() -> None:
    result = run_python(
        "import sys; from django.core.management import execute_from_command_line;"
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr


def test_it_hardens_cookies_transport_and_static_files_in_production() -> None:
    assert production_settings() == {
        "hsts": 31536000,
        "session_secure": True,
        "csrf_secure": True,
        "ssl_redirect": True,
        "static": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "cache": "django.core.cache.backends.db.DatabaseCache",
        "replica": "vetted_h6",
    }


def test_it_caches_in_redis_when_redis_url_is_set() -> None:
    assert production_settings(REDIS_URL="redis://127.0.0.1:6379/0")["cache"] == (
        "django.core.cache.backends.redis.RedisCache"
    )


def test_it_reads_from_the_replica_named_by_database_replica_url() -> None:
    replica = "postgres://postgres@127.0.0.1:5432/vetted_replica"
    assert production_settings(DATABASE_REPLICA_URL=replica)["replica"] == "vetted_replica"


# --- read replica routing ----------------------------------------------------------------------

REPLICA_DB = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(autouse=True)
def anchor_in_tmp(settings: Any, tmp_path: Any) -> None:
    """These tests commit, and a committed audit event rewrites the audit anchor: keep it out of var/."""
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchor.json"


def count_channels(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(Channel.objects.count()))


def make_channel(slug: str = "partner-api") -> Channel:
    return Channel.objects.create(name=slug.title(), slug=slug, audience="professional")


def queries_on(alias: str, call: Any) -> int:
    with CaptureQueriesContext(connections[alias]) as captured:
        call()
    return len(captured)


@REPLICA_DB
def test_it_reads_a_marked_view_from_the_replica() -> None:
    make_channel()
    view = use_replica(count_channels)
    with CaptureQueriesContext(connections["replica"]) as captured:
        response = view(RequestFactory().get("/"))
    assert (len(captured), response.content) == (1, b"1")


@REPLICA_DB
def test_it_keeps_unmarked_views_on_the_primary() -> None:
    assert queries_on("replica", lambda: count_channels(RequestFactory().get("/"))) == 0


@REPLICA_DB
def test_it_keeps_posts_to_a_marked_view_on_the_primary() -> None:
    view = use_replica(count_channels)
    assert queries_on("replica", lambda: view(RequestFactory().post("/"))) == 0


@REPLICA_DB
def test_it_reads_on_the_primary_inside_a_transaction() -> None:
    view = use_replica(count_channels)
    with transaction.atomic():
        make_channel()
        with CaptureQueriesContext(connections["replica"]) as captured:
            response = view(RequestFactory().get("/"))
    assert (len(captured), response.content) == (0, b"1")


@REPLICA_DB
def test_it_reads_sessions_and_accounts_from_the_primary_in_a_marked_view() -> None:
    User.objects.create_user("someone")

    def who(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(User.objects.count()))

    assert queries_on("replica", lambda: use_replica(who)(RequestFactory().get("/"))) == 0


@REPLICA_DB
def test_it_writes_to_the_primary_from_a_marked_view() -> None:
    def create(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(make_channel("made-in-a-read-view").pk))

    response = use_replica(create)(RequestFactory().get("/"))
    assert Channel.objects.using("default").filter(pk=int(response.content)).exists()


@REPLICA_DB
def test_it_serves_the_channel_feed_from_the_replica_with_caching_headers() -> None:
    _token, key = ChannelToken.issue(make_channel(), by=User.objects.create_user("issuer"))
    with CaptureQueriesContext(connections["replica"]) as captured:
        response = Client().get("/api/v1/channels/partner-api/feed/", headers={"Authorization": f"Channel {key}"})
    assert (response.status_code, len(captured) > 0, bool(response["ETag"]), "Cache-Control" in response) == (
        200,
        True,
        True,
        True,
    )


# --- structured logs -----------------------------------------------------------------------------


def test_it_echoes_the_callers_request_id(db: None) -> None:
    response = Client().get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert response["X-Request-ID"] == "lb-7f3a.42"


def test_it_makes_a_request_id_when_none_is_given(db: None) -> None:
    assert len(Client().get("/healthz")["X-Request-ID"]) == 32


def test_it_replaces_a_request_id_that_could_forge_log_lines(db: None) -> None:
    forged = 'x" "level": "INFO'
    assert Client().get("/healthz", headers={"X-Request-ID": forged})["X-Request-ID"] != forged


def test_it_stamps_djangos_own_error_response_line_with_the_request_id(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    Client().get("/api/v1/articles/", headers={"X-Request-ID": "req-403"})  # anonymous: 403, logged after middleware
    assert [r.request_id for r in caplog.records if r.name == "django.request"] == ["req-403"]


def test_it_writes_one_json_object_per_line_with_the_request_id() -> None:
    record = logging.LogRecord("vetted.test", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.request_id = "abc"
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["message"], entry["level"], entry["logger"], entry["request_id"]) == (
        "hello world",
        "INFO",
        "vetted.test",
        "abc",
    )


def test_it_redacts_extra_fields_named_like_secrets() -> None:
    record = logging.LogRecord("vetted.test", logging.INFO, __file__, 1, "login", (), None)
    record.password = "hunter2"
    record.api_token = "tok"
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["password"], entry["api_token"]) == ("[redacted]", "[redacted]")


NEW_WORDING = "Adults who sleep seven hours show a brand-new wording benefit."


def revise_through_the_page(client: Client, claim: Claim) -> None:
    client.post(
        f"/claims/{claim.pk}/edit/",
        {"text": NEW_WORDING, "expected_version": claim.version, "change_reason": "Clearer wording"},
        headers={"X-Request-ID": "req-1"},
    )


def test_it_logs_a_state_change_with_model_user_action_and_reason(
    sample_article: Any, author: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="vetted.changes")
    caplog.handler.addFilter(RequestIdFilter())
    claim = first_claim(sample_article)
    revise_through_the_page(client_for(author), claim)
    logged = [vars(r) for r in caplog.records if r.name == "vetted.changes" and r.model == "content.Claim"]
    assert {k: logged[-1][k] for k in ("model", "object_id", "action", "user", "change_reason", "request_id")} == {
        "model": "content.Claim",
        "object_id": str(claim.pk),
        "action": "changed",
        "user": author.username,
        "change_reason": "Clearer wording",
        "request_id": "req-1",
    }


def test_it_never_logs_field_values_of_a_change(
    sample_article: Any, author: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    revise_through_the_page(client_for(author), first_claim(sample_article))
    assert caplog.records and "brand-new wording" not in caplog.text


def test_it_gives_a_sqlite_url_the_default_sqlite_options() -> None:
    from config.settings import database_settings

    assert database_settings("sqlite:////tmp/vetted-bench.sqlite3")["OPTIONS"] == {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }


def test_it_opens_a_sqlite_url_in_wal_mode(db: None, tmp_path: Any) -> None:
    from django.db.utils import ConnectionHandler

    from config.settings import database_settings

    handler = ConnectionHandler({"default": database_settings(f"sqlite:///{tmp_path}/bench.sqlite3")})
    with handler["default"].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    handler.close_all()
    assert mode == "wal"
