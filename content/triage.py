"""Risk triage: explainable, rule-based flags for one claim version (pure: no Django, no I/O).

`assess(text, citations, year=..., context=...)` returns the flags a careful
medical reviewer would want raised before reading a claim: each names its
rule family (`code`), how loudly it speaks (`severity`: `risk` stops a
reviewer, `info` is context folded away), the words that triggered it as
written in the claim (`evidence`) and a one-line `why`. Flags are advice;
nothing here blocks. `assess_article()` runs the rules over a whole article,
adding what only the whole article shows (its own study design, harms never
mentioned).

The rules are small grammars of English wording (hedges, correlational and
causal verbs, boosters, universals, study designs) rather than lists of topic
words, so they carry over to articles nobody here has read. Every flag can be
explained and pinned by a test. Bump RULES_VERSION whenever a rule changes:
stored flags record the version that raised them.

Families (content first, then sourcing):
- causal_claim: a causal effect stated as fact ("X reduces Y", "leads to",
  "is effective in"). Hedged ("may", "can", "suggests") or correlational
  ("associated with", "linked to", "more likely to") wording is not a causal
  claim. Risk when nothing is cited or the cited evidence is observational,
  mechanistic, animal or lab work; info when it cites a trial or a systematic
  review, when the article reports its own randomised trial, or when the cause
  is an illness (its course is textbook background).
- overreach: restorative language stated as fact ("repair", "restore",
  "reverse", "rewire", "heal", "root cause", "explains why"); curative
  promises ("cure", "eradicate", "at its source") even in the conditional.
- extrapolation: a model about one treatment applied to another; animal, cell
  or mechanistic findings applied to people; in an article reporting animal or
  lab work, an effect stated without saying it was seen in animals or cells.
- absolute_language: boosters and universals (documented in `_BOOSTERS`),
  except category words ("never smokers"), negated or past-tense descriptive
  universals ("not all", "all patients signed") and quoted uncertainty.
- hype: sensational wording ("breakthrough", "miracle", "game changer").
- adverse_effect_minimisation: harms called myths, temporary, rare or
  tolerable without a figure, safety asserted flatly, concerns denied or
  re-attributed to the illness.
- harms_omitted (article-level): benefits claimed for a treatment in an article
  that never mentions harms, side effects, risks or costs.
- no_citation: a specific factual claim (a number, a causal effect, a
  comparison, a superlative, a study named) with no citation; info for other
  factual statements (common background). Never on questions, lead-ins,
  advice or signposts.
- old_citation: a cited work more than 15 years older than the article.
- unsourced_number: percentages, "3 times", "2 weeks", "1 in 5" ... with no citation.
- retracted_citation: a cited work marked retracted or superseded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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

# --- Text preparation -----------------------------------------------------------------------------------------------

# Same length in and out, so a match's span in the prepared text is its span in the claim as written.
_STRAIGHTEN = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"'})
_WORD = re.compile(r"[\w']+")
_ITEM = re.compile(r"\s*(?:[-*+•]|\d{1,2}[.)])\s+")


def _prepare(text: str) -> str:
    return text.translate(_STRAIGHTEN)


@dataclass(frozen=True)
class _Clause:
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


def _split_line(s: str, line_start: int, line_end: int) -> list[_Clause]:
    clauses: list[_Clause] = []
    start = line_start
    for m in _BOUNDARY.finditer(s, line_start, line_end):
        clauses.extend(_split_subordinate(s, start, m.start()))
        start = m.end()
    clauses.extend(_split_subordinate(s, start, line_end))
    return [c for c in clauses if s[c.start : c.end].strip()]


def _split_subordinate(s: str, start: int, end: int) -> list[_Clause]:
    m = _SUBORDINATE.match(s, start, end)
    if m and m.end() < end:
        return [_Clause(start, m.end() - 1), _Clause(m.end(), end)]
    return [_Clause(start, end)]


def _clauses(s: str) -> list[_Clause]:
    """Clauses of the (prepared) claim text; list items remember the lead-in they complete."""
    result: list[_Clause] = []
    lead_in: tuple[int, int] | None = None
    pos = 0
    for line in s.splitlines(keepends=True):
        start, end = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        item = _ITEM.match(s, start, end)
        if item and lead_in is not None:
            for clause in _split_line(s, item.end(), end):
                result.append(_Clause(clause.start, clause.end, lead_in))
            continue
        clauses = _split_line(s, start, end)
        result.extend(clauses)
        lead_in = (clauses[-1].start, clauses[-1].end) if clauses and s[start:end].rstrip().endswith(":") else None
    return result


# --- Matching helpers -----------------------------------------------------------------------------------------------


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.I)


# Epistemic hedges: modal verbs, reporting verbs of tentative findings, and approximators.
_HEDGE = _rx(
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
_UNCERTAIN = _rx(
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
_NEGATION = _rx(r"not", r"no", r"never", r"without", r"nor", r"\w+n't", r"cannot")


def _is_hedged(s: str, clause: _Clause) -> bool:
    if _HEDGE.search(s, clause.start, clause.end) or _UNCERTAIN.search(s, clause.start, clause.end):
        return True
    return clause.lead_in is not None and bool(_HEDGE.search(s, *clause.lead_in))


def _negated_before(s: str, start: int, words: int = 3) -> bool:
    """Is one of the `words` words before `start` a negation ("not", "don't", "no", "never")?"""
    before = _WORD.findall(s[max(0, start - 60) : start])[-words:]
    return any(_NEGATION.fullmatch(w) for w in before)


def _clause_of(clauses: Sequence[_Clause], pos: int) -> _Clause | None:
    for clause in clauses:
        if clause.start <= pos < clause.end:
            return clause
    return None


def _quoted_spans(s: str) -> list[tuple[int, int]]:
    spans = []
    for m in re.finditer(r'"[^"]*"?', s):
        spans.append(m.span())
    return spans


def _in_quoted_uncertainty(s: str, pos: int) -> bool:
    """Is `pos` inside quoted speech that itself voices uncertainty ("we do not yet know", "early days")?"""
    for start, end in _quoted_spans(s):
        if start <= pos < end:
            return bool(_UNCERTAIN.search(s, start, end) or _HEDGE.search(s, start, end))
    return False


def _evidence(text: str, spans: Iterable[tuple[int, int]]) -> str:
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


class _Finding:
    """Spans and reasons collected for one code."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []
        self.whys: list[str] = []

    def add(self, span: tuple[int, int], why: str) -> None:
        self.spans.append(span)
        if why not in self.whys:
            self.whys.append(why)


def _flag(code: Code, text: str, found: _Finding, severity: Severity = Severity.RISK) -> Flag | None:
    if not found.spans:
        return None
    return Flag(code, _evidence(text, found.spans), " ".join(found.whys)[:300], severity)


