"""Each row of the write-path table in review/audit.py: recorded (with the right actor) or blocked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import models
from django.test import RequestFactory
from django_tasks import task

from content.exceptions import NotAllowed
from content.models import Article, Claim
from review import audit
from review.models import AuditEvent, AuditVerification, NuanceTag
from tests.conftest import client_for, first_claim, sample_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def anchor_file(settings: Any, tmp_path: Path) -> Path:
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchor.json"
    return Path(settings.AUDIT_ANCHOR_PATH)


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.org", "a long admin password")


def last_event_of(obj: models.Model) -> AuditEvent:
    event = AuditEvent.objects.filter(object_type=obj._meta.model_name, object_id=str(obj.pk)).order_by("id").last()
    assert event is not None
    return event


@task()
def rename_tag(pk: int, name: str) -> None:
    """A background task that writes without a request."""
    tag = NuanceTag.objects.get(pk=pk)
    tag.name = name
    tag.save()


# --- recorded ---------------------------------------------------------------------


def test_it_records_a_web_form_write_as_the_signed_in_user(sample_article: Article, author: User) -> None:
    claim = first_claim(sample_article)
    response = client_for(author).post(
        f"/claims/{claim.pk}/edit/",
        {"text": "Sleep helps adults learn.", "expected_version": 1, "change_reason": "Shorter"},
    )
    assert response.status_code == 302
    event = last_event_of(claim)
    assert (event.type, event.actor, event.reason) == ("claim.revised", author, "Shorter")


def test_it_records_an_api_write_as_the_token_user(sample_article: Article, author: User) -> None:
    claim = first_claim(sample_article)
    response = client_for(author).post(f"/api/v1/claims/{claim.pk}/submit/")
    assert response.status_code == 200
    event = last_event_of(claim)
    assert (event.type, event.actor) == ("claim.status.draft->in_review", author)


def test_it_records_an_admin_change_as_the_admin(superuser: User) -> None:
    tag = NuanceTag.objects.create(slug="dose", name="Dose")
    response = client_for(superuser).post(
        f"/admin/review/nuancetag/{tag.pk}/change/",
        {"slug": "dose", "name": "Needs a dose", "description": "", "required_wording": "", "active": "on"},
    )
    assert response.status_code == 302
    event = last_event_of(tag)
    assert (event.type, event.actor, event.changes["name"]) == (
        "nuancetag.updated",
        superuser,
        ["Dose", "Needs a dose"],
    )


def test_it_hides_the_admin_history_revert(superuser: User) -> None:
    request = RequestFactory().get("/")
    request.user = superuser
    assert admin.site._registry[NuanceTag].revert_disabled(request) is True  # type: ignore[attr-defined]


def test_it_records_a_forced_admin_revert_as_an_ordinary_change_by_the_admin(superuser: User) -> None:
    tag = NuanceTag.objects.create(slug="dose", name="Dose")
    tag.name = "Dose, renamed"
    tag.save()
    first = tag.history.order_by("history_id").first()  # type: ignore[attr-defined]
    client_for(superuser).post(
        f"/admin/review/nuancetag/{tag.pk}/history/{first.history_id}/",
        {"slug": "dose", "name": "Dose", "description": "", "required_wording": "", "active": "on"},
    )
    event = last_event_of(tag)
    assert (event.actor, event.changes["name"]) == (superuser, ["Dose, renamed", "Dose"])


def test_it_refuses_deleting_a_claim_in_the_admin(sample_article: Article, superuser: User) -> None:
    claim = first_claim(sample_article)
    response = client_for(superuser).post(f"/admin/content/claim/{claim.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_it_refuses_deleting_a_user_in_the_admin(author: User, superuser: User) -> None:
    response = client_for(superuser).post(f"/admin/auth/user/{author.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=author.pk).exists()


def test_it_records_a_management_command_write_as_the_named_author(author: User, tmp_path: Path) -> None:
    source = tmp_path / "article.txt"
    source.write_text(sample_text(), "utf-8")
    call_command("import_article", str(source), "--author", "alice", stdout=open(tmp_path / "out.txt", "w"))
    article = Article.objects.get()
    assert last_event_of(article).actor == author


def test_it_records_who_ran_a_verification_command(compliance: User) -> None:
    audit.write_anchor()  # the persona's role grant is an event: anchored, as after its commit
    call_command("verify_audit", "--actor", "charlie", stdout=open("/dev/null", "w"))
    assert AuditVerification.objects.get().run_by == compliance


def test_it_records_a_background_task_write_as_the_system_user(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    tag = NuanceTag.objects.create(slug="dose", name="Dose")
    rename_tag.enqueue(tag.pk, "Dose (from a task)")
    event = last_event_of(tag)
    assert (event.actor.username, event.changes["name"]) == ("system", ["Dose", "Dose (from a task)"])


def test_it_records_fixture_loading_as_the_system_user(tmp_path: Path) -> None:
    fixture = tmp_path / "tags.json"
    fixture.write_text(
        json.dumps([{"model": "review.nuancetag", "pk": 901, "fields": {"slug": "from-fixture", "name": "Fixture"}}])
    )
    call_command("loaddata", str(fixture), verbosity=0)
    tag = NuanceTag.objects.get(pk=901)
    event = last_event_of(tag)
    assert (event.type, event.actor.username) == ("nuancetag.created", "system")
    assert event.reason == "Loaded from a fixture (loaddata)"
    assert tag.history.get().history_user.username == "system"  # type: ignore[attr-defined]


def test_it_records_an_instance_delete() -> None:
    tag = NuanceTag.objects.create(slug="dose", name="Dose")
    pk = tag.pk
    tag.delete()
    event = AuditEvent.objects.filter(object_type="nuancetag", object_id=str(pk)).last()
    assert event is not None
    assert event.type == "nuancetag.deleted"


# --- blocked ----------------------------------------------------------------------

GOVERNED = audit.governed_models()


@pytest.mark.parametrize("model", GOVERNED, ids=lambda m: m._meta.label)
def test_it_blocks_queryset_update_on_every_governed_model(model: type[models.Model]) -> None:
    with pytest.raises(NotAllowed, match=model._meta.object_name):
        model._default_manager.all().update(pk=1)


@pytest.mark.parametrize("model", GOVERNED, ids=lambda m: m._meta.label)
def test_it_blocks_bulk_update_on_every_governed_model(model: type[models.Model]) -> None:
    with pytest.raises(NotAllowed, match=model._meta.object_name):
        model._default_manager.bulk_update([], ["pk"])


@pytest.mark.parametrize("model", GOVERNED, ids=lambda m: m._meta.label)
def test_it_blocks_bulk_create_on_every_governed_model(model: type[models.Model]) -> None:
    with pytest.raises(NotAllowed, match=model._meta.object_name):
        model._default_manager.bulk_create([])


@pytest.mark.parametrize("model", GOVERNED, ids=lambda m: m._meta.label)
def test_it_blocks_queryset_delete_on_every_governed_model(model: type[models.Model]) -> None:
    with pytest.raises(NotAllowed, match=model._meta.object_name):
        model._default_manager.all().delete()


def test_it_blocks_bulk_writes_through_related_managers(sample_article: Article) -> None:
    with pytest.raises(NotAllowed, match="Claim"):
        sample_article.claims.update(status="approved")  # type: ignore[attr-defined]
    assert not Claim.objects.filter(article=sample_article, status="approved").exists()
