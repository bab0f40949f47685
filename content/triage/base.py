"""What every rule shares: codes, severities, the values rules read (Cited, Context) and return
(Flag), clause splitting and the hedge and negation matchers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

RULES_VERSION = 2


OLD_CITATION_YEARS = 15


class Code(StrEnum):
    ABSOLUTE_LANGUAGE = "absolute_language"
    OVERREACH = "overreach"
    ADVERSE_EFFECT_MINIMISATION = "adverse_effect_minimisation"
    EXTRAPOLATION = "extrapolation"
    NO_CITATION = "no_citation"
    OLD_CITATION = "old_citation"
    UNSOURCED_NUMBER = "unsourced_number"
    RETRACTED_CITATION = "retracted_citation"
    CAUSAL_CLAIM = "causal_claim"
    HYPE = "hype"
    HARMS_OMITTED = "harms_omitted"


class Severity(StrEnum):
    RISK = "risk"  # a reviewer should stop here
    INFO = "info"  # context, folded away by default


LABELS: dict[Code, str] = {
    Code.ABSOLUTE_LANGUAGE: "Absolute or certainty language",
    Code.OVERREACH: "Causal or restorative overreach",
    Code.ADVERSE_EFFECT_MINIMISATION: "Minimises adverse effects",
    Code.EXTRAPOLATION: "Extrapolation",
    Code.NO_CITATION: "No citation",
    Code.OLD_CITATION: "Old citation",
    Code.UNSOURCED_NUMBER: "Number without a source",
    Code.RETRACTED_CITATION: "Retracted or superseded citation",
    Code.CAUSAL_CLAIM: "Causal claim",
    Code.HYPE: "Sensational wording",
    Code.HARMS_OMITTED: "Benefits without harms",
}


# Whether a claim is sourced, rather than what it says.
SOURCING: frozenset[Code] = frozenset(
    {Code.NO_CITATION, Code.OLD_CITATION, Code.UNSOURCED_NUMBER, Code.RETRACTED_CITATION}
)


class Design(StrEnum):
    """Evidence types, as the reviewers' evidence-type field names them (review.models.EvidenceType)."""

    SYSTEMATIC_REVIEW = "systematic_review"
    RCT = "rct"
    OBSERVATIONAL = "observational"
    MECHANISTIC = "mechanistic"
    EXPERT_OPINION = "expert_opinion"
    NONE_CITED = "none_cited"


STRONG_DESIGNS = frozenset({Design.SYSTEMATIC_REVIEW, Design.RCT})


@dataclass(frozen=True)
class Cited:
    """What triage needs to know about one cited work."""

    label: str
    year: int | None = None
    status: str = "active"  # content.models.ReferenceStatus values
    reason: str = ""
    title: str = ""  # the work's title or other metadata words, when known


@dataclass(frozen=True)
class Flag:
    code: Code
    evidence: str
    why: str
    severity: Severity = Severity.RISK


@dataclass(frozen=True)
class Context:
    """What the rest of the article says about the claim being assessed."""

    # The design of the article's own study when it reports one (a press release about a trial,
    # a paper's own mouse experiments): from design words across all its claims.
    own_design: Design | None = None
    # Words of the article that showed that design, for the why.
    design_evidence: str = ""


NO_CONTEXT = Context()


EVIDENCE_MAX = 500


# Same length in and out, so a match's span in the prepared text is its span in the claim as written.
_STRAIGHTEN = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"'})


WORD = re.compile(r"[\w']+")


_ITEM = re.compile(r"\s*(?:[-*+•]|\d{1,2}[.)])\s+")


def prepare(text: str) -> str:
    return text.translate(_STRAIGHTEN)


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    # For a list item: the lead-in clause it completes ("antidepressants can:" + "- Restore ..."),
    # whose hedge carries over to the item.
    lead_in: tuple[int, int] | None = None


# Clause boundaries: sentence ends, semicolons, colons, dashes, and a comma before a contrasting conjunction.
_BOUNDARY = re.compile(r"[.!?](?=\s|$)|[;:—–]|\s-\s|,\s*(?=(?:but|while|whereas|although|though|yet)\b)", re.I)


# A sentence that opens with a subordinate clause or a "By doing X," phrase: its first comma ends that clause.
_SUBORDINATE = re.compile(
    r"\s*(?:while|although|though|whereas|even though|if|when|whenever|because|since|as|after|once|by|"
    r"unlike|despite)\b[^,]*,",
    re.I,
)


def _split_line(s: str, line_start: int, line_end: int) -> list[Clause]:
    clauses: list[Clause] = []
    start = line_start
    for m in _BOUNDARY.finditer(s, line_start, line_end):
        clauses.extend(_split_subordinate(s, start, m.start()))
        start = m.end()
    clauses.extend(_split_subordinate(s, start, line_end))
    return [c for c in clauses if s[c.start : c.end].strip()]


