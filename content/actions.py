"""Storing what the importer parsed: one transaction, nothing half-written."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from content import diffing, flagging, importing
from content.bulk import NewClaim, create_claim, create_claims
from content.exceptions import DuplicateImport, InvalidTransition, NotAllowed, StaleVersion
from content.governance import save_as
from content.importing import ImportRejected, ParsedArticle, ParsedCitation, ParsedClaim
from content.locking import lock_chain
from content.models import (
    Article,
    Claim,
    ClaimStatus,
    FlagCode,
    FlagSeverity,
    Reference,
    Section,
    content_hash,
    source_fingerprint,
    unstorable,
)
from content.roles import can_edit_article, can_import

# How much wording (0..1) a re-imported sentence shares with an old claim for it to
# count as that claim, changed (a new version) rather than a different claim.
SAME_CLAIM = 0.5


@dataclass
class ImportResult:
    article: Article
    created: int = 0
    revised: int = 0
    unchanged: int = 0
    retired: int = 0

    @property
    def claim_count(self) -> int:
        return self.created + self.revised + self.unchanged


# Article.title and Section.heading are varchar(300).
LABEL_MAX = 300


def _clip(text: str) -> str:
    """Fit a title or heading into its column.

    They are labels, not claims: nobody signs them, and the source text keeps
    them whole. Unclipped, an over-long one would fail the whole import.
    """
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1].rstrip() + "…"


def unique_slug(title: str) -> str:
    base = slugify(title)[:300] or "article"
    slug, n = base, 1
    while Article.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# How many times an import looks for a free slug again after another writer took the one it chose.
SLUG_ATTEMPTS = 10


def _insert_with_free_slug(article: Article, title: str) -> None:
    """Insert a new article under the first free slug for `title`.

    Writers that take the chain lock first (every import) already queue behind each
    other, so the slug read here stays free until commit. A writer that skips it (the
    admin, a shell) can still take the slug between the read and the insert: the
    unique constraint refuses the insert, the savepoint undoes only that insert and
    its history, and the next free slug is tried.
    """
    for attempt in range(1, SLUG_ATTEMPTS + 1):
        article.slug = unique_slug(title)
        try:
            with transaction.atomic():
                article.save()
            return
        except IntegrityError:
            if attempt == SLUG_ATTEMPTS or not Article.objects.filter(slug=article.slug).exists():
                raise  # not the slug, or still losing: a real error


def _title_key(title: str) -> str:
    return " ".join("".join(c for c in title.casefold() if c.isalnum() or c.isspace()).split())


def _same_work(ref: Reference, cite: ParsedCitation) -> bool:
    """Whether an existing Reference with the citation's first author and year is the work it names.

    A DOI or a title known on both sides must agree. Two author-year keys that differ name
    different author lists ("Smith, 2019" and "Smith & Jones, 2019") or works ("2019a", "2019b").
    """
    if ref.doi and cite.doi and ref.doi.casefold() != cite.doi.casefold():
        return False
    if ref.title and cite.title and _title_key(ref.title) != _title_key(cite.title):
        return False
    identified = ref.key.startswith(("doi:", "pmid:")) or cite.key.startswith(("doi:", "pmid:"))
    return identified or ref.key == cite.key


def _work_key(cite: ParsedCitation, article: Article | None) -> str:
    # "[7]" with no seventh entry names nothing beyond this article: another article's "[7]" is another work.
    if not cite.resolved and not cite.authors and article is not None:
        return f"{cite.key}@article-{article.pk}"[:500]
    return cite.key


def upsert_references(
    citations: Sequence[ParsedCitation], actor: Any, article: Article | None = None
) -> dict[str, Reference]:
    """One Reference per work, shared across articles; returns the Reference of each citation's key.

    1. By key (doi:…, pmid:…, "authors|year").
    2. Else by first author and year (one indexed query for the whole article), where
       _same_work() agrees: an in-text "(Herrett et al., 2021)" and a listed entry with its
       DOI are the same work. A match learns the DOI, title, PMID or URL it lacked.
    3. Else a new Reference, labelled in its bibliographic form ("Herrett et al., 2021")
       rather than the "[1]" it has in this one article.
    """
    keys = {cite.key: _work_key(cite, article) for cite in citations}
    by_key = {ref.key: ref for ref in Reference.objects.filter(key__in=set(keys.values()))}
    wanted = {
        (importing.first_surname(c.authors)[:100], c.year)
        for c in citations
        if keys[c.key] not in by_key and c.authors and c.year
    }
    candidates: dict[tuple[str, int | None], list[Reference]] = {}
    if wanted:
        for known in Reference.objects.filter(
            first_author__in={a for a, _ in wanted}, year__in={y for _, y in wanted}
        ).order_by("pk"):
            candidates.setdefault((known.first_author, known.year), []).append(known)
    found: dict[str, Reference] = {}
    for cite in citations:
        if cite.key in found:
            continue
        key = keys[cite.key]
        ref: Reference | None = by_key.get(key)
        if ref is None:
            pool = candidates.get((importing.first_surname(cite.authors)[:100], cite.year), []) if cite.authors else []
            ref = next((r for r in pool if _same_work(r, cite)), None)
            if ref is not None:
                _learn(ref, cite, actor)
        if ref is None:
            ref = Reference(
                key=key,
                label=importing.bibliographic_label(cite.authors, cite.year)[:500] or cite.label,
                authors=cite.authors,
                year=cite.year,
                title=cite.title,
                doi=cite.doi,
                pmid=cite.pmid,
                url=cite.url,
            )
            ref._history_user = actor  # type: ignore[attr-defined]
            ref._change_reason = "Cited in an imported article"  # type: ignore[attr-defined]
            ref.save()
            by_key[key] = ref
            if ref.first_author and ref.year:
                candidates.setdefault((ref.first_author, ref.year), []).append(ref)
        found[cite.key] = ref
    return found


def _learn(ref: Reference, cite: ParsedCitation, actor: Any) -> None:
    """Fill in what an existing Reference lacked from a citation of the same work (never overwrite)."""
    changed = False
    for field in ("title", "doi", "pmid", "url"):
        if not getattr(ref, field) and getattr(cite, field):
            setattr(ref, field, getattr(cite, field))
            changed = True
    if changed:
        save_as(ref, actor, "Details from an imported article's reference list")


def _sync_sections(article: Article, parsed: ParsedArticle, actor: Any) -> list[Section]:
    """Sections by position: reuse the slot, rename it if its heading changed."""
    existing = {s.position: s for s in article.sections.all()}
    sections = []
    for position, parsed_section in enumerate(parsed.sections, start=1):
        section = existing.get(position) or Section(article=article, position=position)
        heading = _clip(parsed_section.heading)
        if section.pk is None or section.heading != heading:
            section.heading = heading
            section._history_user = actor  # type: ignore[attr-defined]
            section._change_reason = "Imported"  # type: ignore[attr-defined]
            section.save()
        sections.append(section)
    return sections


def import_article(
    *,
    text: str,
    fmt: str,
    author: Any,
    title: str | None = None,
    article: Article | None = None,
    force: bool = False,
    on_parsed: Callable[[int], None] | None = None,
) -> ImportResult:
    """Parse `text` and store it as a new article, or as new versions of `article`.

    1. Parse (pure; raises ImportRejected before anything is written).
    2. In one transaction: create/update the article, its references and sections.
    3. Align the parsed claims with the article's live claims: unchanged claims
       stay, changed ones get a new version, new ones are created, vanished ones
       are retired. Claims are never duplicated.

    A new article whose text its author already imported is refused (DuplicateImport)
    unless `force`: the second copy would split the reviewers' work in two.
    `on_parsed(claims)` is told how many claims the parser found, before the write begins.
    """
    if not can_import(author):
        raise NotAllowed("Only authors may import articles.")
    if problem := unstorable(text):
        raise ImportRejected(problem)
    parsed = importing.parse_article(text, fmt, title=title or None)
    if on_parsed is not None:
        on_parsed(sum(len(section.claims) for section in parsed.sections))
    fingerprint = source_fingerprint(text)
    with transaction.atomic():
        lock_chain()
        if article is None:
            if not force and (same := find_duplicate(author, fingerprint)) is not None:
                raise DuplicateImport(same.pk, same.title)
            article = Article(
                title=_clip(parsed.title) or "Untitled article",
                source_text=text,
                source_hash=fingerprint,
                format=fmt,
                owner=author,
            )
            reason = "Imported"
        else:
            article = Article.objects.select_for_update().get(pk=article.pk)
            if not can_edit_article(author, article):
                raise NotAllowed("Only the article's author may re-import it.")
            article.source_text = text
            article.source_hash = fingerprint
            article.format = fmt
            if title:
                article.title = _clip(title)
            reason = "Re-imported"
        article._history_user = author  # type: ignore[attr-defined]
        article._change_reason = reason  # type: ignore[attr-defined]
        if article.pk is None:
            _insert_with_free_slug(article, parsed.title)
        else:
            article.save()

        refs = upsert_references(parsed.references, author, article)
        sections = _sync_sections(article, parsed, author)
        result = ImportResult(article=article)
        _sync_claims(article, parsed, sections, refs, author, result)
    return result


def find_duplicate(author: Any, fingerprint: str) -> Article | None:
    """The author's earliest article imported from the same (normalised) text, if any: one indexed lookup."""
    return Article.objects.filter(owner=author, source_hash=fingerprint).order_by("created_at", "pk").first()


