"""The entry points: every rule on one claim (`assess`) and on an article's claims
(`assess_article`), and the article's year.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from content.triage.article import article_context, harms_omitted
from content.triage.base import NO_CONTEXT, Cited, Context, Flag, prepare, split_clauses
from content.triage.causal import causal_claim
from content.triage.extrapolation import extrapolation
from content.triage.harms import minimisation
from content.triage.language import absolute, hype, overreach
from content.triage.sourcing import no_citation, old_citation, retracted, unsourced_number


def assess(
    text: str,
    citations: Sequence[Cited] = (),
    *,
    year: int,
    context: Context = NO_CONTEXT,
    reviewed_evidence: str = "",
) -> list[Flag]:
    """Every flag for one claim version: at most one per code, except one per retracted citation.

    `year` is the article's own year (old citations are old relative to it); `context` is what the rest of
    the article says (article_context()); `reviewed_evidence` an evidence type a reviewer has recorded.
    """
    s = prepare(text)
    clauses = split_clauses(s)
    candidates = [
        absolute(s, text, clauses),
        overreach(s, text, clauses),
        minimisation(s, text),
        extrapolation(s, text, clauses, context),
        causal_claim(s, text, clauses, citations, context, reviewed_evidence),
        hype(s, text),
        no_citation(s, text, clauses, citations),
        old_citation(citations, year),
        unsourced_number(s, text, citations),
    ]
    return [f for f in candidates if f is not None] + retracted(citations)


@dataclass(frozen=True)
class ArticleClaim:
    """One claim of an article, as assess_article() takes it."""

    text: str
    citations: Sequence[Cited] = field(default_factory=tuple)
    reviewed_evidence: str = ""


def assess_article(claims: Sequence[ArticleClaim], *, year: int) -> list[list[Flag]]:
    """The flags of every claim of one article, in order: each claim's own, plus the article-level ones."""
    texts = [c.text for c in claims]
    context = article_context(texts)
    omitted = harms_omitted(texts)
    result = []
    for i, claim in enumerate(claims):
        flags = assess(
            claim.text, claim.citations, year=year, context=context, reviewed_evidence=claim.reviewed_evidence
        )
        if i in omitted:
            flags.append(omitted[i])
        result.append(flags)
    return result


def article_year(source_text: str, fallback: int) -> int:
    """The article's own year: its HTML metadata, else a dated byline near the top, else `fallback` (import year).

    Pure: reads the text as imported. A year later than `fallback` is a typo or a future date; ignored.
    """
    meta = re.search(
        r"""(?:article:published_time|datePublished|citation_(?:publication_)?date|dc\.date|pubdate|date)["']?"""
        r"""\s*(?:content|:)\s*=?\s*["']?\s*((?:19|20)\d\d)""",
        source_text[:200_000],
        re.I,
    )
    if meta and int(meta.group(1)) <= fallback:
        return int(meta.group(1))
    head = source_text[:1500]
    months = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
    byline = re.search(
        rf"\b(?:published|posted|updated|released|dated)?\s*:?\s*{months}\s+\d{{1,2}},?\s+((?:19|20)\d\d)\b"
        rf"|\b\d{{1,2}}\s+{months}\s+((?:19|20)\d\d)\b",
        head,
        re.I,
    )
    if byline:
        found = int(byline.group(1) or byline.group(2))
        if found <= fallback:
            return found
    # A paper's own citation line under its title ("Journal 2008;8:11."), or a copyright line.
    own = re.search(r"\b((?:19|20)\d\d);\s*\d+(?:\(\d+\))?:|(?:©|\(c\)|copyright)\s*((?:19|20)\d\d)\b", head, re.I)
    if own and int(own.group(1) or own.group(2)) <= fallback:
        return int(own.group(1) or own.group(2))
    return fallback
