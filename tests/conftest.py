"""Personas and small factories shared by the suite."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from content.actions import import_article
from content.models import Article, Claim
from review.management.commands.seed_demo import ensure_groups

PASSWORD = "correct horse battery staple"
SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "sample-article.txt"


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Hash test passwords cheaply (PBKDF2 takes 0.4 s a user here); signing still checks them for real."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_password_pacing(settings: Any) -> None:
    """Tests try wrong passwords faster than a person; tests/test_pacing.py turns the pacing back on."""
    settings.PASSWORD_PACING_FIRST_WAIT = timedelta(0)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SQLITE_TEST_FILE=1: run SQLite tests on a file database, as the app does, instead of in memory.

    pytest-django's in-memory SQLite uses a shared cache, whose table locks fail a second
    writer at once instead of queueing it behind BEGIN IMMEDIATE; the concurrency tests
    (barrier-released threads) need the file database's real busy-wait to run on SQLite.
    """
    from django.conf import settings

    default = settings.DATABASES["default"]
    if os.environ.get("SQLITE_TEST_FILE") and default["ENGINE"] == "django.db.backends.sqlite3":
        default.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")


@pytest.fixture(autouse=True, scope="session")
def audit_anchor_outside_the_work_tree(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests that commit (live server, transactional) must not move the developer's var/audit-anchor.json."""
    from django.conf import settings

    settings.AUDIT_ANCHOR_PATH = tmp_path_factory.mktemp("audit") / "audit-anchor.json"


@pytest.fixture(autouse=True)
def audit_anchor_per_test(settings: Any, tmp_path: Path) -> None:
    """Each test's database starts a new chain, so it gets a new anchor log: the anchor only moves forward."""
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchor.json"


def make_user(username: str, group: str | None, **extra: Any) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def groups(db: None) -> None:
    ensure_groups()


@pytest.fixture
def author(groups: None) -> User:
    return make_user("alice", "Authors", first_name="Alice", last_name="Author")


@pytest.fixture
def other_author(groups: None) -> User:
    return make_user("dave", "Authors", first_name="Dave", last_name="Writer")


@pytest.fixture
def reviewer(groups: None) -> User:
    return make_user("bob", "Medical reviewers", first_name="Bob", last_name="Reviewer")


@pytest.fixture
def second_reviewer(groups: None) -> User:
    return make_user("carol", "Medical reviewers", first_name="Carol", last_name="Reviewer")


@pytest.fixture
def publisher(groups: None) -> User:
    return make_user("paula", "Publishers", first_name="Paula", last_name="Publisher")


@pytest.fixture
def compliance(groups: None) -> User:
    return make_user("charlie", "Compliance", first_name="Charlie", last_name="Compliance")


@pytest.fixture
def outsider(groups: None) -> User:
    return make_user("eve", None)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sample_text() -> str:
    return SAMPLE.read_text("utf-8")


@pytest.fixture
def sample_article(author: User) -> Article:
    return import_article(text=sample_text(), fmt="text", author=author).article


def first_claim(article: Article) -> Claim:
    return article.claims.order_by("position").first()  # type: ignore[return-value]


def numbered_text(n: int, title: str = "Sleep and health") -> str:
    """An article with a title and `n` distinct one-sentence claims, each citing its own work."""
    sentences = [f"Adults who sleep well show benefit number {i} (Walker, {1900 + i})." for i in range(1, n + 1)]
    return title + "\n\n" + "\n\n".join(sentences) + "\n"


def import_text(owner: User, text: str, fmt: str = "text", **kwargs: Any) -> Article:
    """Import `text` through the real importer service and return the article."""
    return import_article(text=text, fmt=fmt, author=owner, **kwargs).article