@dataclass(frozen=True)
class UnresolvedCitation:
    """Advice (flagging.Advice) the import raises: the claim cites a work its article does not list."""

    evidence: str
    code: FlagCode = FlagCode.UNRESOLVED_CITATION
    # A sourcing problem the reviewer must resolve before judging the evidence.
    severity: FlagSeverity = FlagSeverity.RISK
    why: str = "The article's reference list has no entry for this citation: check which work it means."


UNRESOLVED_REASON = "Import: citation not in the article's reference list"


def unresolved_advice(pc: ParsedClaim) -> list[UnresolvedCitation]:
    """One flag per author-year citation the parser could not find in the article's list.

    A bare "[7]" or "(7)" is left alone: with no list it is the article's own numbering.
    """
    labels = dict.fromkeys(c.label[:500] for c in pc.citations if not c.resolved and c.authors)
    return [UnresolvedCitation(evidence=label) for label in labels]


def _sync_claims(
    article: Article,
    parsed: ParsedArticle,
    sections: list[Section],
    refs: dict[str, Reference],
    actor: Any,
    result: ImportResult,
) -> None:
    incoming: list[tuple[Section, ParsedClaim]] = [
        (sections[i], claim) for i, ps in enumerate(parsed.sections) for claim in ps.claims
    ]
    current = list(article.claims.live().order_by("position").prefetch_related("citations"))

    old_keys = [importing.normalise_claim_text(c.text) for c in current]
    new_keys = [importing.normalise_claim_text(pc.text) for _, pc in incoming]
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)

    opcodes = matcher.get_opcodes()
    # The old claims whose place changed (moved, reworded, removed), as they read before this
    # import: a new or reworded sentence that reads like one of them carries its words, and so
    # its contributors (ClaimVersion.derived_from), wherever it lands.
    unsettled = [(c.pk, c.version, c.text) for op, o1, o2, _, _ in opcodes if op != "equal" for c in current[o1:o2]]

    def sources(text: str, target: Claim | None = None) -> list[tuple[int, int]]:
        return [
            (pk, version)
            for pk, version, old in unsettled
            if (target is None or pk != target.pk) and diffing.similarity(old, text) >= SAME_CLAIM
        ]

    ordered: list[tuple[Claim | NewClaim, Section]] = []
    for op, o1, o2, n1, n2 in opcodes:
        olds, news = current[o1:o2], incoming[n1:n2]
        if op == "equal":
            for claim, (section, pc) in zip(olds, news, strict=True):
                citations = [refs[c.key] for c in pc.citations]
                if content_hash(pc.text.strip(), [r.key for r in citations]) != claim.content_hash:
                    # Same words but different citations or punctuation: a new version.
                    _revise_for_import(claim, pc, citations, actor)
                    result.revised += 1
                else:
                    result.unchanged += 1
                ordered.append((claim, section))
            continue
        # replace / insert / delete: a new sentence continues the next old claim
        # that reads like it (a new version); the old claims skipped on the way
        # were removed (retired), and a sentence like none of them is a new claim.
        remaining = list(olds)
        for section, pc in news:
            citations = [refs[c.key] for c in pc.citations]
            match = next((c for c in remaining if diffing.similarity(c.text, pc.text) >= SAME_CLAIM), None)
            if match is None:
                # Created below, all in one go, at its final place: `ordered` is built in reading order.
                new = NewClaim(
                    article,
                    section,
                    position=len(ordered) + 1,
                    text=pc.text,
                    citations=citations,
                    advice=unresolved_advice(pc),
                    derived_from=sources(pc.text),
                )
                ordered.append((new, section))
                continue
            at = remaining.index(match)
            result.retired += _retire_removed(remaining[:at], actor)
            remaining = remaining[at + 1 :]
            _revise_for_import(match, pc, citations, actor, derived_from=sources(pc.text, match))
            result.revised += 1
            ordered.append((match, section))
        result.retired += _retire_removed(remaining, actor)

    new_claims = [item for item, _ in ordered if isinstance(item, NewClaim)]
    create_claims(new_claims, author=actor)
    result.created = len(new_claims)

    # Claims kept or revised may have moved; new claims were created in their place.
    for position, (item, section) in enumerate(ordered, start=1):
        if isinstance(item, NewClaim) or (item.position == position and item.section_id == section.pk):
            continue
        item.refresh_from_db()
        if item.position != position or item.section_id != section.pk:
            item.position = position
            item.section = section
            item._save_as(actor, "Re-ordered by import")


