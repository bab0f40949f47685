"""Personas and small factories shared by the suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from content.models import Article, Claim
from content.services import import_article
from review.management.commands.seed_demo import ensure_groups

PASSWORD = "correct horse battery staple"
SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "sample-article.txt"


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
