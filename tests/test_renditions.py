"""Renditions: the exact bytes a channel serves for a publication, sealed when it goes live."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from content.models import Claim
from review import audit
from review.audit.verify import run_verification
from review.models import AuditEvent, Channel, Publication, Rendition
from review.publishing.actions import publish_article, publish_claim, withdraw_publication
from tests.conftest import client_for
from tests.test_publishing import approve, approved, channels, claims_of, make_article

__all__ = ["approved", "channels"]  # fixtures


def raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper(rendition: Rendition, **columns: str) -> None:
    """What the table owner could do at a SQL prompt: drop the triggers and rewrite the bytes."""
    audit.drop_append_only_triggers(connection)
    table = connection.ops.quote_name(Rendition._meta.db_table)
    sets = ", ".join(f"{name} = %s" for name in columns)
    raw(f"UPDATE {table} SET {sets} WHERE id = %s", [*columns.values(), rendition.pk])


@pytest.fixture
def live(approved: Claim, publisher: User, channels: dict[str, Channel]) -> Publication:
    pub, _ = publish_claim(approved, channels["website"], by=publisher)
    return pub


def test_it_stores_the_feed_item_the_channel_serves_byte_for_byte(live: Publication, publisher: User) -> None:
    body = client_for(publisher).get("/api/v1/channels/website/feed/").content.decode()
    assert live.rendition is not None
    assert f'"items":[{live.rendition.item}]' in body


def test_it_seals_each_part_with_its_sha256(live: Publication) -> None:
    rendition = live.rendition
    assert rendition is not None
    assert rendition.item_sha256 == hashlib.sha256(rendition.item.encode()).hexdigest()
    assert rendition.html_sha256 == hashlib.sha256(rendition.html.encode()).hexdigest()
    assert rendition.text_sha256 == hashlib.sha256(rendition.text.encode()).hexdigest()


def test_it_appends_the_required_wording_to_the_stored_text(
    author: User, reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    claim = approve(claims_of(make_article(author))[0], reviewer, tags=["not-medical-advice"])
    pub, _ = publish_claim(claim, channels["website"], by=publisher)
    assert pub.rendition is not None
    assert pub.rendition.text.endswith("Do not start, stop or change a medicine without talking to your doctor.")


def test_it_chains_the_rendition_hashes_before_the_publication_event_naming_it(live: Publication) -> None:
    events = AuditEvent.objects.filter(type__in=["rendition.created", "publication.created"])
    rendition_event, publication_event = events
    assert rendition_event.changes["item_sha256"] == [None, live.rendition.item_sha256]  # type: ignore[union-attr]
    assert publication_event.changes["rendition"] == [None, live.rendition_id]
    assert publication_event.prev_hash == rendition_event.hash


def test_it_keeps_the_bodies_out_of_the_audit_trail(live: Publication) -> None:
    event = AuditEvent.objects.get(type="rendition.created")
    assert "item" not in event.changes


def test_it_renders_again_when_a_new_round_approves_the_live_version(
    author: User, reviewer: User, second_reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    from review.retraction import return_to_review

    claim = approve(claims_of(make_article(author))[0], reviewer)
    pub, _ = publish_claim(claim, channels["website"], by=publisher)
    first = pub.rendition_id
    return_to_review(claim, reason="A cited work was corrected", by=reviewer)
    approve(claim, second_reviewer)

    pub.refresh_from_db()
    assert pub.rendition_id != first
    assert [s["name"] for s in json.loads(pub.rendition.item)["approved_by"]] == ["Carol Reviewer"]  # type: ignore[union-attr]


def test_it_refuses_to_change_a_rendition_in_the_database(live: Publication) -> None:
    table = connection.ops.quote_name(Rendition._meta.db_table)
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(f"UPDATE {table} SET item = %s WHERE id = %s", ["{}", live.rendition_id])


def test_it_refuses_to_delete_a_rendition_in_the_database(live: Publication) -> None:
    table = connection.ops.quote_name(Rendition._meta.db_table)
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(f"DELETE FROM {table} WHERE id = %s", [live.rendition_id])


def test_it_leaves_an_altered_rendition_out_of_the_feed(
    live: Publication, publisher: User, caplog: pytest.LogCaptureFixture
) -> None:
    assert live.rendition is not None
    tamper(live.rendition, item=live.rendition.item.replace("improves", "cures"))
    with caplog.at_level(logging.ERROR, logger="review.publishing.renditions"):
        items = client_for(publisher).get("/api/v1/channels/website/feed/").json()["items"]
    assert items == []
    assert "does not match its SHA-256 (item)" in caplog.text


def test_it_leaves_an_altered_rendition_out_of_the_public_page(
    author: User, reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    article = make_article(author, ["Walking helps sleep.", "Exercise lifts mood."])
    for claim in claims_of(article):
        approve(claim, reviewer)
    publish_article(article, channels["website"], by=publisher)
    pub = Publication.objects.get(claim=claims_of(article)[1])
    assert pub.rendition is not None
    tamper(pub.rendition, html=pub.rendition.html.replace("lifts", "doubles"))
    page = Client().get(f"/channels/website/articles/{article.pk}/").content.decode()
    assert "Walking helps sleep." in page
    assert "doubles" not in page


def test_it_leaves_an_altered_rendition_out_of_the_article_api(
    author: User, reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    article = make_article(author, ["Walking helps sleep."])
    approve(claims_of(article)[0], reviewer)
    publish_article(article, channels["website"], by=publisher)
    pub = Publication.objects.get(claim__article=article)
    assert pub.rendition is not None
    tamper(pub.rendition, text="Walking cures insomnia.")
    response = client_for(publisher).get(f"/api/v1/channels/website/articles/{article.pk}/")
    assert response.status_code == 404


def test_it_names_an_altered_rendition_in_the_verification(live: Publication) -> None:
    assert live.rendition is not None
    audit.write_anchor()  # as after the publication committed
    tamper(live.rendition, html="<p>Anything</p>")
    result, _ = run_verification()
    assert not result.ok
    assert f"Rendition #{live.rendition_id} does not match its SHA-256 (html)" in result.detail


def test_it_names_a_rendition_rewritten_with_fresh_hashes(live: Publication) -> None:
    assert live.rendition is not None
    forged = "<p>Exercise cures depression.</p>"
    audit.write_anchor()
    tamper(live.rendition, html=forged, html_sha256=hashlib.sha256(forged.encode()).hexdigest())
    result, _ = run_verification()
    assert "does not match the hashes its history sealed" in result.detail


def test_it_verifies_an_intact_trail_with_renditions(live: Publication) -> None:
    audit.write_anchor()
    result, _ = run_verification()
    assert result.ok, result.detail


def test_it_keeps_the_rendition_of_a_withdrawn_publication(live: Publication, publisher: User) -> None:
    withdraw_publication(live, by=publisher, reason="Checking a figure")
    live.refresh_from_db()
    assert Rendition.objects.filter(pk=live.rendition_id).exists()


def test_it_backfills_renditions_for_live_publications_in_the_migration(live: Publication) -> None:
    # As before renditions existed: a live publication pointing at none.
    Publication._base_manager.filter(pk=live.pk).update(rendition=None)
    migration = importlib.import_module("review.migrations.0022_backfill_renditions")
    migration.backfill(apps, SimpleNamespace(connection=connection))

    live.refresh_from_db()
    assert live.rendition is not None
    assert json.loads(live.rendition.item)["published_at"] == live.published_at.isoformat()


def test_it_backfills_nothing_for_withdrawn_publications(live: Publication, publisher: User) -> None:
    withdraw_publication(live, by=publisher, reason="Checking a figure")
    Publication._base_manager.filter(pk=live.pk).update(rendition=None)
    before = Rendition.objects.count()
    migration = importlib.import_module("review.migrations.0022_backfill_renditions")
    migration.backfill(apps, SimpleNamespace(connection=connection))
    assert Rendition.objects.count() == before


def test_it_dates_a_renewed_rendition_from_the_new_approval(
    author: User, reviewer: User, second_reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    from review.retraction import return_to_review

    now = timezone.now()
    claim = approve(claims_of(make_article(author))[0], reviewer, at=now - timedelta(days=300))
    pub, _ = publish_claim(claim, channels["website"], by=publisher)
    return_to_review(claim, reason="A cited work was corrected", by=reviewer)
    approve(claim, second_reviewer, at=now - timedelta(days=10))
    pub.refresh_from_db()
    due = json.loads(pub.rendition.item)["review_due"]  # type: ignore[union-attr]
    assert due == (now - timedelta(days=10) + timedelta(days=channels["website"].review_interval_days)).isoformat()


def test_it_renders_the_publications_that_generate_load_data_writes(db: None) -> None:
    from review.publishing.feeds import servable_publications, serve
    from tests.test_load_data import generate

    generate("--reviews", "--publications")
    website = Channel.objects.get(slug="website")
    pubs = list(servable_publications(website, timezone.now()))
    assert pubs
    assert len(serve(pubs, website, timezone.now())) == len(pubs)