def _retire_removed(claims: list[Claim], actor: Any) -> int:
    for claim in claims:
        if claim.status == ClaimStatus.IN_REVIEW:
            _refuse_frozen(claim)
        claim.retire(by=actor, reason="Removed from the article on re-import")
    return len(claims)


def _revise_for_import(
    claim: Claim,
    pc: ParsedClaim,
    citations: list[Reference],
    actor: Any,
    derived_from: Sequence[tuple[int, int]] = (),
) -> None:
    if claim.status == ClaimStatus.IN_REVIEW:
        _refuse_frozen(claim)
    claim.revise(
        text=pc.text,
        expected_version=claim.version,
        reason="Changed in the re-imported article",
        by=actor,
        citations=citations,
        derived_from=derived_from,
    )
    for advice in unresolved_advice(pc):
        flagging.save_flag(claim.pk, claim.version, advice, actor=actor, reason=UNRESOLVED_REASON)


def _refuse_frozen(claim: Claim) -> None:
    raise ImportRejected(f"Claim #{claim.pk} is in review and its text is frozen; re-import after the review ends.")


def _shift_after(claim: Claim, by: int, actor: Any) -> None:
    """Move every claim after `claim` in its article by `by` positions."""
    later = claim.article.claims.filter(position__gt=claim.position).order_by("-position" if by > 0 else "position")
    for other in later:
        other.position += by
        other._save_as(actor, "Re-ordered")


