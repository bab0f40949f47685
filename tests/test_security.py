"""Hardening: security headers, idle sessions, login throttling and lockout, deactivated users,
and no passwords in logs."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from config.logging import JsonFormatter, RequestIdFilter
from content.models import Claim
from review.models import AuditEvent, Decision, EvidenceGrade
from tests import review_helpers
from tests.conftest import PASSWORD

claim = review_helpers.claim

LOGIN = "/accounts/login/"
WRONG = "Wrong-Pa55word-never-logged"
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def login(client: Client, username: str, password: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password})


def without_csrf_token(html: str) -> str:
    """The page minus its per-response CSRF token, which differs on every render by design."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


# --- headers -----------------------------------------------------------------------


def test_it_sends_a_content_security_policy_without_inline_script(db: None) -> None:
    policy = Client().get(LOGIN)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "object-src": "'none'",
    }


def test_it_denies_framing_sniffing_and_cross_site_referrers(db: None) -> None:
    response = Client().get(LOGIN)
    assert (response["X-Frame-Options"], response["X-Content-Type-Options"], response["Referrer-Policy"]) == (
        "DENY",
        "nosniff",
        "same-origin",
    )


def test_it_keeps_the_session_cookie_from_scripts(author: User) -> None:
    response = login(Client(), author.username, PASSWORD)
    assert response.cookies[settings.SESSION_COOKIE_NAME]["httponly"]


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_it_has_no_inline_script_in_templates(template: Path) -> None:
    html = template.read_text("utf-8")
    # <script> must load a file; JSON-LD is data, which the policy does not run.
    inline_scripts = [
        tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag and "application/ld+json" not in tag
    ]
    handlers = re.findall(r"\son[a-z]+\s*=", html)
    assert (inline_scripts, handlers, "javascript:" in html, "<style" in html, " style=" in html) == (
        [],
        [],
        False,
        False,
        False,
    )


def test_it_serves_the_api_docs_with_scripts_from_this_site_only(db: None) -> None:
    html = Client().get("/api/docs/").content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all('src="/' in tag for tag in scripts)


# --- sessions ------------------------------------------------------------------------


def test_it_logs_out_an_idle_session(author: User) -> None:
    client = Client()
    login(client, author.username, PASSWORD)
    Session.objects.filter(pk=client.session.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_it_extends_the_session_while_it_is_used(author: User) -> None:
    client = Client()
    login(client, author.username, PASSWORD)
    Session.objects.filter(pk=client.session.session_key).update(expire_date=timezone.now() + timedelta(minutes=1))
    client.get("/")
    expires = Session.objects.get(pk=client.session.session_key).expire_date
    assert expires > timezone.now() + timedelta(minutes=settings.SESSION_COOKIE_AGE // 60 - 1)


# --- login throttling ----------------------------------------------------------------------


def test_it_answers_unknown_users_and_wrong_passwords_alike(author: User) -> None:
    wrong_password = login(Client(), author.username, WRONG)
    unknown_user = login(Client(), "nobody-by-this-name", WRONG)
    assert (wrong_password.status_code, without_csrf_token(wrong_password.content.decode())) == (
        unknown_user.status_code,
        without_csrf_token(unknown_user.content.decode()),
    )


def test_it_locks_out_after_five_failures_even_with_the_right_password(author: User) -> None:
    client = Client()
    statuses = [login(client, author.username, WRONG).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    response = login(client, author.username, PASSWORD)
    assert (response.status_code, "_auth_user_id" in client.session) == (429, False)


def test_it_locks_out_unknown_usernames_with_the_same_page(author: User) -> None:
    known, unknown = Client(), Client()
    for _ in range(5):
        locked_known = login(known, author.username, WRONG)
        locked_unknown = login(unknown, "nobody-by-this-name", WRONG)
    assert (locked_known.status_code, without_csrf_token(locked_known.content.decode())) == (
        locked_unknown.status_code,
        without_csrf_token(locked_unknown.content.decode()),
    )


def test_it_keeps_the_account_open_from_another_address(author: User) -> None:
    for _ in range(5):
        login(Client(REMOTE_ADDR="192.0.2.1"), author.username, WRONG)
    assert login(Client(REMOTE_ADDR="192.0.2.2"), author.username, PASSWORD).status_code == 302


def test_it_forgets_failures_after_a_successful_login(author: User) -> None:
    client = Client()
    for _ in range(4):
        login(client, author.username, WRONG)
    login(client, author.username, PASSWORD)
    client.post("/accounts/logout/")
    for _ in range(4):
        login(client, author.username, WRONG)
    assert login(client, author.username, PASSWORD).status_code == 302


def test_it_records_a_lockout_as_an_audit_event(author: User) -> None:
    client = Client()
    for _ in range(5):
        login(client, author.username, WRONG)
    event = AuditEvent.objects.get(type="auth.locked_out")
    assert (event.object_type, event.object_id, event.changes) == (
        "user",
        str(author.pk),
        {"username": [None, author.username]},
    )


# --- deactivated users ----------------------------------------------------------------------


def deactivate(user: User) -> None:
    user.is_active = False
    user.save()


def test_it_refuses_the_api_token_of_a_deactivated_user(author: User) -> None:
    token = Token.objects.create(user=author)
    deactivate(author)
    response = Client().get("/api/v1/articles/", headers={"Authorization": f"Token {token.key}"})
    # 403, not 401: DRF answers 401 only when the first authenticator (session) can name a challenge.
    assert (response.status_code, response.json()) == (403, {"detail": "User inactive or deleted."})


def test_it_logs_out_a_deactivated_user_on_the_next_request(author: User) -> None:
    client = Client()
    login(client, author.username, PASSWORD)
    deactivate(author)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- no passwords in logs --------------------------------------------------------------------


def written_logs(caplog: pytest.LogCaptureFixture) -> str:
    """Everything logged, as the deployed JSON formatter writes it, plus the raw captured text."""
    stamp, formatter = RequestIdFilter(), JsonFormatter()
    lines = []
    for record in caplog.records:
        stamp.filter(record)
        lines.append(formatter.format(record))
    return caplog.text + "\n".join(lines)


def test_it_never_logs_the_password_of_a_failed_login(author: User, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(5):  # through to the lockout, which logs the most
        login(Client(), author.username, WRONG)
    assert caplog.records and WRONG not in written_logs(caplog)
    assert not any(WRONG in a.post_data for a in AccessAttempt.objects.all())


def test_it_never_logs_the_password_of_a_signing_attempt(
    claim: Claim, reviewer: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.force_login(reviewer)
    response = client.post(
        f"/claims/{claim.pk}/review/",
        {
            "version": claim.version,
            "evidence_grade": EvidenceGrade.HIGH,
            "decision": Decision.APPROVE,
            "signature_meaning": "I confirm this claim version is medically accurate as worded",
            "password": WRONG,
        },
    )
    assert response.status_code in {400, 403}
    assert WRONG not in written_logs(caplog)
