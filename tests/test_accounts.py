"""Accounts: what the audit trail keeps of login attempts, the chained account events (logout,
roles, activation, tokens, password changes), the password-change throttle, password reset
off by default, lockouts behind a trusted proxy, and the development keys in var/."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from config.settings import development_key
from config.urls import account_patterns
from review.models import AuditEvent, Channel, ChannelToken
from tests.conftest import PASSWORD, client_for, make_user
from tests.test_production import run_python

LOGIN = "/accounts/login/"
CHANGE = "/accounts/password_change/"
TYPED_PASSWORD = "Tr0ub4dor&3-typed-as-a-name"
NEW_PASSWORD = "a brand new passphrase 2026"


@pytest.fixture(autouse=True)
def empty_cache() -> Any:
    """The password-change counter lives in the cache, which outlives each test's database."""
    cache.clear()
    yield
    cache.clear()


def login(client: Client, username: str, password: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password})


def change_password(client: Client, old: str, new: str = NEW_PASSWORD, url: str = CHANGE) -> Any:
    return client.post(url, {"old_password": old, "new_password1": new, "new_password2": new})


def events(type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(type=type).order_by("id"))


def keyed_hash(name: str) -> str:
    return hmac.new(settings.AUDIT_KEY.encode(), name.encode(), hashlib.sha256).hexdigest()[:32]


# --- what a failed login keeps ---------------------------------------------------------------


def test_it_never_stores_an_unknown_typed_name_in_a_failed_login(db: None) -> None:
    login(Client(), TYPED_PASSWORD, "anything")
    [event] = events("auth.login_failed")
    assert TYPED_PASSWORD not in json.dumps(event.changes) + event.object_id + event.reason


def test_it_stores_a_keyed_hash_of_an_unknown_name(db: None) -> None:
    login(Client(), TYPED_PASSWORD, "anything")
    [event] = events("auth.login_failed")
    assert (event.object_id, event.changes) == ("", {"unknown_username_hmac": [None, keyed_hash(TYPED_PASSWORD)]})


def test_it_never_stores_an_unknown_typed_name_in_a_lockout(db: None, caplog: pytest.LogCaptureFixture) -> None:
    client = Client()
    for _ in range(5):
        login(client, TYPED_PASSWORD, "anything")
    [event] = events("auth.locked_out")
    assert event.changes == {"unknown_username_hmac": [None, keyed_hash(TYPED_PASSWORD)]}
    assert TYPED_PASSWORD not in caplog.text


def test_it_names_a_known_user_by_id_in_a_lockout(author: User) -> None:
    client = Client()
    for _ in range(5):
        login(client, author.username, "wrong password")
    assert events("auth.locked_out")[0].object_id == str(author.pk)


# --- chained account events ---------------------------------------------------------------------


def test_it_records_a_logout(author: User) -> None:
    client = client_for(author)
    client.post("/accounts/logout/")
    [event] = events("auth.logout")
    assert (event.actor, event.object_id) == (author, str(author.pk))


def test_it_records_a_role_granted(outsider: User) -> None:
    outsider.groups.add(Group.objects.get(name="Publishers"))
    [event] = events("auth.group_added")
    assert (event.object_id, event.changes) == (str(outsider.pk), {"groups": [None, ["Publishers"]]})


def test_it_records_a_role_removed(author: User) -> None:
    author.groups.remove(Group.objects.get(name="Authors"))
    [event] = events("auth.group_removed")
    assert (event.object_id, event.changes) == (str(author.pk), {"groups": [["Authors"], None]})


def test_it_records_a_role_granted_from_the_group_side(outsider: User) -> None:
    Group.objects.get(name="Compliance").user_set.add(outsider)
    [event] = events("auth.group_added")
    assert (event.object_id, event.changes) == (str(outsider.pk), {"groups": [None, ["Compliance"]]})


