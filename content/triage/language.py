"""Wording beyond the evidence: absolute or certainty language, sensational wording,
restorative or curative overreach.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from content.triage.base import (
    HEDGE,
    NEGATION,
    UNCERTAIN,
    Clause,
    Code,
    Finding,
    Flag,
    clause_of,
    flag,
    in_quoted_uncertainty,
    is_hedged,
    negated_before,
    words_rx,
)

# Boosters (Hyland's certainty markers, with health-writing additions) and universals.
_BOOSTERS = words_rx(
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
_UNIVERSAL = words_rx(r"all", r"every", r"none", r"nobody", r"no one", r"everyone", r"everybody")


_ANY_OPENING = re.compile(r"(?:^|[.!?]\s+)(any)\b", re.I)


# Negated absolutes are hedges: "not always", "no cure", "doesn't always", "not guaranteed".
_NEGATABLE = {"always", "cure", "cures", "cured", "curing", "guarantee", "guaranteed", "guarantees", "proven", "prove"}


# "never" naming a category, not an assertion: "never users", "never, former and current smokers".
# So is a quoted answer option ("scored 'never'") or one with a score ("never (0)").
_NEVER_CATEGORY = re.compile(r"\s*(?:[-,/(']|\s(?:or|and)\b|\s*\w+(?:ers|users)\b)", re.I)


# Past tense: a report of what happened. An -ed word counts unless it is an adjective ("all processed food") or
# a perfect/passive participle ("have been studied": still a general claim).
_PAST_IRREGULAR = words_rx(
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


_ADVICE_MODAL = words_rx(r"should", r"must", r"need to", r"ought to")


# Advice with a booster is still advice: "you should always check", "never share needles".
_ADVICE_BOOSTER = re.compile(r"\b(?:should|must|to)\s*$|^\W*$", re.I)


def absolute(s: str, text: str, clauses: Sequence[Clause]) -> Flag | None:
    found = Finding()
    why = "Absolute or certainty language leaves no room for uncertainty or exceptions."
    # A booster inside a negated hedge ("we never know who will respond") voices uncertainty, not certainty.
    uncertain = [u.span() for u in UNCERTAIN.finditer(s)]
    for m in _BOOSTERS.finditer(s):
        word = m.group(0).casefold()
        if any(a <= m.start() < b for a, b in uncertain):
            continue
        if word in _NEGATABLE and negated_before(s, m.start()):
            continue
        if word == "simply" and re.match(r"\s+put\b", s[m.end() :], re.I):
            continue  # "Simply put," is a transition
        if word == "never" and _NEVER_CATEGORY.match(s, m.end()):
            continue
        if word in {"always", "never"} and _ADVICE_BOOSTER.search(s[max(0, m.start() - 12) : m.start()]):
            continue
        if word in {"the only", "the best"} and negated_before(s, m.start()):
            continue
        if in_quoted_uncertainty(s, m.start()):
            continue
        found.add(m.span(), why)
    for m in [*_UNIVERSAL.finditer(s), *(_m for _m in _ANY_OPENING.finditer(s))]:
        span = m.span(1) if m.re is _ANY_OPENING else m.span()
        clause = clause_of(clauses, span[0])
        if clause is None:
            continue
        before = s[clause.start : span[0]]
        if NEGATION.search(before) or HEDGE.search(before) or _APPROXIMATOR.search(before):
            continue  # "isn't necessarily resistant to all", "not everyone", "almost all"
        if _ADVICE_MODAL.search(s, clause.start, clause.end):
            continue  # "all visitors should wash their hands": an instruction, not a generalisation
        if _past_tense(s, clause.start, clause.end) or _UNIVERSAL_DESCRIPTIVE.match(s, span[1]):
            continue
        if re.search(r"\b(?:different(?:ly)?|var(?:y|ies|ied))\b", s[span[1] : clause.end], re.I):
            continue  # "Everyone needs different amounts": a statement of variation
        if in_quoted_uncertainty(s, span[0]):
            continue
        found.add(span, why)
    return flag(Code.ABSOLUTE_LANGUAGE, text, found)


_HYPE = words_rx(
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


def hype(s: str, text: str) -> Flag | None:
    # A sentence that tempers its own excitement ("exciting, but it's early days") is reporting, not hype.
    if UNCERTAIN.search(s):
        return None
    found = Finding()
    for m in _HYPE.finditer(s):
        if negated_before(s, m.start(), words=2):
            continue
        found.add(m.span(), "Sensational wording promises more than a study can show.")
    return flag(Code.HYPE, text, found)


RESTORATIVE = words_rx(
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


_CAUSAL_EXPLANATION = words_rx(
    r"root causes?",
    r"explains? why",
    r"(?:this|that) (?:is|'s) why",
    r"the (?:real|true|underlying) causes?",
    r"proves? that",
)


# The promise of a cure is what a reviewer stops at even in the conditional ("could eradicate").
CURATIVE = words_rx(
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


def overreach(s: str, text: str, clauses: Sequence[Clause]) -> Flag | None:
    found = Finding()
    for clause in clauses:
        hedged = is_hedged(s, clause)
        for m in CURATIVE.finditer(s, clause.start, clause.end):
            if not negated_before(s, m.start()) and not _is_name(text, m.start()):
                found.add(m.span(), "Promises a cure or eradication, which the evidence rarely supports.")
        if hedged:
            continue
        for m in RESTORATIVE.finditer(s, clause.start, clause.end):
            if not negated_before(s, m.start()) and not _is_name(text, m.start()):
                found.add(m.span(), "Restorative effect stated as fact, not hedged (may, might, can, could, some).")
        for m in _CAUSAL_EXPLANATION.finditer(s, clause.start, clause.end):
            found.add(m.span(), "Causal explanation stated as fact, not hedged (may, might, can, could, suggest).")
    return flag(Code.OVERREACH, text, found)