# --- Causal claims --------------------------------------------------------------------------------------------------

# Verbs that state one thing changes another (Yu et al.'s "direct causal" cue words, broadly). Stems; the
# inflections are added below so "reduce", "reduces", "reduced" and "reducing" all count.
_CAUSAL_STEMS = (
    r"caus",
    r"reduc",
    r"increas",
    r"decreas",
    r"lower",
    r"rais",
    r"improv",
    r"prevent",
    r"protect",
    r"boost",
    r"trigger",
    r"enhanc",
    r"promot",
    r"induc",
    r"inhibit",
    r"suppress",
    r"alter",
    r"restor",
    r"repair",
    r"revers",
    r"heal",
    r"reliev",
    r"eliminat",
    r"eradicat",
    r"halt",
    r"damag",
    r"impair",
    r"disrupt",
    r"worsen",
    r"exacerbat",
    r"strengthen",
    r"weaken",
    r"shorten",
    r"prolong",
    r"stimulat",
    r"accelerat",
    r"alleviat",
    r"eas",
    r"lessen",
    r"cut",
    r"slash",
    r"driv",
    r"produc",
    r"kill",
    r"extend",
)
_CAUSAL_VERB = re.compile(
    r"\b(?:"
    + "|".join(rf"{stem}(?:e|es|ed|ing|s|d)?" for stem in _CAUSAL_STEMS)
    + r"|leads? to|led to|leading to|results? in|resulted in|resulting in|contribut(?:e|es|ed|ing) to"
    r"|(?:is|are|was|were) effective (?:in|at|against|for)|works? (?:by|to)|makes? (?:us|you|people|patients)"
    r"|helps? (?:to )?(?:\w+)|fights? off|plays? (?:a|an) (?:\w+ )?role (?:in|not)|gives? the body"
    r"|has (?:a|an) (?:\w+ )?(?:effect|impact) on|have (?:a|an) (?:\w+ )?(?:effect|impact) on"
    r")\b",
    re.I,
)
# Words the regex above catches that are not causal verbs ("cure" as a noun is handled by overreach).
_NOT_CAUSAL = {
    "cut",  # mostly a noun ("a cut")
    "cute",
    "cuts",
    "ease",  # "with ease"
    "eass",
    "drive",  # "a drive", "the drive to"
    "drives",
    "driving",
    "raise",  # "raise the prospect", "raise awareness"
    "extend",  # "to the extent", "extend to"
    "extends",
    "extended",
    "lower",  # mostly the adjective ("lower levels")
    "halte",
    "lowere",
    "producs",
}
# Correlational wording: a relation claimed without a direction of cause.
_CORRELATIONAL = _rx(
    r"associated",
    r"associations?",
    r"linked",
    r"links?",
    r"correlat\w*",
    r"(?:more|less) likely",
    r"related to",
    r"tied to",
    r"predict\w*",
    r"risk factors?",
    r"in people who",
    r"among (?:those|people|participants|patients) who",
)
# A determiner or preposition before an -ed/-ing form makes it an adjective ("a reduced dose", "with improved
# sleep"); a reporting verb before it ("observed decreased levels") makes it the observation, not the cause.
_ADJECTIVAL_BEFORE = {
    "a",
    "an",
    "the",
    "this",
    "that",
    "these",
    "those",
    "its",
    "their",
    "his",
    "her",
    "our",
    "your",
    "with",
    "of",
    "for",
    "no",
    "any",
    "observed",
    "found",
    "saw",
    "showed",
    "reported",
    "had",
    "have",
    "has",
    "in",
    "more",
    "less",
    "and",
    "or",
    "such",
    "to",
    "were",
    "was",
    "is",
    "are",
    "be",
    "been",
    "being",
    "on",
    # Before a plural, these make it a noun: "the most common causes", "possible causes", "what's causing".
    "common",
    "main",
    "possible",
    "other",
    "many",
    "several",
    "known",
    "underlying",
    "most",
    "what's",
    "what",
}
# The cause is an illness: the claim describes its course, which is textbook background.
_ILLNESS = _rx(
    r"depression",
    r"anxiety",
    r"disease",
    r"disorders?",
    r"illness(?:es)?",
    r"cancers?",
    r"infections?",
    r"syndrome",
    r"obesity",
    r"diabetes",
    r"dementia",
    r"stroke",
    r"injur(?:y|ies)",
    r"\w+itis",
    r"\w+(?:-induced|-related)",
    r"the virus",
    r"the bacteri(?:um|a)",
    r"the condition",
)


_DENIAL_FRAME = _rx(r"myths?", r"(?:not true|untrue|false|wrong|a misconception) that")


@dataclass(frozen=True)
class _Causal:
    span: tuple[int, int]
    illness_cause: bool


def _causal_statements(s: str, clauses: Sequence[_Clause]) -> list[_Causal]:
    """Causal verbs used as verbs in unhedged, non-correlational, non-negated clauses."""
    found: list[_Causal] = []
    for clause in clauses:
        if _is_hedged(s, clause) or _CORRELATIONAL.search(s, clause.start, clause.end):
            continue
        for m in _CAUSAL_VERB.finditer(s, clause.start, clause.end):
            word = m.group(0).casefold()
            if word in _NOT_CAUSAL:
                continue
            if m.start() > 0 and s[m.start() - 1] == "-":
                continue  # "PBDE-induced decline": a compound adjective naming the cause, not a claim about it
            before = _WORD.findall(s[clause.start : m.start()])
            prev = before[-1].casefold() if before else ""
            passive_by = re.match(r"\s+by\b", s[m.end() : clause.end]) is not None
            if prev in _ADJECTIVAL_BEFORE and not (passive_by and prev in {"is", "are", "was", "were", "be", "been"}):
                continue
            if not before and word.endswith("ing"):
                continue  # a clause-initial "Improving sleep ..." is a topic, not a claim of effect
            if _negated_before(s, m.start()):
                continue
            subject = s[clause.start : m.start()]
            if _DENIAL_FRAME.search(subject):
                continue  # "It's a myth that X causes Y" denies the cause (minimisation judges that)
            illness = bool(_ILLNESS.search(subject)) and not passive_by
            if found and re.fullmatch(r"\W*(?:it|they|this|these|that|which)\W*", subject, re.I):
                illness = found[-1].illness_cause  # "Depression impairs X - it disrupts Y": the same cause
            found.append(_Causal(m.span(), illness))
    return found


