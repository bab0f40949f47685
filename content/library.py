"""The claims library: match new claim wording against approved claims of other articles, and reuse them.

Exact matches compare a SHA-256 of the normalised text (content.importing.
normalise_claim_text) through an indexed column. Near matches compare each
new claim's normalised words, sorted, with every approved version's sorted
words (stored at write time in ClaimWording.sort_key): the score is rapidfuzz's
`fuzz.ratio` over the word sequences, i.e. 2·shared words/(m+n), so word order
and punctuation do not matter and a short claim does not "match" a long one
that merely contains its words (token_set_ratio would score that 100).
An inverted index of the approved corpus (LibraryIndex, kept per process and
brought in step with the database on each match) gives prefix filtering: only
wordings that share one of a claim's rarest words are scored, in C++, by
rapidfuzz; there is no Python loop over pairs. bench/library_match.py
measures 25 claims against 100k approved texts.

Matching runs once per transaction, after it commits (an import creates all
its versions in one transaction, so the corpus is read once per import), and
its results are stored as LibraryMatch rows so claim lists read them with a
prefetch. It is advice: a failure is logged and never undoes the import.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from rapidfuzz import fuzz, process

from content.exceptions import InvalidTransition, NotAllowed
from content.importing import normalise_claim_text
from content.locking import lock_chain
from content.models import Claim, ClaimLink, ClaimStatus, ClaimVersion, ClaimWording, LibraryMatch
from content.roles import can_edit_claim, is_reviewer

NEAR_CUTOFF = 85.0  # rapidfuzz score, 0..100
MAX_MATCHES = 5  # per claim version, best first
_WORDS = re.compile(r"\w+")
_PENDING = "_vetted_library_pending"


class LibraryConflict(InvalidTransition):
    """A reuse that the current state does not allow (HTTP 409)."""

    def __init__(self, message: str, status: str) -> None:
        self.action = "link"
        self.status = status
        Exception.__init__(self, message)


# --- Pure helpers ---------------------------------------------------------------------------------------------------


def norm_hash(text: str) -> str:
    return hashlib.sha256(normalise_claim_text(text).encode("utf-8")).hexdigest()


def sort_key(text: str) -> str:
    """The normalised words in sorted order: word order and punctuation do not change it."""
    return " ".join(sorted(_WORDS.findall(normalise_claim_text(text))))


def tokens(key: str) -> tuple[str, ...]:
    return tuple(key.split())


class Wording(NamedTuple):
    """Identity of an approved wording in the index (all of it: SQLite reuses ids after a rollback)."""

    pk: int
    claim_id: int
    version: int
    article_id: int
    norm_hash: str


class LibraryIndex:
    """An inverted index (word -> wordings) over the approved corpus, for prefix-filtered near matching.

    Pure: callers feed it (key, sorted words); see synced_index() for the
    database side. Removed entries leave `entries` at once and the postings
    lazily (skipped when met, swept when they outnumber the live ones).
    """

    def __init__(self) -> None:
        self.entries: dict[Hashable, tuple[str, ...]] = {}
        self.postings: dict[str, list[Hashable]] = {}
        self._stale = 0

    def add(self, key: Hashable, words: tuple[str, ...]) -> None:
        if key in self.entries:
            return
        self.entries[key] = words
        for word in set(words):
            self.postings.setdefault(word, []).append(key)

    def remove(self, key: Hashable) -> None:
        if self.entries.pop(key, None) is not None:
            self._stale += 1
        if self._stale > max(1000, len(self.entries)):
            self._sweep()

    def _sweep(self) -> None:
        live = self.entries
        self.postings = {w: kept for w, keys in self.postings.items() if (kept := [k for k in keys if k in live])}
        self._stale = 0

    def required_words(self, query: Sequence[str], threshold: float) -> list[str]:
        """Words of which an entry must contain at least one to score >= threshold (prefix filtering).

        The score of two sorted word sequences is 2·shared/(m+n) (Dice over
        the words). Reaching `threshold` needs alpha = threshold·m/(2 - threshold)
        shared words, so an entry sharing none of the words picked here (picked
        until the rest of the query holds fewer than alpha words) cannot reach
        it. Any choice is correct; the rarest words are picked first, so the
        candidates are few (a word no approved claim uses costs nothing).
        """
        alpha = math.ceil(threshold * len(query) / (2 - threshold) - 1e-9)
        counts: dict[str, int] = {}
        for word in query:
            counts[word] = counts.get(word, 0) + 1
        remaining, picked = len(query), []
        for word in sorted(counts, key=lambda w: (len(self.postings.get(w, ())), w)):
            if remaining < alpha:
                break
            picked.append(word)
            remaining -= counts[word]
        return picked

    def search(self, query: Sequence[str], *, cutoff: float = NEAR_CUTOFF) -> list[tuple[Any, float]]:
        """(key, score 0..100) of every entry scoring >= cutoff against `query` (sorted words), best first.

        Candidates come from the postings of the required words; rapidfuzz
        scores them in C++ (fuzz.ratio over word sequences).
        """
        keys = {k for w in self.required_words(query, cutoff / 100) for k in self.postings.get(w, ())}
        found = [k for k in keys if k in self.entries]
        hits = process.extract(
            query,
            [self.entries[k] for k in found],
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=cutoff,
            limit=None,
        )
        return [(found[index], float(score)) for _, score, index in hits]


def near_matches(
    queries: Sequence[Sequence[str]], corpus: Sequence[Sequence[str]], *, cutoff: float = NEAR_CUTOFF
) -> list[list[tuple[int, float]]]:
    """For each query, (corpus index, score) of every corpus entry scoring >= cutoff, best first (one-off index)."""
    index = LibraryIndex()
    for position, words in enumerate(corpus):
        index.add(position, tuple(words))
    return [index.search(q, cutoff=cutoff) for q in queries]


# --- Writing wordings and matches -----------------------------------------------------------------------------------


def _wording(version: ClaimVersion) -> ClaimWording:
    return ClaimWording(
        claim_version=version,
        claim_id=version.claim_id,
        version=version.version,
        norm_hash=norm_hash(version.text),
        sort_key=sort_key(version.text),
    )


def record_wording(version: ClaimVersion) -> ClaimWording:
    wording = _wording(version)
    wording.save()
    return wording


def record_wordings(versions: Sequence[ClaimVersion]) -> list[ClaimWording]:
    """record_wording of many versions in one INSERT (content.bulk)."""
    return ClaimWording.objects.bulk_create([_wording(v) for v in versions], batch_size=1000)


def queue_matching(*versions: ClaimVersion) -> None:
    """Match these versions against the library once the transaction commits, together with their siblings.

    Every new version of one transaction (an import writes all of them in one)
    joins one pending set; whichever on_commit callback runs first matches them
    all in one pass over the corpus and the others find nothing left to do.
    """
    connection = transaction.get_connection()
    pending: set[int] | None = getattr(connection, _PENDING, None)
    if pending is None:
        pending = set()
        setattr(connection, _PENDING, pending)
    pending.update(v.pk for v in versions)
    transaction.on_commit(_match_pending, robust=True)


def _match_pending() -> None:
    pending: set[int] = getattr(transaction.get_connection(), _PENDING, set())
    ids = sorted(pending)
    pending.clear()
    if ids:
        # Ids of versions whose transaction rolled back no longer exist and are skipped.
        match_versions(ids)


def approved_wordings() -> QuerySet[ClaimWording]:
    """The wording of every approved claim's approved version: the library corpus."""
    return ClaimWording.objects.filter(claim__status=ClaimStatus.APPROVED, claim__approved_version=F("version"))