def _lock_article(claim: Claim) -> None:
    """Serialise changes to an article's claim order: split, merge and re-import renumber claims."""
    Article.objects.select_for_update().get(pk=claim.article_id)


def split_claim(claim: Claim, *, first: str, second: str, expected_version: int, reason: str, by: Any) -> Claim:
    """Split one claim in two: `claim` keeps `first` (a new version); a new claim right after it holds `second`."""
    parts = {"first": first, "second": second}
    errors = {name: "This part of the split cannot be empty." for name, part in parts.items() if not part.strip()}
    if errors:
        raise ValidationError(errors)
    return split_claim_into(claim, [first, second], expected_version=expected_version, reason=reason, by=by)[0]


def split_claim_into(claim: Claim, parts: Sequence[str], *, expected_version: int, reason: str, by: Any) -> list[Claim]:
    """Split one claim in several: `claim` keeps the first part (a new version), a new claim follows for each other.

    1. Every part must have words, and there must be two at least (400).
    2. Lock the chain, then the article (claim order), revise `claim` (optimistic lock: 409 if stale).
    3. Move the later claims down, then create the new ones in order, each citing what `claim` cites.
    Returns the new claims.
    """
    if len(parts) < 2:
        raise ValidationError({"text": "Put a split point where each new claim starts."})
    if any(not part.strip() for part in parts):
        raise ValidationError({"text": "Every part of the split needs words: two split points are side by side."})
    with transaction.atomic():
        lock_chain()
        _lock_article(claim)
        claim.revise(text=parts[0].strip(), expected_version=expected_version, reason=reason, by=by)
        _shift_after(claim, len(parts) - 1, by)
        return [
            create_claim(
                article=claim.article,
                section=claim.section,
                position=claim.position + offset,
                text=part.strip(),
                citations=list(claim.citations.all()),
                author=by,
                reason=f"Split from claim #{claim.pk}: {reason.strip()}",
                # Each part's words are the split version's: so are its contributors.
                derived_from=[(claim.pk, expected_version)],
            )
            for offset, part in enumerate(parts[1:], start=1)
        ]