# What a cited work's title and metadata say about its design, strongest first.
_DESIGN_WORDS: list[tuple[Design, re.Pattern[str]]] = [
    (Design.SYSTEMATIC_REVIEW, _rx(r"meta-?analys[ie]s", r"systematic (?:review|literature review)", r"cochrane")),
    (
        Design.RCT,
        _rx(
            r"randomi[sz]ed",
            r"randomly (?:assigned|allocated)",
            r"placebo[- ]controlled",
            r"double[- ]blind(?:ed)?",
            r"controlled trial",
            r"phase (?:ii|iii|2|3) trial",
        ),
    ),
    (
        Design.MECHANISTIC,
        _rx(
            r"mice",
            r"mouse",
            r"murine",
            r"rats?",
            r"rodents?",
            r"zebrafish",
            r"minnows?",
            r"fish",
            r"drosophila",
            r"primates?",
            r"in vitro",
            r"in vivo",
            r"cell (?:lines?|cultures?)",
            r"cultured",
            r"animal models?",
            r"knockout",
        ),
    ),
    (
        Design.OBSERVATIONAL,
        _rx(
            r"cohort",
            r"case-control",
            r"cross-sectional",
            r"observational",
            r"survey",
            r"registry",
            r"retrospective",
            r"population-based",
            r"longitudinal",
        ),
    ),
]


def design_of(cited: Cited) -> Design | None:
    """The evidence type a cited work's title and metadata words show, or None when they do not say."""
    words = f"{cited.label} {cited.title}"
    for design, rx in _DESIGN_WORDS:
        if rx.search(words):
            return design
    return None


def _causal_claim(
    s: str, text: str, clauses: Sequence[_Clause], citations: Sequence[Cited], context: Context, reviewed: str
) -> Flag | None:
    statements = _causal_statements(s, clauses)
    if not statements:
        return None
    found = _Finding()
    for st in statements:
        found.add(st.span, "States a causal effect as fact.")
    designs = {design_of(c) for c in citations}
    if reviewed:
        designs = {Design(reviewed)} if reviewed in {d.value for d in Design} else designs
    severity = Severity.RISK
    if designs & STRONG_DESIGNS:
        found.whys.append("It cites a trial or systematic review.")
        severity = Severity.INFO
    elif citations and designs == {None}:
        found.whys.append("It cites work whose design the reference does not show; grade it.")
        severity = Severity.INFO
    elif citations:
        found.whys.append("The cited evidence is observational, mechanistic or animal work, which cannot show cause.")
    elif all(st.illness_cause for st in statements):
        found.whys.append("The cause is the illness itself: background, but worth a source.")
        severity = Severity.INFO
    elif context.own_design in STRONG_DESIGNS:
        found.whys.append(f"The article reports its own trial ({context.design_evidence}).")
        severity = Severity.INFO
    else:
        found.whys.append("Nothing is cited for it.")
    return _flag(Code.CAUSAL_CLAIM, text, found, severity)


# --- Absolute or certainty language ---------------------------------------------------------------------------------

# Boosters (Hyland's certainty markers, with health-writing additions) and universals.
_BOOSTERS = _rx(
    r"always",
    r"never",
    r"cure[sd]?",
    r"curing",
    r"guarantee[sd]?",
    r"definitely",
    r"definitively",
    r"undoubtedly",
    r"unquestionabl[ey]",
    r"indisputabl[ey]",
    r"certainly",
    r"clearly",
    r"conclusively",
    r"inevitabl[ey]",
    r"invariably",
    r"consistently",
    r"completely (?:safe|effective|harmless)",
    r"entirely (?:safe|effective|harmless)",
    r"without (?:a|any) doubt",
    r"no doubt",
    r"prove[sn]?",
    r"proved",
    r"(?:is|are) (?:well[- ])?known to",
    r"demonstrates? that",
    r"demonstrated that",
    r"(?:has|have) (?:now )?(?:shown|demonstrated|proven) that",
    r"(?:it's|it is|that's|that is|this is|is|are) (?:a|an|just a|only a) (?:[a-z]+ ){0,2}myths?",
    r"the myths? that",
    r"(?:common|popular|widespread|persistent) myths?",
    r"in truth",
    r"the truth is",
    r"(?:a|the) deeper truth",
    r"the fact is",
    r"not caused by",
    r"simply",
    r"no side effects",
    r"no (?:danger|risk)s?",
    r"100% (?:safe|effective)",
    r"easily (?:treatable|treated|cured|curable|prevented|preventable)",
    r"the (?:most|least) (?:effective|important|powerful|dangerous|successful)",
    r"the (?:best|safest|only)",
    r"for the first time",
    r"(?:the )?(?:world's|nation's|country's) first",
    r"the first (?:to|ever)",
    r"first-ever",
    # A flat denial of an effect ("They don't impair memory"); "they won't get rid of it" is not one.
    r"(?:they|it|these|this) (?:don't|do not|doesn't|does not|won't|will not|never)"
    r"(?= (?:cause|impair|harm|damage|override|slow|change|affect|lead to|make)\b)",
    r"permanently",
    # Presuming what unfinished research will find.
    r"(?:will|should|would) (?:\w+ )?(?:prove|confirm|validate|establish)",
)
# Universal quantifiers: certain when they make a general (present-tense) statement, descriptive in a
# report of what happened ("All patients signed consent"), and softened when negated ("not all").
_UNIVERSAL = _rx(r"all", r"every", r"none", r"nobody", r"no one", r"everyone", r"everybody")
_ANY_OPENING = re.compile(r"(?:^|[.!?]\s+)(any)\b", re.I)
# Negated absolutes are hedges: "not always", "no cure", "doesn't always", "not guaranteed".
_NEGATABLE = {"always", "cure", "cures", "cured", "curing", "guarantee", "guaranteed", "guarantees", "proven", "prove"}
# "never" naming a category, not an assertion: "never users", "never, former and current smokers".
# So is a quoted answer option ("scored 'never'") or one with a score ("never (0)").
_NEVER_CATEGORY = re.compile(r"\s*(?:[-,/(']|\s(?:or|and)\b|\s*\w+(?:ers|users)\b)", re.I)
# Past tense: a report of what happened. An -ed word counts unless it is an adjective ("all processed food") or
# a perfect/passive participle ("have been studied": still a general claim).
_PAST_IRREGULAR = _rx(
    r"was|were|had|did|gave|took|made|got|went|came|saw|found|became|began|chose|drew|ate|fell|felt|grew|held|kept",
    r"knew|left|lost|met|paid|ran|said|sent|stood|told|thought|underwent|won|wrote|bought|brought|caught|spent",
)
_PAST_ED = re.compile(r"\b([a-z']+)\s+([a-z]{3,}ed)\b", re.I)
_NOT_BEFORE_PAST = {
    "all",
    "every",
    "the",
    "a",
    "an",
    "any",
    "no",
    "none",
    "of",
    "have",
    "has",
    "been",
    "be",
    "is",
    "are",
}


def _past_tense(s: str, start: int, end: int) -> bool:
    if _PAST_IRREGULAR.search(s, start, end):
        return True
    return any(m.group(1).casefold() not in _NOT_BEFORE_PAST for m in _PAST_ED.finditer(s, start, end))