_INDEX = LibraryIndex()
_INDEX_LOCK = threading.Lock()
_FETCH_BY_ID_UP_TO = 500  # more new wordings than this: read the corpus in one pass instead


def synced_index() -> LibraryIndex:
    """This process's index of the approved corpus, brought in step with the database.

    One query lists the approved wordings; ones the index no longer should hold
    are dropped, and only wordings it has not seen are read. The first call in
    a process reads the whole corpus (about a second per 100k approved claims);
    later calls cost that one listing plus what changed.
    """
    with _INDEX_LOCK:
        current = {
            Wording(*row)
            for row in approved_wordings().values_list("pk", "claim_id", "version", "claim__article_id", "norm_hash")
        }
        for key in [k for k in _INDEX.entries if k not in current]:
            _INDEX.remove(key)
        missing = {k.pk: k for k in current if k not in _INDEX.entries}
        if missing:
            rows = ClaimWording.objects.values_list("pk", "sort_key")
            if len(missing) <= _FETCH_BY_ID_UP_TO:
                rows = rows.filter(pk__in=list(missing))
            else:
                rows = rows.filter(pk__in=approved_wordings().values("pk"))
            for pk, key in rows.iterator(chunk_size=2000):
                if pk in missing:
                    _INDEX.add(missing[pk], tokens(key))
        return _INDEX


