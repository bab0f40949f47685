"""Fill the database with realistic load-test data, fast: `generate_load_data --articles N --claims-per-article M
--versions V [--reviews] [--publications] [--actor USERNAME]`.

Live rows are written with bulk INSERTs (content.governance.bulk_insert_bypassing_audit),
and for every row this command writes what the per-row path would have written:
the simple-history rows (one per state the row went through, the last equal to
the live row), ClaimVersion rows (versions 1..V, hashed by content.models.content_hash)
and their library wordings (content.library), the citation m2m history, and one
AuditEvent per history row, chained with review.audit.compute_hash from the current
head, under the same lock as review.audit.events.append_event, in one transaction per batch of
articles. Those derived rows, millions of them, go through RawWriter (executemany on
SQLite, COPY on PostgreSQL, ids reserved first), not through model instances. The
anchor is written after each batch, so `verify_audit` and `reconcile_history` pass
afterwards. Risk flags (content.flagging) are not generated: they are advice, and
no measured page depends on them.

1,000 x 100 x 5 with --reviews --publications (100k claims, 714k history rows and
audit events, 500k versions): 347 s on SQLite, on 2 shared cores (README "Benchmark").

With --reviews, every third claim waits in the review queue (in_review), every
third is approved (reviews + signatures sealed to version V's hash) and the rest
stay draft. With --publications, approved claims are published to the website channel.
"""

from __future__ import annotations

import json
import time as clock
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from types import SimpleNamespace
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.utils import timezone

from content.governance import bulk_insert_bypassing_audit
from content.library import norm_hash, sort_key
from content.models import (
    Article,
    ArticleFormat,
    Claim,
    ClaimStatus,
    ClaimVersion,
    ClaimWording,
    Reference,
    Section,
    content_hash,
    default_approvals_needed,
)
from review import audit
from review.audit.rows import digest
from review.management.commands.seed_demo import ensure_groups, load_vocabulary
from review.models import (
    AuditEvent,
    Channel,
    Decision,
    EvidenceGrade,
    EvidenceType,
    Publication,
    Rendition,
    Review,
    Signature,
    SignatureMeaning,
)
from review.publishing import renditions
from review.publishing.facts import VersionFacts
from review.publishing.policy import Signer

ARTICLES_PER_BATCH = 20
REFERENCE_POOL = 50
LOAD_USERS = [
    # (username, first, last, group): the author is replaced by --actor when given.
    ("load_author", "Lena", "Loadwriter", "Authors"),
    ("load_reviewer", "Dr Kim", "Loadreviewer", "Medical reviewers"),
    ("load_reviewer2", "Dr Ola", "Loadchecker", "Medical reviewers"),
    ("load_publisher", "Pia", "Loadpublisher", "Publishers"),
]
SENTENCES = [
    "Regular moderate exercise lowers resting blood pressure in most adults",
    "Seven to nine hours of sleep is associated with better mood regulation",
    "Vitamin D supplements do not prevent fractures in people with normal levels",
    "Antidepressants take two to six weeks to reach their full effect",
    "Hand washing with soap reduces the spread of respiratory infections",
    "Diets high in fibre are linked with a lower risk of bowel cancer",
]


@dataclass
class Entry:
    """One history row to write, in timeline order, and what its audit event needs."""

    model: type[models.Model]
    row: dict[str, Any]  # the history row's columns by attname (history_id set when ids are reserved)
    changes: dict[str, list[Any]]
    links: dict[str, int | None]
    actor: Any


@dataclass
class Batch:
    entries: list[Entry] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)  # ClaimVersion rows by attname
    citation_rows: list[tuple[Entry, int]] = field(default_factory=list)  # (claim history entry, reference id)


