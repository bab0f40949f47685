"""Chained events for what is not a row change: verification runs, exports and refused publications.

(Role grants, activation changes, API and channel tokens and logouts: tests/test_accounts.py.)
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User

from content.models import Article, Claim
from content.permissions import visible_claims
from review import audit
from review.models import AuditEvent, Channel
from review.publishing.actions import PolicyRefused, publish_article, publish_claim
from tests.conftest import client_for, first_claim
from tests.test_library import approve, make_channel

pytestmark = pytest.mark.django_db


def last_event() -> AuditEvent:
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    return event


# --- verification runs ------------------------------------------------------------------------


def verified(by: User) -> audit.Verification:
    audit.write_anchor()  # what a commit does; these tests run inside one transaction
    result, _ = audit.run_verification(by)
    return result


def test_it_records_a_verification_run(sample_article: Article, compliance: User) -> None:
    result = verified(compliance)
    event = last_event()
    assert (event.type, event.actor, event.changes["ok"], event.changes["events_checked"]) == (
        "audit.verified",
        compliance,
        [None, True],
        [None, result.events_checked],
    )


def test_it_checks_the_last_run_in_the_next_one(sample_article: Article, compliance: User) -> None:
    first = verified(compliance)
    second = verified(compliance)
    assert (second.ok, second.events_checked) == (True, first.events_checked + 1)


def test_it_records_a_verification_run_from_the_page(sample_article: Article, compliance: User) -> None:
    client_for(compliance).post("/compliance/integrity/verify/")
    assert last_event().type == "audit.verified"


# --- exports ------------------------------------------------------------------------------------


def test_it_records_who_exported_what_and_how_many_rows(sample_article: Article, compliance: User) -> None:
    response = client_for(compliance).get("/api/v1/audit/export.csv?type=claim")
    rows = b"".join(response.streaming_content).decode().count("\r\n") - 1  # the header
    event = last_event()
    assert (event.type, event.actor, event.changes["filters"], event.changes["rows"]) == (
        "audit.exported",
        compliance,
        [None, {"type": "claim"}],
        [None, rows],
    )


def test_it_records_a_json_export(sample_article: Article, compliance: User) -> None:
    response = client_for(compliance).get("/api/v1/audit/export.json")
    exported = json.loads(b"".join(response.streaming_content))
    assert (last_event().changes["format"], last_event().changes["rows"]) == ([None, "json"], [None, len(exported)])


def test_it_leaves_the_exports_own_event_out_of_the_file(sample_article: Article, compliance: User) -> None:
    response = client_for(compliance).get("/api/v1/audit/export.json")
    exported = json.loads(b"".join(response.streaming_content))
    assert exported[-1]["id"] == last_event().pk - 1


def test_it_records_no_export_refused_to_an_author(sample_article: Article, author: User) -> None:
    client = client_for(author)  # the login is an event of its own
    before = AuditEvent.objects.count()
    assert client.get("/api/v1/audit/export.csv").status_code == 403
    assert AuditEvent.objects.count() == before


# --- refused publications --------------------------------------------------------------------------


@pytest.fixture
def website(db: None) -> Channel:
    return make_channel()


def test_it_records_a_publication_refused_by_the_channel_policy(
    sample_article: Article, publisher: User, website: Channel
) -> None:
    draft = first_claim(sample_article)
    with pytest.raises(PolicyRefused) as refused:
        publish_claim(draft, website, by=publisher)
    event = last_event()
    assert (event.type, event.actor, event.claim_id, event.channel_id, event.changes["failed_rules"]) == (
        "claim.publication_refused",
        publisher,
        draft.pk,
        website.pk,
        [None, refused.value.failed_rules],
    )


def test_it_records_a_publication_refused_by_four_eyes(
    sample_article: Article, reviewer: User, website: Channel
) -> None:
    # The only signer may not also publish: the reviewer is given the publisher role for this.
    from django.contrib.auth.models import Group

    claim: Claim = approve(first_claim(sample_article), reviewer)
    reviewer.groups.add(Group.objects.get(name="Publishers"))
    signer = User.objects.get(pk=reviewer.pk)
    with pytest.raises(Exception, match="signer"):
        publish_claim(claim, website, by=signer)
    assert (last_event().type, last_event().reason.startswith(f"Claim #{claim.pk}")) == (
        "claim.publication_refused",
        True,
    )


def test_it_records_an_article_publication_refused(sample_article: Article, publisher: User, website: Channel) -> None:
    with pytest.raises(PolicyRefused):
        publish_article(sample_article, website, by=publisher)
    event = last_event()
    assert (event.type, event.article_id, event.channel_id) == (
        "article.publication_refused",
        sample_article.pk,
        website.pk,
    )


def test_it_records_a_refused_publication_by_api(sample_article: Article, publisher: User, website: Channel) -> None:
    draft = visible_claims(publisher).filter(article=sample_article).order_by("position").first()
    assert draft is not None
    response = client_for(publisher).post(
        f"/api/v1/claims/{draft.pk}/publications/", {"channel": "website"}, content_type="application/json"
    )
    assert (response.status_code, last_event().type) == (409, "claim.publication_refused")