def test_it_records_every_role_cleared(author: User) -> None:
    author.groups.add(Group.objects.get(name="Publishers"))
    author.groups.clear()
    [event] = events("auth.group_removed")
    assert event.changes == {"groups": [["Authors", "Publishers"], None]}


def test_it_records_a_permission_granted(outsider: User) -> None:
    outsider.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    [event] = events("auth.permission_added")
    assert event.changes == {"user_permissions": [None, ["review.view_auditevent"]]}


def test_it_records_a_deactivation(author: User) -> None:
    author.is_active = False
    author.save()
    [event] = events("auth.user_deactivated")
    assert (event.object_id, event.changes) == (str(author.pk), {"is_active": [True, False]})


def test_it_records_a_reactivation(groups: None) -> None:
    user = make_user("frank", None, is_active=False)
    user.is_active = True
    user.save()
    assert [e.changes for e in events("auth.user_activated")] == [{"is_active": [False, True]}]


def test_it_records_no_account_event_for_an_ordinary_save(author: User) -> None:
    author.first_name = "Alicia"
    author.save()
    assert not AuditEvent.objects.filter(type__startswith="auth.user_").exists()


def test_it_records_an_api_token_created_without_its_key(author: User) -> None:
    token = Token.objects.create(user=author)
    [event] = events("auth.token_created")
    assert (event.object_type, event.object_id) == ("token", str(author.pk))
    assert token.key not in json.dumps(event.changes) + event.object_id


def test_it_records_an_api_token_deleted(author: User) -> None:
    Token.objects.create(user=author).delete()
    [event] = events("auth.token_deleted")
    assert (event.object_type, event.object_id) == ("token", str(author.pk))


def test_it_records_a_channel_token_issued_and_revoked(publisher: User) -> None:
    channel = Channel.objects.create(slug="partner", name="Partner feed")
    token, _key = ChannelToken.issue(channel, by=publisher, name="Partner")
    token.revoked_at = timezone.now()
    token.save()
    assert AuditEvent.objects.filter(object_type="channeltoken", object_id=str(token.pk)).count() == 2
    assert events("channeltoken.revoked")[0].object_id == str(token.pk)


# --- password change ---------------------------------------------------------------------------


def test_it_records_a_password_change_by_its_user(author: User) -> None:
    response = change_password(client_for(author), PASSWORD)
    assert response.status_code == 302
    [event] = events("auth.password_changed")
    assert (event.actor, event.object_id, event.changes) == (author, str(author.pk), {})


def test_it_changes_the_password(author: User) -> None:
    change_password(client_for(author), PASSWORD)
    author.refresh_from_db()
    assert author.check_password(NEW_PASSWORD)


def test_it_records_a_password_set_outside_the_form(author: User) -> None:
    author.set_password(NEW_PASSWORD)
    author.save()
    assert events("auth.password_changed")[0].actor.username == "system"


def test_it_records_no_password_change_when_a_login_upgrades_the_hash(author: User, settings: Any) -> None:
    # The suite hashes with MD5; a login under a stronger default rehashes the same password.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert login(Client(), author.username, PASSWORD).status_code == 302
    author.refresh_from_db()
    assert author.password.startswith("pbkdf2_sha256$")
    assert not events("auth.password_changed")


def test_it_refuses_a_password_change_after_five_wrong_old_passwords(author: User) -> None:
    client = client_for(author)
    for _ in range(5):
        assert change_password(client, "not my password").status_code == 200
    assert change_password(client, PASSWORD).status_code == 429


def test_it_keeps_the_password_when_the_change_is_refused(author: User) -> None:
    client = client_for(author)
    for _ in range(6):
        change_password(client, "not my password")
    change_password(client, PASSWORD)
    author.refresh_from_db()
    assert author.check_password(PASSWORD)


def test_it_forgets_wrong_old_passwords_after_a_right_one(author: User) -> None:
    client = client_for(author)
    for _ in range(4):
        change_password(client, "not my password")
    change_password(client, PASSWORD, new="short")  # right old password, new one refused
    for _ in range(4):
        change_password(client, "not my password")
    assert change_password(client, PASSWORD).status_code == 302