class RawWriter:
    """INSERTs of prepared rows without building model instances: executemany on SQLite, COPY on PostgreSQL.

    Django's bulk_create prepares every value of every row through its field
    (and, with DEBUG on, logs each statement with its parameters): most of the
    time of a load of millions of rows. The tables written here hold only
    integers, text, datetimes and JSON, so a converter per column is enough.
    Primary keys are reserved up front (`reserve`), so rows can point at each
    other (an audit event at its history row) before anything is written.
    """

    def __init__(self) -> None:
        self.connection = transaction.get_connection()
        self.connection.ensure_connection()
        self.postgres = self.connection.vendor == "postgresql"

    def reserve(self, model: type[models.Model], count: int) -> list[int]:
        """`count` fresh primary keys of `model`, in ascending order."""
        if count == 0:
            return []
        table, pk = model._meta.db_table, model._meta.pk.column
        with self.connection.cursor() as cursor:
            if self.postgres:
                # From the table's own sequence, so later single-row inserts never collide.
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
                )
                return sorted(row[0] for row in cursor.fetchall())
            # SQLite: the IMMEDIATE transaction holds the write lock, so max + 1.. stays ours;
            # AUTOINCREMENT's sqlite_sequence follows explicit ids by itself.
            cursor.execute(f"SELECT COALESCE(MAX({self.connection.ops.quote_name(pk)}), 0) FROM {table}")  # noqa: S608
            start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))

    def _converter(self, model_field: models.Field[Any, Any]) -> Any:
        if isinstance(model_field, models.JSONField):
            return lambda value: None if value is None else json.dumps(value)
        if isinstance(model_field, models.DateTimeField) and not self.postgres:
            # What Django's SQLite backend stores (USE_TZ): naive UTC, str() form; every time here is aware.
            return lambda value: None if value is None else str(value.astimezone(UTC).replace(tzinfo=None))
        if isinstance(model_field, models.DateField | models.DecimalField | models.UUIDField | models.BinaryField):
            return lambda value: model_field.get_db_prep_save(value, self.connection)
        return None  # ints, text, booleans, foreign keys: the driver takes them as they are

    def insert(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        fields = model._meta.concrete_fields
        take = itemgetter(*(f.attname for f in fields))
        converters = [(i, c) for i, c in enumerate(map(self._converter, fields)) if c is not None]
        data = []
        for row in rows:
            values = list(take(row))
            for i, convert in converters:
                values[i] = convert(values[i])
            data.append(values)
        quote = self.connection.ops.quote_name
        table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
        raw = self.connection.connection  # the DB-API connection, inside Django's open transaction
        if self.postgres:
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in data:
                    copy.write_row(values)
        else:
            marks = ", ".join("?" * len(fields))
            raw.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", data)  # noqa: S608


class Clock:
    """Monotonic fake time: every history row is `step` after the previous one, ending about now."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.now, self.step = start, step

    def tick(self) -> datetime:
        self.now += self.step
        return self.now


_HISTORY_MODELS: dict[type[models.Model], Any] = {}


def _history_model(model: type[models.Model]) -> Any:
    # audit.history_model builds a manager on each call: too slow for a million rows.
    if model not in _HISTORY_MODELS:
        _HISTORY_MODELS[model] = audit.history_model(model)
    return _HISTORY_MODELS[model]


def _values(obj: models.Model, hist: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in hist.tracked_fields}


def _editable(hist: Any) -> list[Any]:
    return [f for f in hist.tracked_fields if f.editable and not f.primary_key]


class Command(BaseCommand):
    help = "Bulk-generate articles, claims (with versions), reviews and publications with history and audit events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--articles", type=int, required=True)
        parser.add_argument("--claims-per-article", type=int, required=True)
        parser.add_argument("--versions", type=int, default=1)
        parser.add_argument("--reviews", action="store_true", help="Queue, review and approve some claims.")
        parser.add_argument("--publications", action="store_true", help="Publish approved claims (needs --reviews).")
        parser.add_argument("--actor", help="Author of the generated articles (default: the load_author user).")

    def handle(self, *args: Any, **options: Any) -> None:
        n, m, v = options["articles"], options["claims_per_article"], options["versions"]
        if n < 1 or m < 1 or v < 1:
            raise CommandError("--articles, --claims-per-article and --versions must be at least 1.")
        if options["publications"] and not options["reviews"]:
            raise CommandError("--publications publishes approved claims: add --reviews.")
        try:
            audit.ensure_database_ready()
        except audit.AuditUnavailable as exc:
            raise CommandError(str(exc)) from None
        started = clock.monotonic()
        with transaction.atomic():
            ensure_groups()
            load_vocabulary(audit.system_user())
            users = self._users()
        if options["actor"]:
            author = audit.user_by_name(options["actor"])
            if author is None:
                raise CommandError(f"No user named {options['actor']!r}.")
            users["load_author"] = author
        self.author, self.reviewers = users["load_author"], [users["load_reviewer"], users["load_reviewer2"]]
        self.publisher = users["load_publisher"]
        self.website = Channel.objects.get(slug="website")
        self.versions, self.reviews, self.publications = v, options["reviews"], options["publications"]
        self.approvals = max(1, default_approvals_needed())
        self.grade = EvidenceGrade.HIGH
        # Per claim: V versions, plus submit, reviews, signatures, approval, publication.
        rows = n * (2 + m // 10) + n * m * (v + 6)
        self.clock = Clock(timezone.now() - timedelta(days=30), timedelta(days=30) / max(rows, 1))
        self.references = self._references()
        self.run_tag = timezone.now().strftime("%Y%m%d%H%M%S%f")
        events = 0
        for first in range(0, n, ARTICLES_PER_BATCH):
            with transaction.atomic():
                events += self._batch(range(first, min(n, first + ARTICLES_PER_BATCH)), m)
            audit.write_anchor()
            if options["verbosity"] > 1:
                self.stdout.write(f"  {min(n, first + ARTICLES_PER_BATCH)}/{n} articles")
        elapsed = clock.monotonic() - started
        self.stdout.write(
            f"Generated {n} articles, {n * m} claims x {v} versions, {events} history rows and audit events "
            f"in {elapsed:.1f} s."
        )

    # --- setup -----------------------------------------------------------------

    def _users(self) -> dict[str, Any]:
        user_model = get_user_model()
        users = {}
        for username, first, last, group in LOAD_USERS:
            user, created = user_model._default_manager.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_unusable_password()
                user.save()
            user.groups.add(Group.objects.get(name=group))
            users[username] = user
        return users

    def _references(self) -> list[Reference]:
        """A pool of cited works shared by the generated claims (created once, through save(): few rows)."""
        refs = []
        for i in range(REFERENCE_POOL):
            key = f"doi:10.5555/load.{i}"
            ref = Reference.objects.filter(key=key).first()
            if ref is None:
                ref = Reference(key=key, label=f"Loadgen et al. {2000 + i % 25}", authors="Loadgen", year=2000 + i % 25)
                ref._history_user = self.author  # type: ignore[attr-defined]
                ref._change_reason = "Generated load data"  # type: ignore[attr-defined]
                ref.save()
            refs.append(ref)
        return refs

    # --- one batch -------------------------------------------------------------

    def _history(
        self,
        batch: Batch,
        obj: models.Model,
        kind: str,
        actor: Any,
        reason: str,
        previous: Any = None,
        links: dict[str, int | None] | None = None,
        **overrides: Any,
    ) -> Entry:
        """A history row of `obj` (with `overrides` applied), its changes against `previous`, queued in order."""
        model = type(obj)
        hist = _history_model(model)
        values = {**_values(obj, hist), **overrides}
        at = self.clock.tick()
        if "updated_at" in values and "updated_at" not in overrides:
            values["updated_at"] = at
        row = {
            **values,
            "history_id": None,
            "history_date": at,
            "history_type": kind,
            "history_user_id": actor.pk,
            "history_change_reason": reason,
        }
        if previous is None:
            changes = {f.name: [None, audit.jsonable(values[f.attname])] for f in _editable(hist)}
        else:
            changes = {
                f.name: [audit.jsonable(previous[f.attname]), audit.jsonable(values[f.attname])]
                for f in hist.tracked_fields
                if not f.primary_key and previous[f.attname] != values[f.attname]
            }
        if links is None:
            links = audit.event_links(model, lambda attname: values.get(attname, getattr(obj, attname, None)), obj)
        entry = Entry(model, row, changes, links, actor)
        batch.entries.append(entry)
        return entry

    def _batch(self, article_numbers: range, m: int) -> int:
        batch = Batch()
        author, v = self.author, self.versions
        now = timezone.now()
        articles = []
        for a in article_numbers:
            texts = [self._text(a, p, v) for p in range(1, m + 1)]
            articles.append(
                Article(
                    title=f"Load article {a + 1}: {SENTENCES[a % len(SENTENCES)][:60]}",
                    slug=f"load-{self.run_tag}-{a + 1}",
                    source_text="\n\n".join(texts),
                    format=ArticleFormat.TEXT,
                    owner=author,
                    created_at=now,
                )
            )
        bulk_insert_bypassing_audit(Article, articles)
        sections_per_article = max(1, (m + 9) // 10)
        sections = [
            Section(article=art, heading=f"Part {s + 1}", position=s + 1)
            for art in articles
            for s in range(sections_per_article)
        ]
        bulk_insert_bypassing_audit(Section, sections)
        claims: list[Claim] = []
        for i, art in enumerate(articles):
            for p in range(1, m + 1):
                section = sections[i * sections_per_article + (p - 1) // 10]
                ref = self.references[(art.pk + p) % len(self.references)]
                text = self._text(article_numbers[i], p, v)
                status = self._final_status(p)
                approved = status == ClaimStatus.APPROVED
                claims.append(
                    Claim(
                        article=art,
                        section=section,
                        position=p,
                        text=text,
                        status=status,
                        version=v,
                        content_hash=content_hash(text, [ref.key]),
                        author=author,
                        approved_version=v if approved else None,
                        approvals_needed=self.approvals,
                        submitted_at=now if status != ClaimStatus.DRAFT else None,
                        created_at=now,
                    )
                )
                claims[-1]._load_ref = ref  # type: ignore[attr-defined]
        bulk_insert_bypassing_audit(Claim, claims)
        through = Claim.citations.through
        links = through._default_manager.bulk_create(
            [through(claim_id=c.pk, reference_id=c._load_ref.pk) for c in claims]  # type: ignore[attr-defined]
        )
        through_id = {row.claim_id: row.pk for row in links}
        reviews, signatures, publications = self._judgements(claims, now)

        # The timeline, article by article, in the order the per-row path would have written it.
        by_article: dict[int, list[Claim]] = {}
        for claim in claims:
            by_article.setdefault(claim.article_id, []).append(claim)
        reviews_of: dict[int, list[Review]] = {}
        for review in reviews:
            reviews_of.setdefault(review.claim_id, []).append(review)
        signature_of = {s.review_id: s for s in signatures}
        publication_of = {p.claim_id: p for p in publications}
        for art in articles:
            self._history(batch, art, "+", author, "Imported", updated_at=art.updated_at)
            for section in sections:
                if section.article_id == art.pk:
                    self._history(batch, section, "+", author, "Imported")
            for claim in by_article[art.pk]:
                self._claim_timeline(batch, claim, reviews_of.get(claim.pk, []), signature_of, publication_of)

        writer = RawWriter()
        for model in sorted({e.model for e in batch.entries}, key=lambda m: m._meta.label):
            rows = [e.row for e in batch.entries if e.model is model]
            for row, history_id in zip(rows, writer.reserve(_history_model(model), len(rows)), strict=True):
                row["history_id"] = history_id
            writer.insert(_history_model(model), rows)
        citations_history = _history_model(Claim).citations.model
        citation_ids = writer.reserve(citations_history, len(batch.citation_rows))
        writer.insert(
            citations_history,
            [
                {
                    "m2m_history_id": pk,
                    "id": through_id[entry.row["id"]],
                    "claim_id": entry.row["id"],
                    "reference_id": ref_id,
                    "history_id": entry.row["history_id"],
                }
                for (entry, ref_id), pk in zip(batch.citation_rows, citation_ids, strict=True)
            ],
        )
        for row, pk in zip(batch.versions, writer.reserve(ClaimVersion, len(batch.versions)), strict=True):
            row["id"] = pk
        writer.insert(ClaimVersion, batch.versions)
        # The library's derived wording of every version (what content.receivers writes per version),
        # so approved claims are in the claims library and imports are matched against them.
        wordings = [
            {
                "claim_version_id": row["id"],
                "claim_id": row["claim_id"],
                "version": row["version"],
                "norm_hash": norm_hash(row["text"]),
                "sort_key": sort_key(row["text"]),
            }
            for row in batch.versions
        ]
        for row, pk in zip(wordings, writer.reserve(ClaimWording, len(wordings)), strict=True):
            row["id"] = pk
        writer.insert(ClaimWording, wordings)
        self._chain(writer, batch)
        return len(batch.entries)

    def _text(self, a: int, p: int, version: int) -> str:
        base = SENTENCES[(a + p) % len(SENTENCES)]
        return f"{base} (article {a + 1}, claim {p}, wording {version})."

    def _final_status(self, position: int) -> str:
        if not self.reviews:
            return ClaimStatus.DRAFT
        return [ClaimStatus.IN_REVIEW, ClaimStatus.APPROVED, ClaimStatus.DRAFT][position % 3]

    def _judgements(
        self, claims: list[Claim], now: datetime
    ) -> tuple[list[Review], list[Signature], list[Publication]]:
        approved = [c for c in claims if c.status == ClaimStatus.APPROVED]
        reviews = [
            Review(
                claim=c,
                version=c.version,
                content_hash=c.content_hash,
                reviewer=reviewer,
                evidence_grade=self.grade,
                evidence_type=EvidenceType.choices[0][0],
                decision=Decision.APPROVE,
                created_at=now,
            )
            for c in approved
            for reviewer in self.reviewers[: self.approvals]
        ]
        bulk_insert_bypassing_audit(Review, reviews)
        signatures = []
        for review in reviews:
            signature = Signature(
                review=review,
                signer=review.reviewer,
                printed_name=review.reviewer.get_full_name() or review.reviewer.get_username(),
                meaning=SignatureMeaning.ACCURATE.label,
                meaning_code=SignatureMeaning.ACCURATE.value,
                signed_at=now,
                claim_version=review.version,
                content_hash=review.content_hash,
            )
            signature.seal = signature.compute_seal()
            signatures.append(signature)
        bulk_insert_bypassing_audit(Signature, signatures)
        publications: list[Publication] = []
        if self.publications:
            publications = [
                Publication(
                    claim=c,
                    version=c.version,
                    content_hash=c.content_hash,
                    channel=self.website,
                    published_by=self.publisher,
                    published_at=now,
                    approved_at=now,  # the approving signatures' time, as publishing stores it
                )
                for c in approved
            ]
            self._render(publications, reviews, signatures, now)
            bulk_insert_bypassing_audit(Publication, publications)
        return reviews, signatures, publications

    def _render(
        self, publications: list[Publication], reviews: list[Review], signatures: list[Signature], now: datetime
    ) -> None:
        """Each publication's rendition, rendered by publishing's own code from the facts just written."""
        signers: dict[int, list[Signer]] = {}
        for review, signature in zip(reviews, signatures, strict=True):
            signers.setdefault(review.claim_id, []).append(Signer(signature.signer_id, signature.printed_name, now))
        rows = []
        for pub in publications:
            claim = pub.claim
            facts = VersionFacts(
                claim.pk,
                claim.version,
                claim.text,
                claim.content_hash,
                [claim._load_ref.as_citation()],  # type: ignore[attr-defined]
                grades=[self.grade] * len(signers[claim.pk]),
                signers=signers[claim.pk],
            )
            rows.append(renditions.build(pub, claim, facts, self.website, now))
        bulk_insert_bypassing_audit(Rendition, rows)
        for pub, rendition in zip(publications, rows, strict=True):
            pub.rendition = rendition

    def _claim_timeline(
        self,
        batch: Batch,
        claim: Claim,
        reviews: list[Review],
        signature_of: dict[int, Signature],
        publication_of: dict[int, Publication],
    ) -> None:
        author, ref = self.author, claim._load_ref  # type: ignore[attr-defined]
        cited = [ref.as_citation()]
        last: Any = None
        for version in range(1, self.versions + 1):
            text = claim.text if version == self.versions else self._text_of(claim, version)
            reason = "Imported" if version == 1 else f"Revision {version}: clearer wording"
            fields: dict[str, Any] = {
                "text": text,
                "version": version,
                "content_hash": content_hash(text, [ref.key]),
                "status": ClaimStatus.DRAFT,
                "approved_version": None,
                "submitted_at": None,
            }
            if version == self.versions and claim.status == ClaimStatus.DRAFT:
                fields["updated_at"] = claim.updated_at  # the latest snapshot equals the live row
            entry = self._history(batch, claim, "+" if last is None else "~", author, reason, last, **fields)
            last = entry.row
            batch.citation_rows.append((entry, ref.pk))
            batch.versions.append(
                {
                    "claim_id": claim.pk,
                    "version": version,
                    "text": text,
                    "citations": cited,
                    "content_hash": fields["content_hash"],
                    "changed_by_id": author.pk,
                    "changed_at": entry.row["history_date"],
                    "change_reason": reason,
                    "derived_from": [],
                }
            )
        # Status rows on top of the last version: submit, then (approved claims) the approval.
        submitted = {"status": ClaimStatus.IN_REVIEW, "submitted_at": claim.submitted_at}
        states: list[tuple[Any, str, dict[str, Any]]] = []
        if claim.status != ClaimStatus.DRAFT:
            states.append((author, f"Submitted version {claim.version} for review", submitted))
        if claim.status == ClaimStatus.APPROVED:
            approved = {**submitted, "status": ClaimStatus.APPROVED, "approved_version": claim.version}
            reason = f"Approved version {claim.version} ({len(reviews)} of {claim.approvals_needed} signatures)"
            states.append((reviews[-1].reviewer, reason, approved))
        links = {"claim_id": claim.pk, "article_id": claim.article_id, "channel_id": None}
        for i, (actor, reason, change) in enumerate(states):
            if i == len(states) - 1:
                for review in reviews:
                    why = f"Approve of version {review.version}"
                    self._history(batch, review, "+", review.reviewer, why, links=links)
                    signature = signature_of[review.pk]
                    why = f"Signed version {review.version}"
                    self._history(batch, signature, "+", review.reviewer, why, links=links)
            state = {f.attname: last[f.attname] for f in _history_model(Claim).tracked_fields}
            state.update(change)
            if i == len(states) - 1:
                state["updated_at"] = claim.updated_at  # the latest snapshot equals the live row
            entry = self._history(batch, claim, "~", actor, reason, last, **state)
            batch.citation_rows.append((entry, ref.pk))
            last = entry.row
        if claim.pk in publication_of:
            links = {**links, "channel_id": self.website.pk}
            pub = publication_of[claim.pk]
            assert pub.rendition is not None  # _render gave every publication one
            why = f"Rendered claim {claim.pk} version {claim.version} for {self.website.name}"
            self._history(batch, pub.rendition, "+", self.publisher, why, links=links)
            why = f"Published version {claim.version}"
            self._history(batch, pub, "+", self.publisher, why, links=links)

    def _text_of(self, claim: Claim, version: int) -> str:
        return claim.text.replace(f"wording {self.versions})", f"wording {version})")

    # --- the audit chain ------------------------------------------------------------

    def _chain(self, writer: RawWriter, batch: Batch) -> None:
        """One AuditEvent per history row and per version, linked to the head with review.audit's own hash."""
        entries = batch.entries
        cited: dict[int, list[int]] = {}
        for of, ref_id in batch.citation_rows:
            cited.setdefault(id(of), []).append(ref_id)
        if writer.postgres:
            with writer.connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [audit.CHAIN_LOCK_KEY])
        head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        next_id, prev_hash = (head[0] + 1, head[1]) if head else (1, audit.GENESIS)
        m2m_names: dict[type[models.Model], set[str]] = {}
        events = []
        for entry in entries:
            names = m2m_names.setdefault(entry.model, {f.name for f in _history_model(entry.model)._history_m2m_fields})
            changes = entry.changes  # already made of audit.jsonable values (_history)
            model_name = entry.model._meta.model_name or ""
            event = SimpleNamespace(
                id=next_id,
                pk=next_id,
                prev_hash=prev_hash,
                actor_id=entry.actor.pk,
                actor_username=entry.actor.get_username(),
                type=audit.derive_type(model_name, entry.row["history_type"], changes, names),
                object_type=model_name,
                object_id=str(entry.row["id"]),
                history_id=entry.row["history_id"],
                digest=digest(_history_model(entry.model), entry.row, {"citations": cited.get(id(entry), [])}),
                changes=changes,
                reason=entry.row["history_change_reason"] or "",
                at=entry.row["history_date"],
                **entry.links,
            )
            # The same canonical form and hash as review.audit.events.append_event, on a plain object.
            event.hash = audit.compute_hash(cast(AuditEvent, event))
            events.append(vars(event))
            next_id, prev_hash = next_id + 1, event.hash
        # Each version's event, as review.audit.events records one for a version saved by the app.
        links_of = {e.row["id"]: e.links for e in entries if e.model is Claim}
        actors = {e.actor.pk: e.actor for e in entries}
        for row in batch.versions:
            actor = actors[row["changed_by_id"]]
            event = SimpleNamespace(
                id=next_id,
                pk=next_id,
                prev_hash=prev_hash,
                actor_id=actor.pk,
                actor_username=actor.get_username(),
                type="claimversion.created",
                object_type="claimversion",
                object_id=str(row["id"]),
                history_id=row["id"],
                digest=digest(ClaimVersion, row, {}),
                changes={"version": [None, row["version"]], "content_hash": [None, row["content_hash"]]},
                reason=row["change_reason"],
                at=row["changed_at"],
                **{**links_of[row["claim_id"]], "channel_id": None},
            )
            event.hash = audit.compute_hash(cast(AuditEvent, event))
            events.append(vars(event))
            next_id, prev_hash = next_id + 1, event.hash
        writer.insert(AuditEvent, events)