def match_versions(version_ids: Iterable[int]) -> list[LibraryMatch]:
    """Match claim versions against approved claims of other articles; store and return the matches."""
    incoming = list(
        ClaimWording.objects.filter(claim_version_id__in=list(version_ids)).values_list(
            "claim_id", "version", "norm_hash", "sort_key", "claim__article_id"
        )
    )
    if not incoming:
        return []
    exact: dict[str, list[tuple[int, int, int]]] = {}
    for claim_id, version, digest, article_id in (
        approved_wordings()
        .filter(norm_hash__in={row[2] for row in incoming})
        .values_list("claim_id", "version", "norm_hash", "claim__article_id")
    ):
        exact.setdefault(digest, []).append((claim_id, version, article_id))
    index = synced_index()

    rows: list[LibraryMatch] = []
    for claim_id, version, digest, key, article_id in incoming:
        found: dict[tuple[int, int], tuple[bool, float]] = {}
        for other_claim, other_version, other_article in exact.get(digest, []):
            if other_article != article_id:
                found[(other_claim, other_version)] = (True, 1.0)
        for other, score in index.search(tokens(key)):
            if other.article_id != article_id and (other.claim_id, other.version) not in found:
                found[(other.claim_id, other.version)] = (False, round(score / 100, 3))
        best = sorted(found.items(), key=lambda item: (item[1][0], item[1][1]), reverse=True)[:MAX_MATCHES]
        rows += [
            LibraryMatch(
                claim_id=claim_id,
                version=version,
                matched_claim_id=other[0],
                matched_version=other[1],
                exact=is_exact,
                similarity=similarity,
            )
            for other, (is_exact, similarity) in best
        ]
    # Derived, ungoverned rows: a bulk insert is fine, and a retried match records each pair once.
    LibraryMatch.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


# --- Reading --------------------------------------------------------------------------------------------------------


def _still_approved() -> QuerySet[LibraryMatch]:
    """Matches whose approved claim is still approved at the matched version, best first.

    A correlated EXISTS rather than a join: with a join SQLite may start from every
    approved claim (33,000 at 100k claims) instead of the page's claims' matches.
    """
    approved = Claim.objects.filter(
        pk=OuterRef("matched_claim_id"), status=ClaimStatus.APPROVED, approved_version=OuterRef("matched_version")
    )
    return LibraryMatch.objects.filter(Exists(approved)).order_by("-exact", "-similarity", "id")


def live_matches_prefetch() -> Prefetch[Any]:
    """Live matches of every version of each claim: one query for a whole list."""
    return Prefetch("library_matches", queryset=_still_approved(), to_attr="live_matches")


def current_matches(claim: Claim) -> list[LibraryMatch]:
    """Live library matches of the claim's current version (uses live_matches_prefetch() when it ran)."""
    matches: Iterable[LibraryMatch] | None = getattr(claim, "live_matches", None)
    if matches is None:
        matches = _still_approved().filter(claim=claim)
    return [m for m in matches if m.version == claim.version]


# --- Reuse ----------------------------------------------------------------------------------------------------------


def may_link(user: Any, claim: Claim) -> bool:
    """The article's author or a medical reviewer may record that a claim reuses approved wording."""
    return bool(can_edit_claim(user, claim) or is_reviewer(user))


def link_to_approved(match: LibraryMatch, *, by: Any, approval_ids: Sequence[int]) -> ClaimLink:
    """Record that `match.claim` (current version) reuses the approved wording it matches exactly.

    1. Check the actor (author of the article or a reviewer; 403).
    2. Lock the claim; refuse if retired, moved on since the match, not an exact
       match, the source is no longer approved at that version, or already linked (409).
    3. Write the provenance: source claim/version, the content hash the approval
       is sealed to and the approving reviews. The claim's own review is unchanged.
    """
    if not may_link(by, match.claim):
        raise NotAllowed("Only the article's author or a medical reviewer may link a claim to the library.")
    with transaction.atomic():
        lock_chain()
        claim = Claim.objects.select_for_update().get(pk=match.claim_id)
        if claim.status == ClaimStatus.RETIRED:
            raise InvalidTransition("link", claim.status)
        if claim.version != match.version:
            raise LibraryConflict(
                f"Claim #{claim.pk} is at version {claim.version}; this match was for version {match.version}.",
                claim.status,
            )
        if not match.exact:
            raise LibraryConflict("Only an exact match can be linked; a near match needs its own wording reviewed.", "")
        source = Claim.objects.filter(pk=match.matched_claim_id).first()
        if source is None or source.status != ClaimStatus.APPROVED or source.approved_version != match.matched_version:
            raise LibraryConflict(
                f"Claim #{match.matched_claim_id} v{match.matched_version} is no longer approved.", "not_approved"
            )
        if ClaimLink.objects.filter(claim=claim, version=claim.version).exists():
            raise LibraryConflict(f"Claim #{claim.pk} v{claim.version} is already linked.", "linked")
        source_version = ClaimVersion.objects.get(claim=source, version=match.matched_version)
        link = ClaimLink(
            claim=claim,
            version=claim.version,
            source_claim=source,
            source_version=match.matched_version,
            source_hash=source_version.content_hash,
            approval_ids=list(approval_ids),
            linked_by=by,
        )
        link._history_user = by  # type: ignore[attr-defined]
        link._change_reason = (  # type: ignore[attr-defined]
            f"Reuses approved claim #{source.pk} v{match.matched_version}"
        )
        link.save()
    return link


def current_link(claim: Claim) -> ClaimLink | None:
    return ClaimLink.objects.filter(claim=claim, version=claim.version).select_related("source_claim__article").first()


def search_filter(q: str) -> Q:
    """Library text search: icontains on SQLite and PostgreSQL alike."""
    return Q(text__icontains=q.strip()) if q.strip() else Q()