def _split_subordinate(s: str, start: int, end: int) -> list[Clause]:
    m = _SUBORDINATE.match(s, start, end)
    if m and m.end() < end:
        return [Clause(start, m.end() - 1), Clause(m.end(), end)]
    return [Clause(start, end)]


def split_clauses(s: str) -> list[Clause]:
    """Clauses of the (prepared) claim text; list items remember the lead-in they complete."""
    result: list[Clause] = []
    lead_in: tuple[int, int] | None = None
    pos = 0
    for line in s.splitlines(keepends=True):
        start, end = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        item = _ITEM.match(s, start, end)
        if item and lead_in is not None:
            for clause in _split_line(s, item.end(), end):
                result.append(Clause(clause.start, clause.end, lead_in))
            continue
        clauses = _split_line(s, start, end)
        result.extend(clauses)
        lead_in = (clauses[-1].start, clauses[-1].end) if clauses and s[start:end].rstrip().endswith(":") else None
    return result


def words_rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.I)


# Epistemic hedges: modal verbs, reporting verbs of tentative findings, and approximators.
HEDGE = words_rx(
    r"may",
    r"might",
    r"can(?!'t|not)",
    r"could",
    r"would",
    r"some",
    r"suggests?",
    r"suggested",
    r"suggesting",
    r"possibly",
    r"possible",
    r"potentially",
    r"potential",
    r"perhaps",
    r"likely",
    r"probably",
    r"appears? to",
    r"seems? to",
    r"(?:is|are|was|were) (?:thought|believed|hypothesi[sz]ed|proposed) to",
    r"hypothes\w*",
    r"preliminary",
    r"in some",
    r"tend(?:s|ed)? to",
)


# Said outright that something is not known: stronger than a hedge, and what a careful writer should say.
UNCERTAIN = words_rx(
    r"(?:is|are|was|were|remains?|remained) (?:still )?(?:not (?:yet )?(?:clear|known|understood|established)|"
    r"unclear|unknown|uncertain|uninterpretable|unproven)",
    r"whether",
    r"(?:do|does|did) not (?:yet )?know",
    r"(?:don't|doesn't|didn't) (?:yet )?know",
    r"not (?:yet )?known",
    r"remains? to be",
    r"more (?:research|studies|work) (?:is|are) needed",
    r"further (?:research|studies|study|testing|work)",
    r"needs? further",
    r"early days",
    r"too early",
    r"caution(?:s|ed)?",
    r"can't tell",
    r"cannot tell",
    r"(?:never|not|don't|do not|cannot|can't) (?:yet |really |fully |always )?(?:know|tell|predict|be sure)",
    r"just a theory",
)


NEGATION = words_rx(r"not", r"no", r"never", r"without", r"nor", r"\w+n't", r"cannot")


def is_hedged(s: str, clause: Clause) -> bool:
    if HEDGE.search(s, clause.start, clause.end) or UNCERTAIN.search(s, clause.start, clause.end):
        return True
    return clause.lead_in is not None and bool(HEDGE.search(s, *clause.lead_in))


def negated_before(s: str, start: int, words: int = 3) -> bool:
    """Is one of the `words` words before `start` a negation ("not", "don't", "no", "never")?"""
    before = WORD.findall(s[max(0, start - 60) : start])[-words:]
    return any(NEGATION.fullmatch(w) for w in before)


def clause_of(clauses: Sequence[Clause], pos: int) -> Clause | None:
    for clause in clauses:
        if clause.start <= pos < clause.end:
            return clause
    return None


def _quoted_spans(s: str) -> list[tuple[int, int]]:
    spans = []
    for m in re.finditer(r'"[^"]*"?', s):
        spans.append(m.span())
    return spans


def in_quoted_uncertainty(s: str, pos: int) -> bool:
    """Is `pos` inside quoted speech that itself voices uncertainty ("we do not yet know", "early days")?"""
    for start, end in _quoted_spans(s):
        if start <= pos < end:
            return bool(UNCERTAIN.search(s, start, end) or HEDGE.search(s, start, end))
    return False


def evidence_of(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """The triggering words as written, in claim order, each once."""
    seen: set[str] = set()
    parts: list[str] = []
    for start, end in sorted(set(spans)):
        words = " ".join(text[start:end].split())
        if words.casefold() not in seen:
            seen.add(words.casefold())
            parts.append(words)
    joined = "; ".join(parts)
    return joined if len(joined) <= EVIDENCE_MAX else joined[: EVIDENCE_MAX - 1] + "…"


class Finding:
    """Spans and reasons collected for one code."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []
        self.whys: list[str] = []

    def add(self, span: tuple[int, int], why: str) -> None:
        self.spans.append(span)
        if why not in self.whys:
            self.whys.append(why)


def flag(code: Code, text: str, found: Finding, severity: Severity = Severity.RISK) -> Flag | None:
    if not found.spans:
        return None
    return Flag(code, evidence_of(text, found.spans), " ".join(found.whys)[:300], severity)
