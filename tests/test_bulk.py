"""content.bulk: creating claims many at a time writes what saving them one by one writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.actions import import_article
from content.bulk import NewClaim, create_claims
from content.models import Article, Claim, ClaimFlag, ClaimVersion, ClaimWording, Reference, Section, content_hash
from review import audit
from review.models import AuditEvent

pytestmark = pytest.mark.django_db

RISKY = "Antidepressants always repair the damaged brain in every patient."


def reference(key: str, authors: str, year: int, by: User) -> Reference:
    ref = Reference(key=key, label=f"{authors} {year}", authors=authors, year=year)
    ref._history_user = by  # type: ignore[attr-defined]
    ref.save()
    return ref


def save_one_at_a_time(article: Article, section: Section, text: str, refs: list[Reference], by: User) -> Claim:
    """How a claim was created before content.bulk: save, set the citations, record version 1."""
    claim = Claim(
        article=article,
        section=section,
        position=1,
        text=text,
        author=by,
        content_hash=content_hash(text, [r.key for r in refs]),
    )
    claim._save_as(by, "Imported")
    claim.citations.set(refs)
    ClaimVersion.record(claim, by, "Imported")  # content.receivers adds the flags and the wording
    return claim


def history_of(claim: Claim) -> list[tuple[Any, ...]]:
    skip = {"id", "history_id", "history_date", "created_at", "updated_at"}
    rows = claim.history.order_by("history_id")  # type: ignore[attr-defined]
    return [
        (
            {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if f.attname not in skip},
            sorted(row.citations.values_list("reference_id", flat=True)),
        )
        for row in rows
    ]


def events_of(claim: Claim) -> list[tuple[Any, ...]]:
    flags = {
        str(pk): n
        for n, pk in enumerate(ClaimFlag.objects.filter(claim=claim).order_by("id").values_list("pk", flat=True))
    }
    out = []
    for event in AuditEvent.objects.filter(claim=claim).order_by("id"):
        changes = {k: v for k, v in event.changes.items() if k not in ("id", "claim")}
        who = flags.get(event.object_id) if event.object_type == "claimflag" else None
        out.append((event.type, event.object_type, who, event.actor_id, event.article_id, changes, event.reason))
    return out


def test_create_claims_writes_the_rows_of_one_at_a_time_creation(author: User) -> None:
    article = import_article(text="Title\n\nA first sentence that is a claim.\n", fmt="text", author=author).article
    section = article.sections.get()
    refs = [reference("doi:10.1/b", "Zed", 2001, author), reference("doi:10.1/a", "Abel", 1999, author)]

    old = save_one_at_a_time(article, section, RISKY, refs, author)
    (new,) = create_claims([NewClaim(article, section, position=1, text=RISKY, citations=refs)], author=author)

    assert history_of(new) == history_of(old)
    assert [row[0]["history_type"] for row in history_of(new)] == ["+", "~"]
    assert events_of(new) == events_of(old)
    assert [e[0] for e in events_of(new)][:2] == ["claim.created", "claim.citations.changed"]
    assert any(e[1] == "claimflag" for e in events_of(new))  # the risky wording was flagged

    def version(claim: Claim) -> tuple[Any, ...]:
        v = claim.versions.get()
        return (v.version, v.text, v.citations, v.content_hash, v.changed_by_id, v.change_reason)

    assert version(new) == version(old)
    assert [r["authors"] for r in new.versions.get().citations] == ["Abel", "Zed"]
    flags = ["code", "evidence", "why", "version", "rules_version"]
    assert list(ClaimFlag.objects.filter(claim=new).values_list(*flags)) == list(
        ClaimFlag.objects.filter(claim=old).values_list(*flags)
    )
    assert ClaimWording.objects.filter(claim=new).count() == ClaimWording.objects.filter(claim=old).count() == 1
    assert_trail_intact()


def test_a_claim_without_citations_has_one_history_row(author: User) -> None:
    article = import_article(text="Title\n\nA first sentence that is a claim.\n", fmt="text", author=author).article
    (claim,) = create_claims(
        [NewClaim(article, article.sections.get(), position=2, text="Walking helps.", citations=[])], author=author
    )
    assert [row[0]["history_type"] for row in history_of(claim)] == ["+"]
    assert [e[0] for e in events_of(claim) if e[1] == "claim"] == ["claim.created"]


def assert_trail_intact() -> None:
    audit.write_anchor()  # written after commit; the test's transaction never commits
    verification = audit.verify_chain()
    assert verification.ok, verification.detail
    assert list(audit.reconcile()) == []


def long_article(claims: int) -> str:
    sentences = [f"Adults in cohort {i} who walked daily slept longer (Walker, 2020)." for i in range(claims)]
    return "Walking and sleep\n\n" + "\n\n".join(sentences) + "\n"


def test_import_queries_do_not_grow_with_the_number_of_claims(author: User) -> None:
    import_article(text=long_article(2), fmt="text", author=author)  # the cited work exists from here on

    def queries(claims: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            result = import_article(text=long_article(claims), fmt="text", author=author)
        assert result.created == claims
        return len(captured)

    small, large = queries(10), queries(200)
    # Only the batching of the INSERTs grows (SQLite takes 999 parameters a statement, about 60 audit events,
    # and a claim has three: created, citations, version): well under a query a claim.
    assert large - small < (200 - 10) / 5
    assert_trail_intact()


def test_create_claims_of_nothing_writes_nothing(author: User) -> None:
    events = AuditEvent.objects.count()
    assert create_claims([], author=author) == []
    assert AuditEvent.objects.count() == events
