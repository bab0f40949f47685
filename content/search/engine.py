"""Search across articles (their titles) and claims (their text), within what a user may see.

One interface, `search(user, q, type=, status=, owner=)`, three ways of matching words,
chosen by the database the query runs on:

- PostgreSQL: full-text search (`SearchVector`/`SearchQuery`, English stemming, ranked by
  `SearchRank`).
- SQLite with FTS5 (Python's bundled SQLite has it): the `content_*_fts` tables, kept in
  step with the live rows by triggers (`install_fts_index`), ranked by bm25.
- SQLite without FTS5: every word must occur in the text (LIKE, case-insensitive for ASCII),
  newest first. Same results for plain words; no stemming ("sleeping" does not find "sleep").

Every word of `q` must match (AND). Articles come first, then claims; each type is ranked
on its own and read one page at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, overload

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL

from content.models import Article, Claim, ClaimStatus
from content.permissions import visible_articles, visible_claims

TYPES = ("article", "claim")
ARTICLE_STATUSES = ("active", "archived")
STATUSES = (*ARTICLE_STATUSES, *ClaimStatus.values)
MAX_QUERY = 200


class SearchError(ValueError):
    """A filter value that is not one of the allowed ones (a 400, with the field that is wrong)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Hit:
    type: str
    id: int
    title: str | None  # articles
    text: str | None  # claims
    article: int
    article_title: str
    status: str
    owner: str


def words(q: str) -> list[str]:
    """The words of a query: letters and digits, as a person would type them (operators are text)."""
    return re.findall(r"\w+", q[:MAX_QUERY].lower())[:20]


# --- the SQLite index ---------------------------------------------------------------------

INDEXED = [("content_article", "title"), ("content_claim", "text")]