def merge_with_next(claim: Claim, *, expected_version: int, reason: str, by: Any) -> Claim:
    """Merge the next live claim of the same article into `claim` (a new version); the next one is retired.

    Both texts are read under the locks, so the merge joins what is stored now;
    revise() still refuses if `claim` moved on since `expected_version`.
    """
    with transaction.atomic():
        lock_chain()
        _lock_article(claim)
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        nxt = (
            Claim.objects.live()
            .select_for_update()
            .filter(article_id=current.article_id, position__gt=current.position)
            .order_by("position")
            .first()
        )
        if nxt is None:
            raise ValidationError({"claim": "This is the last claim of the article; there is nothing to merge."})
        if nxt.status == ClaimStatus.IN_REVIEW:
            raise InvalidTransition("merge", nxt.status)
        joiner = "\n" if "\n" in current.text or "\n" in nxt.text else " "
        citations = list({*current.citations.all(), *nxt.citations.all()})
        current.revise(
            text=current.text.rstrip() + joiner + nxt.text.lstrip(),
            expected_version=expected_version,
            reason=reason,
            by=by,
            citations=citations,
            derived_from=[(nxt.pk, nxt.version)],
        )
        nxt.retire(by=by, reason=f"Merged into claim #{claim.pk}: {reason.strip()}")
    claim.refresh_from_db()
    return claim


def merge_with_previous(claim: Claim, *, expected_version: int, reason: str, by: Any) -> Claim:
    """Merge `claim` into the previous live claim of its article (a new version of that one); `claim` is retired.

    `expected_version` is `claim`'s, checked under the locks; the previous claim's text is
    read under them too, so the merge joins what is stored now. Returns the previous claim.
    """
    with transaction.atomic():
        lock_chain()
        _lock_article(claim)
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        if current.version != expected_version:
            raise StaleVersion(current, expected_version)
        if current.status == ClaimStatus.IN_REVIEW:
            raise InvalidTransition("merge", current.status)
        previous = (
            Claim.objects.live()
            .filter(article_id=current.article_id, position__lt=current.position)
            .order_by("-position")
            .first()
        )
        if previous is None:
            raise ValidationError({"claim": "This is the first claim of the article; there is nothing before it."})
        return merge_with_next(previous, expected_version=previous.version, reason=reason, by=by)
