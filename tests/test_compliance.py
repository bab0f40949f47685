"""Compliance pages and the audit API: timeline, point in time, dossier, exports, verification."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from content.models import Article, Claim
from review import audit
from review.audit.api import CSV_COLUMNS
from review.models import AuditEvent, AuditVerification, Channel, Publication
from tests.conftest import client_for, first_claim
from tests.review_helpers import approve, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def anchor_file(settings: Any, tmp_path: Path) -> Path:
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchor.json"
    return Path(settings.AUDIT_ANCHOR_PATH)


@pytest.fixture
def claim(sample_article: Article) -> Claim:
    return first_claim(sample_article)


@pytest.fixture
def signed(claim: Claim, author: User, reviewer: User) -> Claim:
    claim.submit(by=author)
    approve(fresh(claim), reviewer)
    return fresh(claim)


@pytest.fixture
def website(db: None) -> Channel:
    channel = Channel(name="Website", slug="website", audience="patient")
    channel.save()
    return channel


def publish(claim: Claim, channel: Channel, by: User) -> Publication:
    from review.publishing.actions import publish_claim

    return publish_claim(claim, channel, by=by)[0]


def notes(actor: User, n: int) -> None:
    for i in range(n):
        audit.record(actor, "note.written", changes={"n": [None, i]}, reason=f"note {i}")


def streamed(response: Any) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


# --- timeline page ---------------------------------------------------------------------


def test_it_shows_the_timeline_to_compliance(claim: Claim, author: User, compliance: User) -> None:
    claim.revise(text="Sleep helps adults learn.", expected_version=1, reason="Plainer", by=author)
    response = client_for(compliance).get("/compliance/", {"claim": claim.pk})
    assert response.status_code == 200
    assert b"claim.revised" in response.content
    assert b"Plainer" in response.content
    assert b"<ins>" in response.content or b"Sleep helps adults learn." in response.content


def test_it_shows_signatures_with_printed_name_utc_time_and_meaning(signed: Claim, compliance: User) -> None:
    response = client_for(compliance).get("/compliance/", {"type": "signature"})
    text = response.content.decode()
    assert "Signed by <strong>Bob Reviewer</strong>" in text
    assert "(UTC)" in text
    assert "I confirm this claim version is medically accurate as worded" in text


@pytest.mark.parametrize("persona", ["author", "reviewer", "publisher", "outsider"])
def test_it_refuses_the_timeline_to_everyone_but_compliance(persona: str, request: Any) -> None:
    user = request.getfixturevalue(persona)
    assert client_for(user).get("/compliance/").status_code == 403


def test_it_sends_anonymous_visitors_to_log_in(db: None) -> None:
    response = Client().get("/compliance/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_rejects_a_bad_date_filter_with_the_reason(compliance: User) -> None:
    response = client_for(compliance).get("/compliance/", {"since": "yesterday"})
    assert response.status_code == 400
    assert b"ISO 8601" in response.content


def test_it_filters_the_timeline_by_actor_type_and_dates(claim: Claim, author: User, compliance: User) -> None:
    notes(compliance, 2)
    response = client_for(compliance).get(
        "/compliance/", {"actor": "charlie", "type": "note", "since": "2000-01-01", "until": "2999-12-31"}
    )
    assert len(response.context["entries"]) == 2


def test_a_date_range_keeps_chain_order_and_pages(author: User, compliance: User) -> None:
    notes(author, 60)
    client = client_for(compliance)  # logging in is an event too
    chain = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    today = {"since": "2000-01-01", "until": "2999-12-31"}
    first, second = (client.get("/compliance/", {**today, "page": n}) for n in (1, 2))
    shown = [e.event.pk for page in (first, second) for e in page.context["entries"]]
    assert shown == chain[::-1]  # newest first, across both pages
    api = client.get("/api/v1/audit/events/", today).json()
    assert [e["id"] for e in api["results"]] == chain[:50] and api["count"] == len(chain)


@pytest.mark.parametrize("n", [2, 20])
def test_it_renders_the_timeline_in_a_fixed_number_of_queries(
    n: int, author: User, compliance: User, django_assert_max_num_queries: Any
) -> None:
    notes(author, n)
    client = client_for(compliance)
    with django_assert_max_num_queries(12):  # the page's ids, then its rows (review.audit.page_ids); the unread count
        response = client.get("/compliance/")
    assert len(response.context["entries"]) >= n


def test_it_links_the_exports_with_the_same_filters(compliance: User) -> None:
    response = client_for(compliance).get("/compliance/", {"type": "claim"})
    assert b"/api/v1/audit/export.csv?type=claim" in response.content
    assert b"/api/v1/audit/export.json?type=claim" in response.content


# --- point in time ---------------------------------------------------------------------


def test_it_shows_a_claim_as_it_stood_before_a_revision(claim: Claim, author: User, compliance: User) -> None:
    old_text = claim.text
    between = timezone.now()
    claim.revise(text="A newer wording.", expected_version=1, reason="Newer", by=author)
    response = client_for(compliance).get(
        "/compliance/as-of/", {"what": "claim", "id": claim.pk, "at": between.isoformat()}
    )
    assert response.status_code == 200
    assert response.context["snapshot"]["text"] == old_text
    assert response.context["snapshot"]["version"] == 1


def test_it_shows_an_article_as_it_stood(claim: Claim, sample_article: Article, author: User, compliance: User) -> None:
    between = timezone.now()
    claim.revise(text="A newer wording.", expected_version=1, reason="Newer", by=author)
    response = client_for(compliance).get(
        "/compliance/as-of/", {"what": "article", "id": sample_article.pk, "at": between.isoformat()}
    )
    texts = [c.text for s in response.context["snapshot"]["sections"] for c in s["claims"]]
    assert "A newer wording." not in texts
    assert response.context["snapshot"]["claim_count"] == sample_article.claims.count()


def test_it_shows_a_channel_feed_as_it_stood(
    signed: Claim, website: Channel, publisher: User, compliance: User
) -> None:
    before = timezone.now()
    publish(signed, website, publisher)
    client = client_for(compliance)
    then = client.get("/compliance/as-of/", {"what": "channel", "id": "website", "at": before.isoformat()})
    now = client.get("/compliance/as-of/", {"what": "channel", "id": "website", "at": timezone.now().isoformat()})
    assert then.context["snapshot"]["items"] == []
    assert [i["text"] for i in now.context["snapshot"]["items"]] == [signed.text]


def test_it_answers_404_for_a_claim_that_did_not_exist_yet(claim: Claim, compliance: User) -> None:
    response = client_for(compliance).get("/compliance/as-of/", {"what": "claim", "id": claim.pk, "at": "2000-01-01"})
    assert response.status_code == 404


# --- dossier ---------------------------------------------------------------------------


def test_it_prints_a_claims_dossier(signed: Claim, website: Channel, publisher: User, compliance: User) -> None:
    publish(signed, website, publisher)
    response = client_for(compliance).get(f"/compliance/claims/{signed.pk}/dossier/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Bob Reviewer" in text
    assert "Website" in text
    assert "claim.status.in_review-&gt;approved" in text
    assert "compliance.css" in text  # its print stylesheet


def test_it_refuses_the_dossier_to_authors(claim: Claim, author: User) -> None:
    assert client_for(author).get(f"/compliance/claims/{claim.pk}/dossier/").status_code == 403


def test_it_answers_404_for_the_dossier_of_a_missing_claim(compliance: User) -> None:
    assert client_for(compliance).get("/compliance/claims/999999/dossier/").status_code == 404


@pytest.mark.parametrize("revisions", [1, 8])
def test_it_renders_the_dossier_in_a_fixed_number_of_queries(
    revisions: int, claim: Claim, author: User, compliance: User, django_assert_max_num_queries: Any
) -> None:
    for i in range(revisions):
        fresh(claim).revise(text=f"Wording {i}.", expected_version=i + 1, reason="Again", by=author)
    client = client_for(compliance)
    with django_assert_max_num_queries(16):  # 14, the unread count and the names of what the events cite
        assert client.get(f"/compliance/claims/{claim.pk}/dossier/").status_code == 200


# --- integrity page ---------------------------------------------------------------------


def test_it_runs_a_verification_from_the_integrity_page(author: User, compliance: User) -> None:
    client = client_for(compliance)
    notes(author, 3)
    audit.write_anchor()  # as after those events committed
    assert b"csrfmiddlewaretoken" in client.get("/compliance/integrity/").content
    response = client.post("/compliance/integrity/verify/", follow=True)
    assert AuditVerification.objects.get().ok
    assert b"Intact" in response.content


def test_it_answers_an_htmx_verification_with_only_the_panel(author: User, compliance: User) -> None:
    client = client_for(compliance)
    notes(author, 2)
    audit.write_anchor()
    response = client.post("/compliance/integrity/verify/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert '<div id="integrity-panel"' in body
    assert "<html" not in body
    assert "Intact" in body


def test_it_refuses_a_verification_run_by_get(compliance: User) -> None:
    assert client_for(compliance).get("/compliance/integrity/verify/").status_code == 405


def test_it_refuses_a_verification_run_by_an_author(author: User) -> None:
    assert client_for(author).post("/compliance/integrity/verify/").status_code == 403
    assert not AuditVerification.objects.exists()


def test_it_requires_the_csrf_token_to_run_a_verification(compliance: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(compliance)
    assert client.post("/compliance/integrity/verify/").status_code == 403


# --- API: events ----------------------------------------------------------------------


def test_it_lists_events_with_exactly_the_contract_fields(claim: Claim, compliance: User) -> None:
    response = client_for(compliance).get("/api/v1/audit/events/", {"claim": claim.pk})
    first = response.json()["results"][0]
    assert set(first) == {
        "id", "at", "actor", "type", "object_type", "object_id", "changes", "reason", "hash", "prev_hash"
    }  # fmt: skip
    assert (first["type"], first["actor"], first["changes"]["text"][0]) == ("claim.created", "alice", None)


def test_it_filters_api_events_by_article_and_channel(
    signed: Claim, sample_article: Article, website: Channel, publisher: User, compliance: User
) -> None:
    publish(signed, website, publisher)
    client = client_for(compliance)
    by_channel = client.get("/api/v1/audit/events/", {"channel": "website"}).json()["results"]
    assert {e["type"] for e in by_channel} == {"channel.created", "rendition.created", "publication.created"}
    by_article = client.get("/api/v1/audit/events/", {"article": sample_article.pk, "type": "publication"}).json()
    assert [e["object_type"] for e in by_article["results"]] == ["publication"]


def test_it_filters_api_events_by_date_range(author: User, compliance: User) -> None:
    notes(author, 2)
    client = client_for(compliance)
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert client.get("/api/v1/audit/events/", {"since": future}).json()["results"] == []
    assert client.get("/api/v1/audit/events/", {"until": future, "type": "note"}).json()["count"] == 2


def test_it_rejects_a_bad_api_filter(compliance: User) -> None:
    response = client_for(compliance).get("/api/v1/audit/events/", {"claim": "seven"})
    assert response.status_code == 400
    assert "claim must be a number" in json.dumps(response.json())


def test_it_shows_authors_only_the_events_of_their_own_claims(
    claim: Claim, other_author: User, compliance: User
) -> None:
    notes(compliance, 1)
    mine = client_for(other_author).get("/api/v1/audit/events/").json()
    assert mine["count"] == 0
    theirs = client_for(claim.author).get("/api/v1/audit/events/").json()["results"]
    assert theirs and all(e["type"] != "note.written" for e in theirs)


def test_it_refuses_api_events_to_outsiders(outsider: User) -> None:
    assert client_for(outsider).get("/api/v1/audit/events/").status_code == 403


# --- API: exports -----------------------------------------------------------------------


def test_it_streams_a_csv_export_of_the_filtered_timeline(author: User, compliance: User) -> None:
    notes(author, 3)
    response = client_for(compliance).get("/api/v1/audit/export.csv", {"type": "note"})
    assert response.status_code == 200
    assert response.streaming
    rows = list(csv.reader(io.StringIO(streamed(response))))
    header = ["id", "at", "actor", "type", "object_type", "object_id", "changes", "reason", "hash", "prev_hash"]
    assert rows[0] == CSV_COLUMNS == header
    assert [r[7] for r in rows[1:]] == ["note 0", "note 1", "note 2"]


def test_it_exports_the_same_times_and_changes_as_the_json_export(author: User, compliance: User) -> None:
    # A whole second (no microseconds) and a non-ASCII value: the two cases the database-side
    # formatting of the CSV could get wrong.
    whole_second = timezone.now().replace(microsecond=0) - timedelta(days=1)
    audit.record(author, "note.written", changes={"b": [None, "café"], "a": [1, 2]}, reason="n", at=whole_second)
    audit.record(author, "note.written", changes={"n": [None, 1]}, reason="n")
    client = client_for(compliance)
    rows = list(csv.DictReader(io.StringIO(streamed(client.get("/api/v1/audit/export.csv", {"type": "note"})))))
    events = json.loads(streamed(client.get("/api/v1/audit/export.json", {"type": "note"})))
    assert [r["at"] for r in rows] == [e["at"] for e in events]
    assert rows[0]["at"] == audit.iso(whole_second)
    assert [json.loads(r["changes"]) for r in rows] == [e["changes"] for e in events]
    assert json.loads(rows[0]["changes"]) == {"a": [1, 2], "b": [None, "café"]}


def test_it_quotes_csv_cells_exactly_as_csv_writer_does(author: User, compliance: User) -> None:
    reasons = ["plain", "a, comma", 'a "quote"', "two\nlines", "cr\rhere", "", "-1 dose", "@home"]
    for reason in reasons:
        audit.record(author, "note.written", changes={"text": [None, reason]}, reason=reason)
    body = streamed(client_for(compliance).get("/api/v1/audit/export.csv", {"type": "note"}))
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert [r[7] for r in rows[1:]] == [
        "plain",
        "a, comma",
        'a "quote"',
        "two\nlines",
        "cr\rhere",
        "",
        "'-1 dose",
        "'@home",
    ]
    again = io.StringIO()
    csv.writer(again).writerows(rows)
    assert body == again.getvalue()


def test_it_keeps_formulas_out_of_the_csv_export(author: User, compliance: User) -> None:
    audit.record(author, "note.written", reason='=HYPERLINK("http://evil")')
    response = client_for(compliance).get("/api/v1/audit/export.csv", {"type": "note"})
    rows = list(csv.reader(io.StringIO(streamed(response))))
    assert rows[-1][7].startswith("'=")


def test_it_streams_a_json_export_of_the_filtered_timeline(author: User, compliance: User) -> None:
    notes(author, 3)
    response = client_for(compliance).get("/api/v1/audit/export.json", {"type": "note", "actor": "alice"})
    assert response.streaming
    events = json.loads(streamed(response))
    assert [e["reason"] for e in events] == ["note 0", "note 1", "note 2"]
    assert events[1]["prev_hash"] == events[0]["hash"]


@pytest.mark.parametrize("n", [2, 25])
def test_it_exports_in_a_fixed_number_of_queries(
    n: int, author: User, compliance: User, django_assert_max_num_queries: Any
) -> None:
    notes(author, n)
    client = client_for(compliance)
    # 8 to read and stream, 8 to record the export as an event of its own (head, count, append),
    # and on PostgreSQL 2 more (its row lock on the chain and the sequence read): fixed, whatever n.
    with django_assert_max_num_queries(18):
        streamed(client.get("/api/v1/audit/export.json"))


@pytest.mark.parametrize("path", ["/api/v1/audit/export.csv", "/api/v1/audit/export.json", "/api/v1/audit/verify/"])
@pytest.mark.parametrize("persona", ["author", "reviewer", "outsider"])
def test_it_refuses_exports_and_verification_to_everyone_but_compliance(path: str, persona: str, request: Any) -> None:
    assert client_for(request.getfixturevalue(persona)).get(path).status_code == 403


def test_it_refuses_the_audit_api_to_anonymous_callers(db: None) -> None:
    assert Client().get("/api/v1/audit/events/").status_code in (401, 403)


# --- API: verify ------------------------------------------------------------------------


def test_it_verifies_through_the_api_with_exactly_the_contract_fields(author: User, compliance: User) -> None:
    client = client_for(compliance)
    notes(author, 2)
    audit.write_anchor()  # as after those events committed
    head = AuditEvent.objects.order_by("-id").first()
    assert head is not None
    body = client.post("/api/v1/audit/verify/").json()
    assert body == {"ok": True, "events_checked": head.pk, "first_broken": None, "head": head.hash}
    assert AuditVerification.objects.filter(run_by=compliance).exists()


def test_it_reads_the_latest_verification_through_the_api_without_running_one(author: User, compliance: User) -> None:
    client = client_for(compliance)
    notes(author, 2)
    audit.write_anchor()
    ran = client.post("/api/v1/audit/verify/").json()
    notes(author, 1)  # a later event: a new run would count it
    body = client.get("/api/v1/audit/verify/").json()
    assert (body.pop("at") != "", body, AuditVerification.objects.count()) == (True, ran, 1)


def test_it_says_no_verification_has_run_yet(compliance: User) -> None:
    response = client_for(compliance).get("/api/v1/audit/verify/")
    assert (response.status_code, AuditVerification.objects.exists()) == (404, False)


@pytest.mark.parametrize("persona", ["author", "reviewer", "outsider"])
def test_it_refuses_to_run_a_verification_for_everyone_but_compliance(persona: str, request: Any) -> None:
    response = client_for(request.getfixturevalue(persona)).post("/api/v1/audit/verify/")
    assert (response.status_code, AuditVerification.objects.exists()) == (403, False)


# --- API: as-of -------------------------------------------------------------------------


def test_it_returns_a_claim_as_of_a_moment(sample_article: Article, author: User, compliance: User) -> None:
    claim = sample_article.claims.exclude(citations=None).first()  # type: ignore[attr-defined]
    old_text = claim.text
    cited = sorted(claim.citations.values_list("pk", flat=True))
    between = timezone.now()
    claim.revise(text="A newer wording.", expected_version=1, reason="Newer", by=author, citations=[])
    body = client_for(compliance).get(f"/api/v1/claims/{claim.pk}/as-of/", {"at": between.isoformat()}).json()
    assert (body["text"], body["version"], body["status"]) == (old_text, 1, "draft")
    assert [c["id"] for c in body["citations"]] == cited


def test_it_accepts_an_unencoded_plus_in_the_moment(claim: Claim, compliance: User) -> None:
    moment = timezone.now().isoformat().replace("+", " ")  # what a raw "+00:00" becomes in a query string
    assert client_for(compliance).get(f"/api/v1/claims/{claim.pk}/as-of/", {"at": moment}).status_code == 200


def test_it_answers_400_for_a_bad_as_of_date(claim: Claim, compliance: User) -> None:
    response = client_for(compliance).get(f"/api/v1/claims/{claim.pk}/as-of/", {"at": "2026-13-45"})
    assert response.status_code == 400
    assert "at" in response.json()


def test_it_answers_400_without_an_as_of_date(claim: Claim, compliance: User) -> None:
    assert client_for(compliance).get(f"/api/v1/claims/{claim.pk}/as-of/").status_code == 400


def test_it_answers_404_for_a_claim_before_it_existed(claim: Claim, compliance: User) -> None:
    response = client_for(compliance).get(f"/api/v1/claims/{claim.pk}/as-of/", {"at": "2001-01-01T00:00:00Z"})
    assert response.status_code == 404


def test_it_hides_a_claim_as_of_from_outsiders(claim: Claim, outsider: User) -> None:
    response = client_for(outsider).get(f"/api/v1/claims/{claim.pk}/as-of/", {"at": timezone.now().isoformat()})
    assert response.status_code == 404


def test_it_lets_the_author_read_their_claim_as_of_a_moment(claim: Claim, author: User) -> None:
    response = client_for(author).get(f"/api/v1/claims/{claim.pk}/as-of/", {"at": timezone.now().isoformat()})
    assert response.status_code == 200


def test_it_reads_a_bare_until_date_as_the_end_of_that_day(db: None) -> None:
    assert audit.parse_moment("2026-01-31", end_of_day=True).isoformat() == "2026-01-31T23:59:59.999999+00:00"
    assert audit.parse_moment("2026-01-31").isoformat() == "2026-01-31T00:00:00+00:00"