# Quantities: "all 25 patients", "every 2 weeks", "every year" describe, they do not generalise.
_UNIVERSAL_DESCRIPTIVE = re.compile(r"\s+(?:\d|years?\b|days?\b|weeks?\b|months?\b|times?\b)", re.I)
_APPROXIMATOR = re.compile(r"\b(?:almost|nearly|virtually|practically|not quite|just about)\s*$", re.I)
_ADVICE_MODAL = _rx(r"should", r"must", r"need to", r"ought to")
# Advice with a booster is still advice: "you should always check", "never share needles".
_ADVICE_BOOSTER = re.compile(r"\b(?:should|must|to)\s*$|^\W*$", re.I)


def _absolute(s: str, text: str, clauses: Sequence[_Clause]) -> Flag | None:
    found = _Finding()
    why = "Absolute or certainty language leaves no room for uncertainty or exceptions."
    # A booster inside a negated hedge ("we never know who will respond") voices uncertainty, not certainty.
    uncertain = [u.span() for u in _UNCERTAIN.finditer(s)]
    for m in _BOOSTERS.finditer(s):
        word = m.group(0).casefold()
        if any(a <= m.start() < b for a, b in uncertain):
            continue
        if word in _NEGATABLE and _negated_before(s, m.start()):
            continue
        if word == "simply" and re.match(r"\s+put\b", s[m.end() :], re.I):
            continue  # "Simply put," is a transition
        if word == "never" and _NEVER_CATEGORY.match(s, m.end()):
            continue
        if word in {"always", "never"} and _ADVICE_BOOSTER.search(s[max(0, m.start() - 12) : m.start()]):
            continue
        if word in {"the only", "the best"} and _negated_before(s, m.start()):
            continue
        if _in_quoted_uncertainty(s, m.start()):
            continue
        found.add(m.span(), why)
    for m in [*_UNIVERSAL.finditer(s), *(_m for _m in _ANY_OPENING.finditer(s))]:
        span = m.span(1) if m.re is _ANY_OPENING else m.span()
        clause = _clause_of(clauses, span[0])
        if clause is None:
            continue
        before = s[clause.start : span[0]]
        if _NEGATION.search(before) or _HEDGE.search(before) or _APPROXIMATOR.search(before):
            continue  # "isn't necessarily resistant to all", "not everyone", "almost all"
        if _ADVICE_MODAL.search(s, clause.start, clause.end):
            continue  # "all visitors should wash their hands": an instruction, not a generalisation
        if _past_tense(s, clause.start, clause.end) or _UNIVERSAL_DESCRIPTIVE.match(s, span[1]):
            continue
        if re.search(r"\b(?:different(?:ly)?|var(?:y|ies|ied))\b", s[span[1] : clause.end], re.I):
            continue  # "Everyone needs different amounts": a statement of variation
        if _in_quoted_uncertainty(s, span[0]):
            continue
        found.add(span, why)
    return _flag(Code.ABSOLUTE_LANGUAGE, text, found)


# --- Sensational wording --------------------------------------------------------------------------------------------

_HYPE = _rx(
    r"breakthroughs?",
    r"miracles?",
    r"miraculous",
    r"game[- ]?changers?",
    r"game[- ]?changing",
    r"revolutionar(?:y|ies)",
    r"revolutioni[sz](?:e|es|ed|ing)",
    r"groundbreaking",
    r"ground-breaking",
    r"unprecedented",
    r"astonishing(?:ly)?",
    r"stunning(?:ly)?",
    r"amazing(?:ly)?",
    r"incredibl[ey]",
    r"spectacular(?:ly)?",
    r"remarkabl[ey]",
    r"extraordinar(?:y|ily)",
    r"dramatic(?:ally)?",
    r"fascinating",
    r"(?:especially |very |really |truly )?exciting",
    r"raises? (?:new )?hopes?",
    r"new hope",
    r"holy grail",
    r"magic bullet",
    r"wonder (?:drug|pill|cure)",
    r"life[- ]changing",
    r"life[- ]saving",
    r"cutting[- ]edge",
    r"must-(?:watch|see|have|read|try)",
    r"superfoods?",
    r"promising",
    r"transformative",
)


def _hype(s: str, text: str) -> Flag | None:
    # A sentence that tempers its own excitement ("exciting, but it's early days") is reporting, not hype.
    if _UNCERTAIN.search(s):
        return None
    found = _Finding()
    for m in _HYPE.finditer(s):
        if _negated_before(s, m.start(), words=2):
            continue
        found.add(m.span(), "Sensational wording promises more than a study can show.")
    return _flag(Code.HYPE, text, found)


# --- Causal or restorative overreach --------------------------------------------------------------------------------

_RESTORATIVE = _rx(
    r"repair(?:s|ed|ing)?",
    r"restor(?:e|es|ed|ing|ative|ation)",
    r"revers(?:e|es|ed|ing|al)",  # not "reversible": that describes a condition, not what a treatment does
    r"rewir(?:e|es|ed|ing)",
    r"heal(?:s|ed|ing)?",
    r"regenerat(?:e|es|ed|ing|ion|ive)",
    r"regrow(?:s|n|th|ing)?",
    r"regrew",
    r"rebuil(?:d|ds|t|ding)",
    r"rehabilitat\w*",
    r"undo(?:es)? the damage",
)
_CAUSAL_EXPLANATION = _rx(
    r"root causes?",
    r"explains? why",
    r"(?:this|that) (?:is|'s) why",
    r"the (?:real|true|underlying) causes?",
    r"proves? that",
)
# The promise of a cure is what a reviewer stops at even in the conditional ("could eradicate").
_CURATIVE = _rx(
    r"cur(?:e|es|ed|ing)",
    r"eradicat(?:e|es|ed|ing|ion)",
    r"wipes? out",
    r"(?:halt|stop|attack)(?:s|ed|ing)? the disease at its (?:source|root)",
    r"at its (?:source|root)",
    r"eliminat(?:e|es|ed|ing) the (?:disease|cancer|infection|virus)",
)


def _is_name(text: str, start: int) -> bool:
    """A capitalised word inside a sentence is part of a name ("Center for Regenerative Medicine")."""
    return text[start].isupper() and start > 0 and not re.search(r"(?:^|[.!?:]\s+|\n\s*\W?\s*)$", text[:start])


