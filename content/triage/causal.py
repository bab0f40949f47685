"""Causal claims: an effect stated as fact, and the design of the evidence cited for it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from content.triage.base import (
    STRONG_DESIGNS,
    WORD,
    Cited,
    Clause,
    Code,
    Context,
    Design,
    Finding,
    Flag,
    Severity,
    flag,
    is_hedged,
    negated_before,
    words_rx,
)

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


CAUSAL_VERB = re.compile(
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
NOT_CAUSAL = {
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
_CORRELATIONAL = words_rx(
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
_ILLNESS = words_rx(
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


_DENIAL_FRAME = words_rx(r"myths?", r"(?:not true|untrue|false|wrong|a misconception) that")


@dataclass(frozen=True)
class _Causal:
    span: tuple[int, int]
    illness_cause: bool


def causal_statements(s: str, clauses: Sequence[Clause]) -> list[_Causal]:
    """Causal verbs used as verbs in unhedged, non-correlational, non-negated clauses."""
    found: list[_Causal] = []
    for clause in clauses:
        if is_hedged(s, clause) or _CORRELATIONAL.search(s, clause.start, clause.end):
            continue
        for m in CAUSAL_VERB.finditer(s, clause.start, clause.end):
            word = m.group(0).casefold()
            if word in NOT_CAUSAL:
                continue
            if m.start() > 0 and s[m.start() - 1] == "-":
                continue  # "PBDE-induced decline": a compound adjective naming the cause, not a claim about it
            before = WORD.findall(s[clause.start : m.start()])
            prev = before[-1].casefold() if before else ""
            passive_by = re.match(r"\s+by\b", s[m.end() : clause.end]) is not None
            if prev in _ADJECTIVAL_BEFORE and not (passive_by and prev in {"is", "are", "was", "were", "be", "been"}):
                continue
            if not before and word.endswith("ing"):
                continue  # a clause-initial "Improving sleep ..." is a topic, not a claim of effect
            if negated_before(s, m.start()):
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
DESIGN_WORDS: list[tuple[Design, re.Pattern[str]]] = [
    (Design.SYSTEMATIC_REVIEW, words_rx(r"meta-?analys[ie]s", r"systematic (?:review|literature review)", r"cochrane")),
    (
        Design.RCT,
        words_rx(
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
        words_rx(
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
        words_rx(
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
    for design, rx in DESIGN_WORDS:
        if rx.search(words):
            return design
    return None


def causal_claim(
    s: str, text: str, clauses: Sequence[Clause], citations: Sequence[Cited], context: Context, reviewed: str
) -> Flag | None:
    statements = causal_statements(s, clauses)
    if not statements:
        return None
    found = Finding()
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
    return flag(Code.CAUSAL_CLAIM, text, found, severity)
