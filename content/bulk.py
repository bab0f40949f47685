"""Creating claims many at a time, with exactly the rows that creating them one by one writes.

Importing a long article creates thousands of claims. Saved one at a time, each
costs about 18 queries: the claim, its history rows, its citations, its first
version, its triage flags and an audit event per history row. Here each kind of
row is written with one INSERT per batch, and the same rows come out:

- the claim (version 1, a draft) and its citations;
- its history: a "+" row, then a "~" row holding the citations when it cites any
  (what simple-history records for save() followed by citations.set());
- its ClaimVersion 1, that version's library wording and triage flags, and a
  "+" history row per flag;
- an audit event per history row and per version: the rows are announced, in the
  order written, with `signals.history_created_in_bulk`, and review.audit chains
  their events in one step (content does not import review).

`create_claim` is `create_claims` of one claim, so there is one way to create a claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from content import flagging, library, signals, triage
from content.governance import bulk_insert_bypassing_audit
from content.models import Article, Claim, ClaimFlag, ClaimVersion, Reference, Section, content_hash, derivation

# Rows per INSERT: bounds each statement's size on PostgreSQL (SQLite's own limit of
# parameters makes Django cut smaller batches there).
BATCH = 1000


@dataclass(frozen=True)
class NewClaim:
    article: Article
    section: Section
    position: int
    text: str
    citations: Sequence[Reference]
    # Advice the import raises itself (flagging.Advice), stored beside the triage flags of version 1.
    advice: Sequence[flagging.Advice] = ()
    # The claim versions its words came from (split, re-import): their contributors are its contributors.
    derived_from: Sequence[tuple[int, int]] = ()


def _reading_order(ref: Reference) -> tuple[str, int, int]:
    # Reference.Meta.ordering (authors, year), which claim.citations.all() returns; the id breaks ties.
    return (ref.authors, ref.year or 0, ref.pk)


def _history_row(hist: Any, obj: models.Model, kind: str, actor: Any, reason: str, at: Any) -> Any:
    """The simple-history row (of model `hist`) that saving `obj` now would write, before its m2m snapshot."""
    return hist(
        history_date=at,
        history_type=kind,
        history_user=actor,
        history_change_reason=reason,
        **{f.attname: getattr(obj, f.attname) for f in hist.tracked_fields},
    )


def create_claims(new: Sequence[NewClaim], *, author: Any, reason: str = "Imported") -> list[Claim]:
    """Create version 1 of every claim in `new` (in one transaction) and return them, saved."""
    if not new:
        return []
    now = timezone.now()
    with transaction.atomic():
        claims, cited = [], []
        for item in new:
            claims.append(
                Claim(
                    article=item.article,
                    section=item.section,
                    position=item.position,
                    text=item.text,
                    author=author,
                    content_hash=content_hash(item.text, [r.key for r in item.citations]),
                    created_at=now,
                )
            )
            cited.append(sorted({r.pk: r for r in item.citations}.values(), key=_reading_order))
        bulk_insert_bypassing_audit(Claim, claims, batch_size=BATCH)

        through = Claim.citations.through
        links = [through(claim_id=c.pk, reference_id=r.pk) for c, refs in zip(claims, cited, strict=True) for r in refs]
        through.objects.bulk_create(links, batch_size=BATCH)

        # History of each claim: "+" as saved, then "~" once the citations are set (only if there are any),
        # a microsecond later, as when saved in turn: history.as_of() takes one row per object and time.
        claim_history = Claim.history.model  # type: ignore[attr-defined]
        history = Claim.history  # type: ignore[attr-defined]
        added = history.bulk_history_create(
            claims, batch_size=BATCH, default_user=author, default_change_reason=reason, default_date=now
        )
        cited_claims = [claim for claim, refs in zip(claims, cited, strict=True) if refs]
        with_citations = history.bulk_history_create(
            cited_claims,
            batch_size=BATCH,
            update=True,
            default_user=author,
            default_change_reason=reason,
            default_date=now + timedelta(microseconds=1),
        )
        claim_rows: list[Any] = [*added, *with_citations]
        snapshot = claim_history.citations.model
        links_of: dict[int, list[Any]] = {}
        for link in links:
            links_of.setdefault(link.claim_id, []).append(link)
        snapshots = [
            snapshot(history=row, id=link.pk, claim_id=link.claim_id, reference_id=link.reference_id)
            for row in with_citations
            for link in links_of[row.id]
        ]
        snapshot.objects.bulk_create(snapshots, batch_size=BATCH)

        versions = [
            ClaimVersion(
                claim=claim,
                version=1,
                text=claim.text,
                citations=[r.as_citation() for r in refs],
                content_hash=claim.content_hash,
                changed_by=author,
                changed_at=now,
                change_reason=reason,
                derived_from=derivation(item.derived_from),
            )
            for claim, refs, item in zip(claims, cited, new, strict=True)
        ]
        ClaimVersion.objects.bulk_create(versions, batch_size=BATCH)
        library.record_wordings(versions)

        # Triage flags of version 1, as content.receivers records them for a version saved on its own.
        flags_of: dict[int, list[ClaimFlag]] = {}
        why = flagging.flag_reason(1)
        works = [[flagging.as_cited(r) for r in refs] for refs in cited]
        # Article-level rules (its own study design, harms never mentioned) need all of an article's claims.
        raised_of: list[list[triage.Flag]] = [[] for _ in claims]
        by_article: dict[int, list[int]] = {}
        for i, item in enumerate(new):
            by_article.setdefault(item.article.pk, []).append(i)
        for indexes in by_article.values():
            article = new[indexes[0]].article
            raised = flagging.article_flags(
                [claims[i] for i in indexes],
                [works[i] for i in indexes],
                year=triage.article_year(article.source_text, article.created_at.year),
            )
            for i, of_claim in zip(indexes, raised, strict=True):
                raised_of[i] = of_claim
        raised_here: set[int] = set()  # id() of the flags from item.advice: their history says who raised them
        for claim, claim_flags, item in zip(claims, raised_of, new, strict=True):
            seen: set[tuple[object, str]] = set()  # save_flag's "already on this version", in memory
            advice: list[flagging.Advice] = [*claim_flags, *item.advice]
            for flag in advice:
                if (flag.code, flag.evidence) not in seen:
                    seen.add((flag.code, flag.evidence))
                    # claim=, not claim_id=: the audit event's article link then needs no query.
                    row = flagging.new_flag(flag, version=1, claim=claim)
                    flags_of.setdefault(claim.pk, []).append(row)
                    if any(flag is a for a in item.advice):
                        raised_here.add(id(row))
        flags = [f for claim in claims for f in flags_of.get(claim.pk, [])]
        bulk_insert_bypassing_audit(ClaimFlag, flags, batch_size=BATCH)
        flag_history = ClaimFlag.history.model  # type: ignore[attr-defined]
        flag_rows = {
            f.pk: _history_row(flag_history, f, "+", author, reason if id(f) in raised_here else why, now)
            for f in flags
        }
        flag_history.objects.bulk_create(flag_rows.values(), batch_size=BATCH)

        # Announce the history rows in the order one-at-a-time creation writes them: per claim,
        # its rows, then its flags' rows.
        rows_of: dict[int, list[Any]] = {}
        for row in claim_rows:
            rows_of.setdefault(row.id, []).append(row)
        records: list[tuple[Any, models.Model]] = []
        for claim in claims:
            records.extend((row, claim) for row in rows_of[claim.pk])
            records.extend((flag_rows[f.pk], f) for f in flags_of.get(claim.pk, []))
        signals.history_created_in_bulk.send(sender=Claim, records=records, versions=versions)
        library.queue_matching(*versions)
    return claims


def create_claim(
    *,
    article: Article,
    section: Section,
    position: int,
    text: str,
    citations: Sequence[Reference],
    author: Any,
    reason: str = "Imported",
    derived_from: Sequence[tuple[int, int]] = (),
) -> Claim:
    """Create version 1 of one claim and its first ClaimVersion."""
    new = NewClaim(
        article=article,
        section=section,
        position=position,
        text=text,
        citations=citations,
        derived_from=derived_from,
    )
    return create_claims([new], author=author, reason=reason)[0]