def _overreach(s: str, text: str, clauses: Sequence[_Clause]) -> Flag | None:
    found = _Finding()
    for clause in clauses:
        hedged = _is_hedged(s, clause)
        for m in _CURATIVE.finditer(s, clause.start, clause.end):
            if not _negated_before(s, m.start()) and not _is_name(text, m.start()):
                found.add(m.span(), "Promises a cure or eradication, which the evidence rarely supports.")
        if hedged:
            continue
        for m in _RESTORATIVE.finditer(s, clause.start, clause.end):
            if not _negated_before(s, m.start()) and not _is_name(text, m.start()):
                found.add(m.span(), "Restorative effect stated as fact, not hedged (may, might, can, could, some).")
        for m in _CAUSAL_EXPLANATION.finditer(s, clause.start, clause.end):
            found.add(m.span(), "Causal explanation stated as fact, not hedged (may, might, can, could, suggest).")
    return _flag(Code.OVERREACH, text, found)


# --- Denial or minimisation of adverse effects ----------------------------------------------------------------------

_CONCERN = (
    r"side[- ]effects?",
    r"adverse (?:effects?|events?|reactions?)",
    r"harms?",
    r"risks? (?:of|from|associated with|with) (?:the |this |these )?(?:treatment|therapy|drug|medication|medicine|"
    r"procedure|surgery|vaccine|supplement|radiation|injection)s?",
    r"numb(?:ing|ness|ed)?",
    r"emotional (?:blunting|flatness|numbness|silencers?)",
    r"emotionally (?:blunted|flat|numb)",
    r"blunt(?:ing|ed)",
    r"flatness",
    r"silencers?",
    r"(?:reduced |low |loss of )?libido",
    r"sexual (?:dysfunction|side[- ]effects?|problems?)",
    r"weight gain",
    r"withdrawal(?: symptoms| effects)?",
    r"discontinuation (?:symptoms|syndrome)",
    r"dependen(?:ce|cy)",
    r"addict(?:ive|ion)",
    r"suicid\w*",
    r"override emotions?",
    r"impair(?:s)? memory",
    r"slow(?:s)? the mind",
    r"mask(?:s|ing)? (?:the )?symptoms",
    r"false sense of well-?being",
    r"artificial",
    r"zombie\w*",
)
_CONCERN_RX = _rx(*_CONCERN)
_SOFTENED_SIDE_EFFECTS = _rx(
    r"(?:temporary|transient|mild|minor|rare|short-lived|brief|harmless|manageable|only|few) "
    r"(?:[a-z]+ )?(?:side[- ]effects?|adverse effects?)",
    r"(?:side[- ]effects?|adverse effects?|risks?|harms?) (?:are|is|were|was) (?:\w+ )?(?:tolerable|minimal|mild|"
    r"minor|rare|negligible|manageable|temporary|transient|uncommon|low)",
)
# Softening words, when a concern is in the same sentence and no figure says how common or how bad.
_SOFTENER = _rx(
    r"(?:less|least) (?:common|frequent|likely|severe|serious)",
    r"(?:a )?lower impact",
    r"uncommon",
    r"rarely",
    r"rare",
    r"temporary",
    r"transient",
    r"short-lived",
    r"negligible",
)
# Safety asserted flatly: "is safe", "a safe option", "no danger to", "harmless", "well tolerated".
_SAFETY = _rx(
    r"(?:is|are|be|being) (?:(?:generally|perfectly|completely|totally|entirely|very|quite) )?safe",
    r"safe (?:option|choice|alternative|treatment|way|to (?:use|take|undergo|eat|drink))",
    r"(?:inexpensive|cheap|effective|natural|simple) and safe",
    r"no (?:danger|risk)s? (?:to|for|of)",
    r"harmless",
    r"risk-free",
    r"well[- ]tolerated",
    r"(?:is|are) not (?:thought|known|believed|expected) to (?:cause|pose|lead to) (?:any |substantial |serious |"
    r"significant |major )?(?:problems?|harms?|risks?|damage|side effects?)",
    r"(?:do|does|did|will) not (?:cause|pose) (?:any |substantial |serious |significant |major )?"
    r"(?:problems?|harms?|risks?|damage)",
)
_MYTH = _rx(r"myths?")
_NOT_CAUSED_BY_TREATMENT = _rx(
    r"not caused by (?:the |your |their )?(?:[a-z-]+ ){0,2}(?:antidepressants?|medications?|medicines?|drugs?|"
    r"treatments?|ssris?|snris?|vaccines?|pills?|therapy|tablets?)"
)
_REATTRIBUTED = _rx(
    r"(?:symptoms?|signs?|hallmarks?|part|features?|results?) of (?:the |untreated |the underlying )?"
    r"(?:depression|illness|disease|condition|disorder)(?: itself)?"
)
# "Not everyone has side effects": the negation limits who, it does not deny the harm.
_NEGATED_QUANTIFIER = re.compile(r"\b(?:not|n't) (?:everyone|everybody|all|every|always)\b", re.I)


def _minimisation(s: str, text: str) -> Flag | None:
    found = _Finding()
    # A figure for how common or how bad (a percentage, "1 in 10") answers the question a softener raises.
    has_figure = bool(_NUMBER.search(s))
    for m in _SOFTENED_SIDE_EFFECTS.finditer(s):
        if not has_figure:
            found.add(m.span(), "Plays down side effects (temporary, mild, rare) without evidence.")
    concerns = list(_CONCERN_RX.finditer(s))
    if concerns and not has_figure:
        for m in _SOFTENER.finditer(s):
            if m.start() > concerns[0].start():
                found.add(m.span(), "Calls harms rare or mild without a figure for how often or how bad.")
    if not has_figure:
        for m in _SAFETY.finditer(s):
            if not _negated_before(s, m.start(), words=2):
                found.add(m.span(), "Asserts safety without a figure for the harms.")
    for m in concerns:
        if _negated_before(s, m.start(), words=4) and not _NEGATED_QUANTIFIER.search(
            s[max(0, m.start() - 40) : m.start()]
        ):
            found.add(_extend_back_to_negation(s, m.start(), m.end()), "Denies a known adverse effect or concern.")
    myths = list(_MYTH.finditer(s))
    if myths and concerns:
        found.add(myths[0].span(), "Calls concerns about adverse effects a myth.")
        for m in concerns:
            found.add(m.span(), "Calls concerns about adverse effects a myth.")
    for m in _NOT_CAUSED_BY_TREATMENT.finditer(s):
        found.add(m.span(), "Denies that the treatment causes the problem.")
    reattributed = list(_REATTRIBUTED.finditer(s))
    if reattributed and concerns:
        for m in [*concerns, *reattributed]:
            found.add(m.span(), "Re-attributes possible adverse effects to the illness.")
    return _flag(Code.ADVERSE_EFFECT_MINIMISATION, text, found)


def _extend_back_to_negation(s: str, start: int, end: int) -> tuple[int, int]:
    """Widen the evidence from "numbing" to "not numbing" / "don't impair memory"."""
    window = s[max(0, start - 60) : start]
    last = None
    for w in _WORD.finditer(window):
        if _NEGATION.fullmatch(w.group(0)):
            last = w
    return (max(0, start - 60) + last.start(), end) if last else (start, end)