def test_it_throttles_each_user_on_their_own(author: User, reviewer: User) -> None:
    for _ in range(6):
        change_password(client_for(author), "not my password")
    assert change_password(client_for(reviewer), PASSWORD).status_code == 302


def test_it_throttles_the_admin_password_change_too(groups: None) -> None:
    admin = make_user("root", None, is_staff=True, is_superuser=True)
    client = client_for(admin)
    for _ in range(5):
        change_password(client, "not my password", url="/admin/password_change/")
    assert change_password(client, PASSWORD, url="/admin/password_change/").status_code == 429


def test_it_asks_for_a_login_before_a_password_change(db: None) -> None:
    response = Client().get(CHANGE)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.mark.parametrize("url", ["/accounts/password_reset/", "/accounts/reset/done/"])
def test_it_routes_no_password_reset_by_default(db: None, url: str) -> None:
    assert Client().get(url).status_code == 404


def test_it_routes_password_reset_when_enabled() -> None:
    names = {p.name for p in account_patterns(password_reset=True)}
    assert {"password_reset", "password_reset_confirm"} <= names


# --- lockouts behind a proxy ---------------------------------------------------------------------


def proxied(client_address: str) -> Client:
    return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=client_address)


def test_it_ignores_a_forwarded_address_unless_a_proxy_header_is_configured(author: User) -> None:
    for _ in range(5):
        login(proxied("203.0.113.5"), author.username, "wrong password")
    assert login(proxied("203.0.113.6"), author.username, PASSWORD).status_code == 429


def test_it_locks_out_only_the_client_address_behind_a_trusted_proxy(author: User, settings: Any) -> None:
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    for _ in range(5):
        login(proxied("203.0.113.5"), author.username, "wrong password")
    assert login(proxied("203.0.113.6"), author.username, PASSWORD).status_code == 302


def test_it_locks_out_the_client_address_the_proxy_appended(author: User, settings: Any) -> None:
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    for attempt in range(5):  # the client makes up a new left-most address each time
        login(proxied(f"198.51.100.{attempt}, 203.0.113.5"), author.username, "wrong password")
    assert login(proxied("203.0.113.5"), author.username, PASSWORD).status_code == 429


# --- development keys ------------------------------------------------------------------------------


def test_it_makes_a_development_key_once(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    assert development_key(path) == development_key(path)


def test_it_keeps_the_development_key_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    development_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_it_makes_a_different_key_for_each_install(tmp_path: Path) -> None:
    assert development_key(tmp_path / "a" / "key") != development_key(tmp_path / "b" / "key")


SHOW_KEYS = """
import django, json
django.setup()
from django.conf import settings as s
print(json.dumps({"secret": s.SECRET_KEY, "audit": s.AUDIT_KEY, "debug": s.DEBUG}))
"""


def development_settings(key_dir: Path, **env: str) -> dict[str, Any]:
    result = run_python(SHOW_KEYS, VETTED_KEY_DIR=str(key_dir), SECRET_KEY="", AUDIT_KEY="", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_it_starts_development_with_the_generated_keys(tmp_path: Path) -> None:
    shown = development_settings(tmp_path)
    assert (shown["secret"], shown["audit"]) == (
        (tmp_path / "secret_key").read_text().strip(),
        (tmp_path / "audit_key").read_text().strip(),
    )


def test_it_uses_the_same_keys_on_the_next_start(tmp_path: Path) -> None:
    assert development_settings(tmp_path) == development_settings(tmp_path)


def test_it_turns_debug_off_in_development_unless_asked(tmp_path: Path) -> None:
    assert development_settings(tmp_path)["debug"] is False


def test_it_turns_debug_on_when_asked(tmp_path: Path) -> None:
    assert development_settings(tmp_path, DEBUG="1")["debug"] is True