def _index_statements(table: str, column: str) -> list[str]:
    # Names from INDEXED only (constants), never from input: string-built DDL is safe here.
    fts = f"{table}_fts"
    return [
        # External content: the index holds only tokens; the text stays in the live row.
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({column}, content='{table}', content_rowid='id',"
        " tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN"  # noqa: S608
        f" INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN"  # noqa: S608
        f" INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE OF {column} ON {table} BEGIN"  # noqa: S608
        f" INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column});"
        f" INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
    ]


def install_fts_index(connection: BaseDatabaseWrapper) -> bool:
    """Create (idempotently) the FTS5 indexes and their triggers on SQLite; whether there are any.

    Triggers fire on every INSERT, DELETE and change of the indexed column, whoever writes
    (the ORM, content.bulk's bulk INSERT, raw SQL). A migration that rebuilds a table on
    SQLite (a new constraint, say) drops that table's triggers with it, so this runs again
    after every migrate (content.receivers) and re-reads the index when a trigger was missing.
    A SQLite built without FTS5 gets no index: content.search falls back to LIKE.
    """
    if connection.vendor != "sqlite":
        return False
    existing = set(connection.introspection.table_names())
    if not {table for table, _ in INDEXED} <= existing:
        return False  # before the content tables exist
    with connection.cursor() as cursor:
        try:
            cursor.execute("CREATE VIRTUAL TABLE temp.vetted_fts5_probe USING fts5(x)")
        except OperationalError:
            return False
        cursor.execute("DROP TABLE temp.vetted_fts5_probe")
        for table, column in INDEXED:
            fts = f"{table}_fts"
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
            triggers = {name for (name,) in cursor.fetchall()}
            for statement in _index_statements(table, column):
                cursor.execute(statement)
            if not {f"{fts}_insert", f"{fts}_delete", f"{fts}_update"} <= triggers:
                # New, or its table was rebuilt: index every row there is now.
                cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608
    fts5_available.cache_clear()
    return True


@cache
def fts5_available(alias: str) -> bool:
    """Whether this SQLite database has the FTS5 index (install_fts_index made it)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'content_claim_fts'")
        return cursor.fetchone() is not None


# --- searching -----------------------------------------------------------------------------


def _fts_phrase(terms: list[str]) -> str:
    # Each word a quoted FTS5 string: nothing the user types is read as FTS5 syntax.
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _match(qs: QuerySet[Any], field: str, terms: list[str]) -> QuerySet[Any]:
    """`qs` narrowed to rows whose `field` holds every term, best match first."""
    alias = qs.db
    vendor = connections[alias].vendor
    if vendor == "postgresql":
        query = SearchQuery(" ".join(terms), config="english", search_type="plain")
        vector = SearchVector(field, config="english")
        # @@ keeps rows holding every word (plainto_tsquery ANDs them); the rank only orders them.
        matched = qs.annotate(document=vector).filter(document=query)
        return matched.annotate(rank=SearchRank(vector, query)).order_by("-rank", "-pk")
    table = qs.model._meta.db_table
    if vendor == "sqlite" and fts5_available(alias):
        fts = f"{table}_fts"
        phrase = _fts_phrase(terms)
        # bm25 is negative, lower is better; it needs the MATCH in the same (sub)query.
        rank = RawSQL(  # noqa: S611 (our table names; the user's words are a parameter)
            f'SELECT bm25("{fts}") FROM "{fts}" WHERE "{fts}" MATCH %s AND rowid = "{table}"."id"',  # noqa: S608
            [phrase],
        )
        matching = RawSQL(  # noqa: S611
            f'SELECT rowid FROM "{fts}" WHERE "{fts}" MATCH %s',  # noqa: S608
            [phrase],
        )
        return qs.filter(pk__in=matching).annotate(rank=rank).order_by("rank", "-pk")
    every = Q()
    for term in terms:
        every &= Q(**{f"{field}__icontains": term})
    return qs.filter(every).order_by("-pk")


class Results:
    """Articles then claims, counted once and sliced lazily: a page reads only its own rows.

    Django's Paginator (and DRF's) needs only `count()` and slicing.
    """

    def __init__(self, articles: QuerySet[Article] | None, claims: QuerySet[Claim] | None) -> None:
        self.parts = [p for p in (articles, claims) if p is not None]
        self._counts: list[int] | None = None

    def counts(self) -> list[int]:
        if self._counts is None:
            self._counts = [part.count() for part in self.parts]
        return self._counts

    def count(self) -> int:
        return sum(self.counts())

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> Hit: ...

    @overload
    def __getitem__(self, index: slice) -> list[Hit]: ...

    def __getitem__(self, index: int | slice) -> Hit | list[Hit]:
        if isinstance(index, int):
            one = self[index : index + 1] if index >= 0 else []
            if not one:
                raise IndexError(index)
            return one[0]
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        hits: list[Hit] = []
        offset = 0
        for part, size in zip(self.parts, self.counts(), strict=True):
            lo, hi = max(start - offset, 0), min(stop - offset, size)
            if lo < hi:
                hits.extend(_hits(part[lo:hi]))
            offset += size
        return hits

    def __iter__(self) -> Iterator[Hit]:
        return iter(self[0 : self.count()])


def _hits(rows: QuerySet[Any]) -> list[Hit]:
    if rows.model is Article:
        return [
            Hit(
                type="article",
                id=a.pk,
                title=a.title,
                text=None,
                article=a.pk,
                article_title=a.title,
                status="archived" if a.archived_at else "active",
                owner=a.owner.get_username(),
            )
            for a in rows.select_related("owner")
        ]
    return [
        Hit(
            type="claim",
            id=c.pk,
            title=None,
            text=c.text,
            article=c.article_id,
            article_title=c.article.title,
            status=c.status,
            owner=c.article.owner.get_username(),
        )
        for c in rows.select_related("article__owner")
    ]


def search(user: Any, q: str = "", *, type: str = "", status: str = "", owner: str = "") -> Results:
    """What `user` may see that matches every word of `q` and the filters (any left empty: all).

    Raises SearchError for a type or status that is not one of TYPES or STATUSES.
    """
    if type and type not in TYPES:
        raise SearchError("type", f"Must be one of {', '.join(TYPES)}.")
    if status and status not in STATUSES:
        raise SearchError("status", f"Must be one of {', '.join(STATUSES)}.")
    terms = words(q)
    articles: QuerySet[Article] | None = None
    claims: QuerySet[Claim] | None = None
    # A status names either an article state or a claim state: it keeps only that type.
    if type != "claim" and status not in ClaimStatus.values:
        articles = visible_articles(user)
        if status:
            articles = articles.filter(archived_at__isnull=status == "active")
        if owner:
            articles = articles.filter(owner__username=owner)
        articles = _match(articles, "title", terms) if terms else articles.order_by("-created_at", "-pk")
    if type != "article" and status not in ARTICLE_STATUSES:
        claims = visible_claims(user)
        if status:
            claims = claims.filter(status=status)
        if owner:
            claims = claims.filter(article__owner__username=owner)
        claims = _match(claims, "text", terms) if terms else claims.order_by(F("updated_at").desc(), "-pk")
    return Results(articles, claims)