# --- Extrapolation --------------------------------------------------------------------------------------------------

_MODEL = _rx(r"[A-Z]{3,}\s+model", r"models?", r"theory", r"theories", r"hypothesis", r"framework")
_TREATMENT_CLASSES: dict[str, re.Pattern[str]] = {
    "psychedelics": _rx(r"psychedelics?", r"psilocybin", r"lsd", r"mdma", r"ayahuasca", r"dmt"),
    "antidepressants": _rx(
        r"antidepressants?",
        r"ssris?",
        r"snris?",
        r"tricyclics?",
        r"fluoxetine",
        r"sertraline",
        r"escitalopram",
        r"citalopram",
        r"paroxetine",
        r"venlafaxine",
        r"duloxetine",
        r"bupropion",
        r"mirtazapine",
    ),
    "ketamine": _rx(r"ketamine", r"esketamine"),
    "antipsychotics": _rx(r"antipsychotics?"),
    "stimulants": _rx(r"stimulants?", r"methylphenidate", r"amphetamines?"),
    "benzodiazepines": _rx(r"benzodiazepines?"),
}
_ANIMAL = _rx(
    r"rats?",
    r"mice",
    r"mouse",
    r"murine",
    r"rodents?",
    r"zebrafish",
    r"fish",
    r"minnows?",
    r"flies",
    r"worms?",
    r"monkeys?",
    r"primates?",
    r"pigs?",
    r"animals?",
    r"animal (?:studies|study|models?|research|experiments?|data)",
    r"in vitro",
    r"cell cultures?",
    r"cell lines?",
    r"cultured cells",
    r"organoids?",
    r"petri dish(?:es)?",
    r"test tubes?",
)
_HUMAN = _rx(
    r"patients?",
    r"people",
    r"humans?",
    r"adults?",
    r"children",
    r"you",
    r"your",
    r"clinical(?:ly)?",
    r"in practice",
    r"treatment",
    r"recovery",
)
_MECHANISM = _rx(
    r"bdnf",
    r"brain-derived neurotrophic factor",
    r"neurotrophic",
    r"neurotrophins?",
    r"synaptogenesis",
    r"neurogenesis",
    r"synap(?:se|ses|tic)",
    r"dendrit(?:es?|ic)",
    r"neuronal (?:growth|survival|branching)",
    r"neuroplasticity",
    r"neural plasticity",
    r"predictive coding",
    r"circuit remodell?ing",
    r"hippocamp\w*",
    r"(?:cell|cellular) (?:proliferation|signalling|signaling|growth)",
    r"macrophages?",
    r"gene expression",
    r"(?:an |the |a specific )?(?:underlying |biological |molecular )mechanisms?",
    r"(?:make|makes|making|prime|primes|priming|prepare|prepares|preparing|rewire|rewires|reset|resets|train|"
    r"trains) the brain",
)
_FINDING = _rx(r"shows?", r"showed", r"shown", r"found", r"finds", r"demonstrat\w+", r"regrow\w*", r"works?")
# An effect on people or health, as opposed to a measurement in the lab.
_BENEFIT = _rx(
    r"health(?:y)?",
    r"health benefits?",
    r"benefits?",
    r"beneficial",
    r"weight loss",
    r"well-?being",
    r"therap(?:y|ies|eutic)",
    r"treatments?",
    r"drugs?",
    r"the body",
    r"our bod(?:y|ies)",
    r"disease",
    r"infections?",
    r"cancers?",
    r"development",
)


def _extrapolation(s: str, text: str, clauses: Sequence[_Clause], context: Context) -> Flag | None:
    found = _Finding()
    # 1. A model about one treatment applied to another.
    classes = {name: list(rx.finditer(s)) for name, rx in _TREATMENT_CLASSES.items()}
    present = {name: hits for name, hits in classes.items() if hits}
    models = list(_MODEL.finditer(s))
    if models and len(present) >= 2:
        names = " and ".join(sorted(present))
        why = f"A model or mechanism about one treatment is applied to another ({names})."
        found.add(models[0].span(), why)
        for hits in present.values():
            found.add(hits[0].span(), why)
    # 2. Animal or lab findings applied to people, as fact.
    animals = list(_ANIMAL.finditer(s))
    humans = list(_HUMAN.finditer(s))
    hedged_anywhere = any(_is_hedged(s, c) for c in clauses)
    # Only a finding carries over: "warned people to avoid rodents" applies nothing from animals.
    finding = _CAUSAL_VERB.search(s) or _RESTORATIVE.search(s) or _FINDING.search(s)
    if animals and humans and finding and not hedged_anywhere:
        for m in [animals[0], humans[0]]:
            found.add(m.span(), "Animal or laboratory findings are applied to people as fact.")
    # 3. Mechanisms stated as clinical fact; a finding scoped to animals or cells is labelled, not extrapolated.
    scoped_to_lab = bool(animals) and not humans
    if not scoped_to_lab:
        for clause in clauses:
            if _is_hedged(s, clause):
                continue
            for m in _MECHANISM.finditer(s, clause.start, clause.end):
                found.add(m.span(), "Mechanistic evidence (mostly animal or laboratory) is stated as clinical fact.")
    # 4. The article reports animal or lab work, and this claim states an effect or benefit without saying
    # where it was seen. A hedge ("may", "suggests") does not scope a mouse finding to mice; saying that it
    # is not known whether it holds in people does.
    if context.own_design == Design.MECHANISTIC and not animals and not _UNCERTAIN.search(s):
        effects = [m for m in _CAUSAL_VERB.finditer(s) if m.group(0).casefold() not in _NOT_CAUSAL]
        effects += list(_CURATIVE.finditer(s))
        benefits = list(_BENEFIT.finditer(s)) + list(_HUMAN.finditer(s))
        if effects and benefits:
            why = (
                f"The article reports animal or laboratory work ({context.design_evidence}); "
                "this effect is not scoped to it."
            )
            found.add(effects[0].span(), why)
            found.add(benefits[0].span(), why)
    return _flag(Code.EXTRAPOLATION, text, found)


# --- Factual claims, citations and numbers --------------------------------------------------------------------------

