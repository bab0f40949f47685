"""Audit events derived from history and business events: who, what, why, chained."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from simple_history.models import HistoricalRecords

from content.exceptions import NotAllowed
from content.models import Article, Claim, ClaimVersion
from review import audit
from review.actions import record_review
from review.models import DEFAULT_MEANING, AuditEvent, NuanceTag, ReviewRefused, Signature
from tests.conftest import PASSWORD, client_for, first_claim
from tests.review_helpers import approve, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def anchor_file(settings: Any, tmp_path: Path) -> Path:
    settings.AUDIT_ANCHOR_PATH = tmp_path / "anchor" / "audit-anchor.json"
    return Path(settings.AUDIT_ANCHOR_PATH)


def events_of(obj: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=obj._meta.model_name, object_id=str(obj.pk)).order_by("id"))


def make_tag(slug: str = "needs-dose", **extra: Any) -> NuanceTag:
    tag = NuanceTag(slug=slug, name=slug.replace("-", " ").title(), **extra)
    tag.save()
    return tag


# A view that does a write and then fails, for the request-context test (urls marker below).
def write_then_fail(request: HttpRequest) -> HttpResponse:
    make_tag("written-in-a-failing-request")
    raise RuntimeError("the view failed after writing")


urlpatterns = [path("fail/", write_then_fail)]


# --- events from history --------------------------------------------------------


def test_it_records_one_event_per_history_row_and_per_version(sample_article: Article) -> None:
    history_rows = sum(audit.history_model(m).objects.count() for m in audit.governed_models())
    assert AuditEvent.objects.exclude(history_id=None).count() == history_rows + ClaimVersion.objects.count()


def test_it_names_the_creation_of_a_claim_with_its_values(sample_article: Article, author: User) -> None:
    claim = first_claim(sample_article)
    created = events_of(claim)[0]
    assert (created.type, created.actor, created.reason) == ("claim.created", author, "Imported")
    assert created.changes["text"] == [None, claim.text]
    assert (created.claim_id, created.article_id) == (claim.pk, sample_article.pk)


def test_it_names_a_content_revision_claim_revised(sample_article: Article, author: User) -> None:
    claim = first_claim(sample_article)
    old_text = claim.text
    claim.revise(text="Sleep matters for adults.", expected_version=1, reason="Plainer wording", by=author)
    event = events_of(claim)[-1]
    assert event.type == "claim.revised"
    assert event.changes["text"] == [old_text, "Sleep matters for adults."]
    assert event.changes["version"] == [1, 2]
    assert event.reason == "Plainer wording"


def test_it_names_a_status_change_by_from_and_to(sample_article: Article, author: User) -> None:
    claim = first_claim(sample_article)
    claim.submit(by=author)
    event = events_of(claim)[-1]
    assert event.type == "claim.status.draft->in_review"
    assert event.changes["status"] == ["draft", "in_review"]
    assert event.actor == author


def test_it_records_a_claims_citation_changes_as_reference_ids(sample_article: Article, author: User) -> None:
    claim = sample_article.claims.exclude(citations=None).first()  # type: ignore[attr-defined]
    before = sorted(claim.citations.values_list("pk", flat=True))
    claim.revise(text=claim.text + " Really.", expected_version=1, reason="No sources", by=author, citations=[])
    event = [e for e in events_of(claim) if "citations" in e.changes][-1]
    assert event.changes["citations"] == [before, []]
    assert event.type == "claim.citations.changed"


def test_it_ties_a_signature_to_its_claim_through_its_review(
    sample_article: Article, author: User, reviewer: User
) -> None:
    claim = first_claim(sample_article)
    claim.submit(by=author)
    review = approve(fresh(claim), reviewer)
    signature = Signature.objects.get(review=review)
    event = events_of(signature)[0]
    assert (event.type, event.claim_id, event.actor) == ("signature.created", claim.pk, reviewer)
    assert event.changes["printed_name"] == [None, "Bob Reviewer"]


def test_it_records_who_approved_and_why(sample_article: Article, author: User, reviewer: User) -> None:
    claim = first_claim(sample_article)
    claim.submit(by=author)
    approve(fresh(claim), reviewer)
    event = events_of(claim)[-1]
    assert event.type == "claim.status.in_review->approved"
    assert event.actor == reviewer
    assert event.reason.startswith("Approved version 1")


def test_it_records_a_deletion_with_the_old_values() -> None:
    tag = make_tag()
    tag_pk = tag.pk
    tag.delete()
    event = AuditEvent.objects.filter(object_type="nuancetag", object_id=str(tag_pk)).last()
    assert event is not None
    assert event.type == "nuancetag.deleted"
    assert event.changes["slug"] == ["needs-dose", None]


# --- actors ------------------------------------------------------------------------


def test_it_attributes_a_write_without_a_user_to_the_system_user() -> None:
    tag = make_tag()
    event = events_of(tag)[0]
    assert event.actor.username == "system"
    assert tag.history.first().history_user == event.actor  # type: ignore[attr-defined]


def test_it_keeps_the_system_user_unable_to_log_in() -> None:
    system = audit.system_user()
    assert not system.is_active
    assert not system.has_usable_password()


def test_it_cannot_store_an_event_without_an_actor() -> None:
    event = AuditEvent(type="x.y", object_type="x", prev_hash="a" * 64, hash="b" * 64, actor_username="")
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save(force_insert=True)


def test_it_records_a_business_event_without_a_user_as_the_system_user() -> None:
    event = audit.record(None, "export.requested")
    assert event.actor.username == "system"
    assert event.actor_username == "system"


@pytest.mark.urls("tests.test_audit")
def test_it_does_not_attribute_a_later_write_to_the_user_of_a_request_that_raised(author: User) -> None:
    client = client_for(author)
    with pytest.raises(RuntimeError):
        client.get("/fail/")
    assert events_of(NuanceTag.objects.get(slug="written-in-a-failing-request"))[0].actor == author
    assert not hasattr(HistoricalRecords.context, "request")
    later = make_tag("written-after-the-request")
    assert events_of(later)[0].actor.username == "system"


# --- business events ----------------------------------------------------------------


def test_it_records_a_refused_review_attempt(sample_article: Article, author: User, reviewer: User) -> None:
    claim = first_claim(sample_article)
    claim.submit(by=author)
    with pytest.raises(ReviewRefused):
        record_review(
            claim=fresh(claim),
            version=1,
            reviewer=reviewer,
            decision="approve",
            evidence_grade="high",
            password="not the password",
            signature_meaning=DEFAULT_MEANING,
        )
    event = AuditEvent.objects.get(type="review.refused.wrong_password")
    assert (event.actor, event.claim_id) == (reviewer, claim.pk)
    assert event.changes["version"] == [None, 1]


def test_it_records_a_login(author: User) -> None:
    Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    event = AuditEvent.objects.filter(type="auth.login").last()
    assert event is not None
    assert event.actor == author


def test_it_records_a_failed_login_as_the_system_user_with_the_attempted_name(author: User) -> None:
    Client().post("/accounts/login/", {"username": "alice", "password": "wrong password"})
    event = AuditEvent.objects.get(type="auth.login_failed")
    assert event.actor.username == "system"
    assert event.changes == {"username": [None, "alice"]}
    assert event.object_id == str(author.pk)


def test_it_refuses_to_delete_a_user(author: User) -> None:
    with pytest.raises(NotAllowed), transaction.atomic():
        author.delete()
    with pytest.raises(NotAllowed), transaction.atomic():
        User.objects.filter(pk=author.pk).delete()
    assert User.objects.filter(pk=author.pk).exists()


def test_it_refuses_to_delete_a_claim(sample_article: Article) -> None:
    with pytest.raises(NotAllowed):
        first_claim(sample_article).delete()


# --- the chain ---------------------------------------------------------------------


def test_it_chains_every_event_to_the_one_before(sample_article: Article) -> None:
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.pk for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == audit.GENESIS
    assert all(e.prev_hash == before.hash for before, e in itertools.pairwise(events))
    assert all(e.hash == audit.compute_hash(e) for e in events)


def test_it_hashes_the_actor_name_as_it_was(author: User) -> None:
    event = audit.record(author, "note.written")
    author.username = "alice-renamed"
    author.save()
    assert audit.compute_hash(AuditEvent.objects.get(pk=event.pk)) == event.hash


def test_it_refuses_a_second_event_after_the_same_predecessor_in_the_database(author: User) -> None:
    first = audit.record(author, "note.written")
    fork = AuditEvent(id=first.pk + 1, actor=author, actor_username="alice", type="note.forked", object_type="note")
    fork.prev_hash, fork.hash = first.prev_hash, "f" * 64
    with pytest.raises(IntegrityError), transaction.atomic():
        fork.save(force_insert=True)


def test_it_refuses_to_change_an_event_through_the_model(author: User) -> None:
    event = audit.record(author, "note.written")
    event.reason = "changed"
    with pytest.raises(NotAllowed):
        event.save()
    with pytest.raises(NotAllowed):
        event.delete()


def test_it_writes_the_anchor_after_the_event_commits(
    outsider: User, anchor_file: Path, django_capture_on_commit_callbacks: Any
) -> None:
    # Outsider has no role: a persona's role grant would already have queued this transaction's anchor write.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        audit.record(outsider, "note.written")
        audit.record(outsider, "note.written")
        assert not anchor_file.exists()
    head = AuditEvent.objects.order_by("-id").first()
    assert head is not None
    assert json.loads(anchor_file.read_text())["head"] == head.hash
    assert json.loads(anchor_file.read_text())["count"] == head.pk
    assert len(callbacks) == 1  # one anchor write per transaction


def test_it_writes_the_anchor_without_leaving_temporary_files(author: User, anchor_file: Path) -> None:
    audit.record(author, "note.written")
    audit.write_anchor()
    assert sorted(p.name for p in anchor_file.parent.iterdir()) == ["audit-anchor.json", "audit-anchor.json.lock"]


def test_it_never_forks_the_chain_under_concurrent_writers(transactional_db: None, author: User) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("in-memory shared-cache SQLite fails concurrent writers instead of queueing them")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                with transaction.atomic():
                    audit.record(author, "note.concurrent", changes={"writer": [None, n], "i": [None, i]})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    audit.write_anchor()
    result = audit.verify_chain()
    assert result.ok, result.detail
    assert AuditEvent.objects.filter(type="note.concurrent").count() == 20


def test_it_guards_every_governed_model_against_bulk_writes() -> None:
    from content.governance import GovernedQuerySet

    unguarded = [
        m._meta.label
        for m in audit.governed_models()
        if not issubclass(m._default_manager._queryset_class, GovernedQuerySet)  # type: ignore[attr-defined]
    ]
    assert unguarded == []
    assert audit.check_governed_managers() == []


def test_it_governs_every_model_with_history_in_both_apps() -> None:
    labels = {m._meta.label for m in audit.governed_models()}
    assert {"content.Claim", "content.Article", "content.Section", "content.Reference"} <= labels
    assert {"review.NuanceTag", "review.Review", "review.Signature", "review.Channel", "review.Publication"} <= labels


def test_it_leaves_claim_list_loading_unchanged(sample_article: Article) -> None:
    # The guarded queryset still answers ordinary reads.
    assert Claim.objects.live().for_list().filter(article=sample_article).count() > 1
