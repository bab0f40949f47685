"""Large imports run in the task worker: the request answers at once (202 / a progress page), the worker imports."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from config import settings as project_settings
from content.import_jobs import run_import_job
from content.models import Article, ImportJob
from review import audit
from review.models import AuditEvent
from tests.conftest import client_for, import_text, numbered_text

pytestmark = pytest.mark.django_db

# 40 claims: a few KB, over the test threshold, under it with the default.
LARGE = numbered_text(40, title="Sleep in large cohorts")
SMALL = "Hydration\n\nWater makes up most of the body (Popkin, 2010).\n"


@pytest.fixture(autouse=True)
def low_threshold(settings: Any) -> None:
    settings.VETTED_BACKGROUND_IMPORT_BYTES = 1000


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=StringIO(), stderr=StringIO())


def test_the_default_threshold_is_200_kb() -> None:
    assert project_settings.VETTED_BACKGROUND_IMPORT_BYTES == 200 * 1024  # as configured, before the fixture


def test_it_answers_202_with_the_job_url(author: User) -> None:
    response = api_for(author).post("/api/v1/articles/", {"text": LARGE}, format="json")
    job = ImportJob.objects.get()
    assert response.status_code == 202
    assert response["Location"] == f"http://testserver/api/v1/import-jobs/{job.pk}/"
    assert response.json() == {
        "id": job.pk,
        "url": response["Location"],
        "status": "pending",
        "claims_total": None,
        "article": None,
        "reason": "",
        "created_at": response.json()["created_at"],
        "finished_at": None,
    }


def test_it_queues_the_job_and_writes_no_article_in_the_request(author: User) -> None:
    api_for(author).post("/api/v1/articles/", {"text": LARGE}, format="json")
    job = ImportJob.objects.get()
    assert [t.args_kwargs["args"] for t in DBTaskResult.objects.all()] == [[job.pk]]
    assert not Article.objects.exists()


def test_it_imports_a_small_article_in_the_request(author: User) -> None:
    response = api_for(author).post("/api/v1/articles/", {"text": SMALL}, format="json")
    assert response.status_code == 201
    assert not ImportJob.objects.exists()


def test_a_web_page_counts_its_article_not_its_markup(author: User) -> None:
    """Saved pages are mostly scripts and menus: a short article in a long page imports at once."""
    padding = "<script>var x = 1;</script>\n" * 200  # about 5 KB of markup, over the test threshold
    page = f"<html><head><title>Hydration</title>{padding}</head><body><article><h1>Hydration</h1>"
    page += "<p>Water makes up most of the body (Popkin, 2010).</p></article></body></html>"
    response = api_for(author).post("/api/v1/articles/", {"text": page, "format": "html"}, format="json")
    assert response.status_code == 201, response.content
    assert not ImportJob.objects.exists()


def test_it_refuses_text_already_imported_before_queueing(author: User) -> None:
    article = import_text(author, LARGE)
    response = api_for(author).post("/api/v1/articles/", {"text": LARGE}, format="json")
    assert (response.status_code, response.json()["article"]) == (409, article.pk)
    assert not ImportJob.objects.exists()


def test_the_job_is_its_authors_alone(author: User, other_author: User, compliance: User) -> None:
    api_for(author).post("/api/v1/articles/", {"text": LARGE}, format="json")
    job = ImportJob.objects.get()
    assert api_for(other_author).get(f"/api/v1/import-jobs/{job.pk}/").status_code == 404
    assert api_for(compliance).get(f"/api/v1/import-jobs/{job.pk}/").status_code == 404
    assert client_for(other_author).get(f"/articles/import/{job.pk}/").status_code == 404


def test_the_job_url_needs_a_login(author: User) -> None:
    api_for(author).post("/api/v1/articles/", {"text": LARGE}, format="json")
    job = ImportJob.objects.get()
    assert APIClient().get(f"/api/v1/import-jobs/{job.pk}/").status_code == 403


def test_the_form_sends_a_large_import_to_its_progress_page(author: User) -> None:
    response = client_for(author).post("/articles/import/", {"text": LARGE, "format": "text", "title": ""})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/articles/import/{job.pk}/"


def test_the_progress_page_polls_while_the_job_waits(author: User) -> None:
    client = client_for(author)
    client.post("/articles/import/", {"text": LARGE, "format": "text", "title": ""})
    job = ImportJob.objects.get()
    page = client.get(f"/articles/import/{job.pk}/").content.decode()
    assert "Waiting for the background worker" in page
    assert f'hx-get="/articles/import/{job.pk}/" hx-trigger="every 2s"' in page


def test_the_poll_gets_only_the_status_fragment(author: User) -> None:
    client = client_for(author)
    client.post("/articles/import/", {"text": LARGE, "format": "text", "title": ""})
    job = ImportJob.objects.get()
    fragment = client.get(f"/articles/import/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert 'id="import-job"' in fragment


# Committed for real: the worker takes its own (on SQLite, immediate) transactions.
@pytest.mark.django_db(transaction=True)
def test_the_worker_imports_the_article_as_its_author(author: User) -> None:
    client = api_for(author)
    url = client.post("/api/v1/articles/", {"text": LARGE}, format="json")["Location"]
    run_worker()
    job = client.get(url).json()
    article = Article.objects.get()
    assert (job["status"], job["article"], job["claims_total"], job["reason"]) == ("done", article.pk, 40, "")
    assert article.claims.count() == 40
    assert set(AuditEvent.objects.filter(article_id=article.pk).values_list("actor__username", flat=True)) == {"alice"}


@pytest.mark.django_db(transaction=True)
def test_the_trail_verifies_after_a_background_import(author: User) -> None:
    api_for(author).post("/api/v1/articles/", {"text": LARGE}, format="json")
    run_worker()
    assert audit.verify_chain().ok
    assert list(audit.reconcile()) == []


@pytest.mark.django_db(transaction=True)
def test_the_done_page_links_to_the_article(author: User) -> None:
    client = client_for(author)
    client.post("/articles/import/", {"text": LARGE, "format": "text", "title": ""})
    run_worker()
    job = ImportJob.objects.get()
    page = client.get(f"/articles/import/{job.pk}/").content.decode()
    assert f'href="/articles/{job.article_id}/"' in page
    assert "Imported 40 claims" in page
    assert "hx-get" not in page  # the poll stops


@pytest.mark.django_db(transaction=True)
def test_the_job_drops_its_copy_of_the_text_once_done(author: User) -> None:
    api_for(author).post("/api/v1/articles/", {"text": LARGE}, format="json")
    run_worker()
    assert ImportJob.objects.get().source_text == ""
    assert Article.objects.get().source_text == LARGE


@pytest.mark.django_db(transaction=True)
def test_a_page_with_no_article_text_fails_with_the_reason(author: User) -> None:
    page = "<html><head><script>" + "var x = 1;" * 200 + "</script></head><body></body></html>"
    client = api_for(author)
    url = client.post("/api/v1/articles/", {"text": page, "format": "html"}, format="json")["Location"]
    run_worker()
    job = client.get(url).json()
    assert (job["status"], job["article"]) == ("failed", None)
    assert job["reason"] == "No article text found in the HTML page."
    assert not Article.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_second_of_two_queued_copies_fails_as_a_duplicate(author: User) -> None:
    # Both pass the request's duplicate check before either has run; the worker's import checks again.
    client = api_for(author)
    first = client.post("/api/v1/articles/", {"text": LARGE}, format="json")["Location"]
    second = client.post("/api/v1/articles/", {"text": LARGE}, format="json")["Location"]
    run_worker()
    assert client.get(first).json()["status"] == "done"
    assert client.get(second).json()["status"] == "failed"
    assert "already imported this text" in client.get(second).json()["reason"]
    assert Article.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_job_runs_once_even_when_queued_twice(author: User) -> None:
    api_for(author).post("/api/v1/articles/", {"text": LARGE}, format="json")
    run_import_job.enqueue(ImportJob.objects.get().pk)
    run_worker()
    assert Article.objects.count() == 1
    assert sorted(DBTaskResult.objects.values_list("return_value", flat=True)) == ["done", "skipped"]