_TRANSITION = re.compile(
    r"^\s*(?:let's|let us|here's|here is|here are|read on|now,|so,|but first|first,? let's|next,|finally,|"
    r"in (?:summary|short|conclusion|other words)|to (?:sum up|summari[sz]e|conclude)|the bottom line|"
    r"what does (?:this|that) mean|why does (?:this|it) matter|that said|with that in mind|more on (?:this|that)|"
    r"see below|as we'll see|consider (?:this|the following)|simply put)\b",
    re.I,
)
_FACT_MARKER = _rx(
    r"is",
    r"are",
    r"was",
    r"were",
    r"\w*caus\w*",
    r"leads? to",
    r"results?",
    r"resulting",
    r"reduc\w+",
    r"increas\w+",
    r"decreas\w+",
    r"improv\w+",
    r"impair\w*",
    r"disrupt\w*",
    r"restor\w+",
    r"repair\w*",
    r"revers\w+",
    r"treat\w*",
    r"prevent\w*",
    r"protect\w*",
    r"stimulat\w+",
    r"enhanc\w+",
    r"boost\w*",
    r"lower\w*",
    r"rais\w+",
    r"trigger\w*",
    r"induc\w+",
    r"develop\w*",
    r"heal\w*",
    r"cure\w*",
    r"helps?",
    r"works?",
    r"effects?",
    r"effective",
    r"symptoms?",
    r"risks?",
    r"associated",
    r"linked",
    r"explains?",
    r"mechanisms?",
    r"chang\w+",
    r"promot\w+",
    r"inhibit\w*",
    r"block\w*",
    r"damag\w+",
    r"slow\w*",
    r"speed\w*",
    r"affect\w*",
    r"fuel\w*",
    r"loosen\w*",
    r"opens?",
    r"opening",
    r"mirrors?",
    r"makes?",
    r"prim\w+",
    r"prepar\w+",
    r"relax\w+",
    r"foster\w*",
    r"remodel\w*",
    r"initiat\w+",
    r"overrid\w+",
    r"contribut\w+",
    r"recover\w*",
    r"regenerat\w+",
    r"rewir\w+",
    r"do(?:es)?n't",
    r"take",
    r"takes",
)


def is_factual(text: str) -> bool:
    """Does the claim assert something about effects, causes, mechanisms or quantities?

    Not factual: a question, a list lead-in with no content ("Antidepressants
    help by:" and nothing after), a rhetorical transition ("Let's look at the
    evidence.", "Here's why.").
    """
    s = _prepare(text).strip()
    if not s or s.endswith("?"):
        return False
    if s.endswith(":") and "\n" not in s:
        return False
    if _TRANSITION.match(s) and len(_WORD.findall(s)) <= 12:
        return False
    return bool(_FACT_MARKER.search(s) or _NUMBER.search(s) or _CAUSAL_VERB.search(s))


# Advice addresses the reader; it needs good sense, not a citation.
_ADVICE = re.compile(
    r"^\s*(?:\W\s*)?(?:avoid|take|talk|ask|see|call|try|use|keep|get|stop|don't|do not|eat|drink|go|book|check|"
    r"read|find|learn|contact|visit|speak|consider|make sure|remember|wash|drink|rest|tell)\b"
    r"|\b(?:you|they|people|patients) (?:should|shouldn't|should not|must|need to|ought to)\b"
    r"|\b(?:it's|it is) (?:important|best|a good idea|wise|advisable) to\b"
    r"|\b(?:talk|speak) to (?:your|a)\b|\bask (?:your|a)\b|\bsee (?:your|a) (?:gp|doctor|pharmacist)\b",
    re.I,
)
_COMPARISON = re.compile(
    # Something compared, not "more than mood" or "more than 80 percent" (a number is caught on its own).
    r"\b(?:more|less|fewer|greater|higher|lower|better|worse|faster|slower|longer|shorter|larger|smaller)\s+\w+"
    r"[^.;]{0,80}?\bthan\b|\bcompared (?:with|to)\b|\bversus\b|\bvs\.?(?=\s)|\btwice as\b",
    re.I,
)
_SUPERLATIVE = re.compile(
    r"\bthe (?:most|least|best|worst|largest|biggest|highest|lowest|greatest|first|leading)\b", re.I
)
_NAMED_STUDY = re.compile(
    r"\b(?:studies|research|trials|evidence|data) (?:has |have )?(?:shown?|shows|found|finds|suggests?|indicates?|"
    r"proves?|demonstrates?)\b|\b(?:a|one|another|recent|new) (?:\w+ )?(?:study|trial|survey|review|analysis)\b"
    r"|\baccording to\b|\bresearchers (?:have )?(?:found|showed|shown|report|reported|discovered)\b",
    re.I,
)


def _specific(s: str, clauses: Sequence[_Clause]) -> list[tuple[tuple[int, int], str]]:
    """The parts of a claim that make it specific enough to need a source, each with what kind it is."""
    parts: list[tuple[tuple[int, int], str]] = []
    for rx, kind in (
        (_NUMBER, "a number"),
        (_COMPARISON, "a comparison"),
        (_SUPERLATIVE, "a superlative"),
        (_NAMED_STUDY, "a study it names"),
    ):
        m = rx.search(s)
        if m:
            parts.append((m.span(), kind))
    for st in _causal_statements(s, clauses):
        if not st.illness_cause:
            parts.append((st.span, "a causal effect"))
            break
    return parts


def _no_citation(s: str, text: str, clauses: Sequence[_Clause], citations: Sequence[Cited]) -> Flag | None:
    if citations or not is_factual(text) or _ADVICE.search(s) or _TRANSITION.match(s):
        return None
    specific = _specific(s, clauses)
    if not specific:
        # No single word triggers this one: the (shortened) claim itself is what lacks support.
        evidence = " ".join(text.split())
        evidence = evidence if len(evidence) <= 80 else evidence[:79] + "…"
        return Flag(Code.NO_CITATION, evidence, "A general statement with no citation: background.", Severity.INFO)
    # The claim itself is what lacks support, so it is the evidence; the why names what made it specific.
    evidence = " ".join(text.split())
    evidence = evidence if len(evidence) <= 80 else evidence[:79] + "…"
    what = "; ".join(f"{kind} ({' '.join(text[a:b].split())})" for (a, b), kind in specific)
    return Flag(Code.NO_CITATION, evidence, f"States {what} without a citation."[:300])


_SMALL = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a dozen|a few dozen)"
_NUM = r"\d+(?:[.,]\d+)?"
_NUMBER = re.compile(
    "|".join(
        [
            rf"\b{_NUM}\s*(?:%|percent\b|per cent\b)",
            rf"\b(?:{_NUM}|{_SMALL}|twice|thrice)(?:\s*-\s*|\s+)?(?:times|fold)\b",
            r"\btwice as\b",
            rf"\b{_NUM}\s*x\b",
            rf"\b(?:{_NUM}|{_SMALL})(?:\s*(?:-|–|to)\s*(?:{_NUM}|{_SMALL}))?\s*"
            r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|mg|g|kg|ml|mmol|mcg|µg|iu)\b",
            rf"\b(?:{_NUM}|{_SMALL}) (?:in|out of) (?:{_NUM}|{_SMALL}|a hundred|a thousand)\b",
            r"\b\d{1,3}(?:,\d{3})+\b",
            rf"\b{_NUM}\s*(?:million|billion|thousand)\b",
            rf"\b{_NUM}\s+(?:people|patients|adults|children|participants|subjects|studies|trials)\b",
            r"\b(?:half|a third|a quarter|two thirds|three quarters) of (?:all )?(?:people|patients|adults|users)\b",
        ]
    ),
    re.I,
)


def _unsourced_number(s: str, text: str, citations: Sequence[Cited]) -> Flag | None:
    if citations:
        return None
    found = _Finding()
    for m in _NUMBER.finditer(s):
        found.add(m.span(), "Gives a number with no source for it.")
    return _flag(Code.UNSOURCED_NUMBER, text, found)


def _old_citation(citations: Sequence[Cited], year: int) -> Flag | None:
    old = [c for c in citations if c.year is not None and year - c.year > OLD_CITATION_YEARS]
    if not old:
        return None
    years = ", ".join(str(c.year) for c in old)
    return Flag(
        Code.OLD_CITATION,
        "; ".join(c.label for c in old)[:EVIDENCE_MAX],
        f"Cites work more than {OLD_CITATION_YEARS} years older than the article ({years}); newer evidence may "
        "change the picture.",
    )


def _retracted(citations: Sequence[Cited]) -> list[Flag]:
    return [retracted_flag(c) for c in citations if c.status in {"retracted", "superseded"}]


def retracted_flag(cited: Cited) -> Flag:
    """The flag a claim gets when a work it cites is marked retracted or superseded."""
    why = f"Cites {cited.label}, marked {cited.status}" + (f": {cited.reason}" if cited.reason else ".")
    why = " ".join(why.split())
    return Flag(Code.RETRACTED_CITATION, cited.label[:EVIDENCE_MAX], why[:300])


# --- Article-level rules --------------------------------------------------------------------------------------------

# An article "reports animal or lab work" when that many of its claims name animals or cells, and a trial when
# any names randomisation or a placebo: a design mentioned once in passing ("studies in mice have shown") is
# not the article's own.
LAB_CLAIMS_MIN = 3


def article_context(texts: Sequence[str]) -> Context:
    """What the article as a whole says about its own evidence: the design of the study it reports, if any."""
    prepared = [_prepare(t) for t in texts]
    # "No randomised trial has tested this" names the design the article lacks.
    rct = [m for s in prepared for m in _DESIGN_WORDS[1][1].finditer(s) if not _negated_before(s, m.start())]
    review = [m for s in prepared for m in _DESIGN_WORDS[0][1].finditer(s) if not _negated_before(s, m.start())]
    lab = [m for s in prepared if (m := _ANIMAL.search(s))]
    if review:
        return Context(Design.SYSTEMATIC_REVIEW, review[0].group(0))
    if rct:
        return Context(Design.RCT, rct[0].group(0))
    if len(lab) >= LAB_CLAIMS_MIN:
        words = sorted({m.group(0).casefold() for m in lab})
        return Context(Design.MECHANISTIC, ", ".join(words[:3]))
    return NO_CONTEXT


# Mentions of what a treatment can cost a patient: harms, side effects, risks, costs.
_HARMS = _rx(
    r"side[- ]effects?",
    r"adverse",
    r"harms?",
    r"harmful",
    r"toxic\w*",
    r"complications?",
    r"dangers?",
    r"dangerous",
    r"safe",
    r"safety",
    r"unsafe",
    r"risks? (?:of|from|associated with|with) (?:the |this |these )?(?:treatment|therapy|drug|medication|"
    r"medicine|procedure|surgery|vaccine|supplement|radiation|injection)s?",
    r"costs?",
    r"costly",
    r"expensive",
    r"inexpensive",
    r"price",
    r"afford\w*",
    r"tolerat\w+",
    r"nausea",
    r"vomit\w*",
    r"contraindicat\w+",
    r"interactions?",
    r"drawbacks?",
    r"downsides?",
)
# A benefit claimed for a treatment: an improvement verb with a treatment-like subject somewhere in the claim.
_IMPROVES = _rx(
    r"improv(?:e|es|ed|ing|ement|ements)",
    r"reduc(?:e|es|ed|ing|tion)",
    r"relie(?:f|ve|ves|ved)",
    r"benefits?",
    r"beneficial",
    r"effective",
    r"protect(?:s|ed|ing)?",
    r"prevent(?:s|ed|ing)?",
    r"boost(?:s|ed|ing)?",
    r"restor(?:e|es|ed|ing)",
    r"cur(?:e|es|ed)",
    r"heal(?:s|ed)?",
    r"weight loss",
    r"live longer",
    r"survival advantage",
    r"lower(?:s|ed)? (?:the )?risk",
    r"helps?",
)
_TREATMENT = _rx(
    r"treat(?:s|ed|ing|ment|ments)?",
    r"therap(?:y|ies)",
    r"drugs?",
    r"medications?",
    r"medicines?",
    r"supplements?",
    r"vitamin \w+",
    r"doses?",
    r"surgery",
    r"procedures?",
    r"injections?",
    r"vaccines?",
    r"pills?",
    r"tablets?",
    r"probiotics?",
    r"\w+(?:mab|nib|ine|ide|ol|pam|tide)\b",
)


def benefit_claims(texts: Sequence[str]) -> list[int]:
    """Indexes of the claims that state a benefit of a treatment (not hedged away, not negated)."""
    found = []
    for i, text in enumerate(texts):
        s = _prepare(text)
        benefit = _IMPROVES.search(s)
        if (
            benefit
            and _TREATMENT.search(s)
            and not _negated_before(s, benefit.start())
            and not s.rstrip().endswith("?")
        ):
            found.append(i)
    return found


def harms_omitted(texts: Sequence[str]) -> dict[int, Flag]:
    """The article-level flag, keyed by the index of each benefit claim it is shown on (empty when harms come up)."""
    if any(_HARMS.search(_prepare(t)) for t in texts):
        return {}
    benefits = benefit_claims(texts)
    flags = {}
    for i in benefits:
        s = _prepare(texts[i])
        m = _IMPROVES.search(s)
        assert m is not None
        flags[i] = Flag(
            Code.HARMS_OMITTED,
            _evidence(texts[i], [m.span()]),
            "The article claims benefits of a treatment but nowhere mentions harms, side effects, risks or costs.",
        )
    return flags


# --- Entry points ---------------------------------------------------------------------------------------------------


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
    s = _prepare(text)
    clauses = _clauses(s)
    candidates = [
        _absolute(s, text, clauses),
        _overreach(s, text, clauses),
        _minimisation(s, text),
        _extrapolation(s, text, clauses, context),
        _causal_claim(s, text, clauses, citations, context, reviewed_evidence),
        _hype(s, text),
        _no_citation(s, text, clauses, citations),
        _old_citation(citations, year),
        _unsourced_number(s, text, citations),
    ]
    return [f for f in candidates if f is not None] + _retracted(citations)


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
