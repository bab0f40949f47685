"""Risk triage: explainable, rule-based flags for one claim version (pure: no Django, no I/O).

`assess(text, citations, year=...)` returns the flags a careful medical
reviewer would want raised before reading a claim: each names its rule
family (`code`), the words that triggered it as written in the claim
(`evidence`) and a one-line `why`. Flags are advice; nothing here blocks.

The rules are word lists and regular expressions, so every flag can be
explained and pinned by a test. Bump RULES_VERSION whenever a rule changes:
stored flags record the version that raised them.

Families:
- absolute_language: certainty words ("always", "never", "cure", "it's a
  myth", "in truth", "not caused by", "they don't", "simply").
- overreach: restorative or causal effects stated as fact ("repair",
  "restore", "reverse", "rewire", "heal", "regenerate", "root cause",
  "explains why") in a clause with no hedge (may, might, can, could, some,
  suggest ...). Leading subordinate clauses ("While ...,", "By ...,") are
  judged on their own: a hedge there does not soften the main clause.
- adverse_effect_minimisation: "temporary side effects", negated concerns
  ("not numbing", "they don't impair memory"), side effects called myths,
  "not caused by antidepressants", side effects re-attributed to the illness.
- extrapolation: a model about one treatment applied to another
  (psychedelics -> antidepressants), animal or lab findings applied to
  people, and mechanisms (BDNF, neurotrophic, synaptogenesis, neuroplasticity,
  "primes the brain") stated as clinical fact in an unhedged clause.
- no_citation: a factual claim (an assertion about effects, causes,
  mechanisms or quantities; not a question, a bare list lead-in or a
  rhetorical transition) with no citation.
- old_citation: a cited work more than 15 years older than `year`.
- unsourced_number: percentages, "3 times", "2 weeks", "1 in 5" ... with no citation.
- retracted_citation: a cited work marked retracted or superseded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

RULES_VERSION = 1
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


LABELS: dict[Code, str] = {
    Code.ABSOLUTE_LANGUAGE: "Absolute or certainty language",
    Code.OVERREACH: "Causal or restorative overreach",
    Code.ADVERSE_EFFECT_MINIMISATION: "Minimises adverse effects",
    Code.EXTRAPOLATION: "Extrapolation",
    Code.NO_CITATION: "No citation",
    Code.OLD_CITATION: "Old citation",
    Code.UNSOURCED_NUMBER: "Number without a source",
    Code.RETRACTED_CITATION: "Retracted or superseded citation",
}


@dataclass(frozen=True)
class Cited:
    """What triage needs to know about one cited work."""

    label: str
    year: int | None = None
    status: str = "active"  # content.models.ReferenceStatus values
    reason: str = ""


@dataclass(frozen=True)
class Flag:
    code: Code
    evidence: str
    why: str


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


_HEDGE = _rx(
    r"may",
    r"might",
    r"can(?!'t|not)",
    r"could",
    r"some",
    r"suggests?",
    r"suggested",
    r"suggesting",
    r"possibly",
    r"potentially",
    r"perhaps",
    r"likely",
    r"appears? to",
    r"seems? to",
    r"(?:is|are|was|were) thought to",
    r"hypothes\w*",
    r"preliminary",
    r"in some",
)
_NEGATION = _rx(r"not", r"no", r"never", r"without", r"nor", r"\w+n't")


def _is_hedged(s: str, clause: _Clause) -> bool:
    if _HEDGE.search(s, clause.start, clause.end):
        return True
    return clause.lead_in is not None and bool(_HEDGE.search(s, *clause.lead_in))


def _negated_before(s: str, start: int, words: int = 3) -> bool:
    """Is one of the `words` words before `start` a negation ("not", "don't", "no", "never")?"""
    before = _WORD.findall(s[max(0, start - 60) : start])[-words:]
    return any(_NEGATION.fullmatch(w) for w in before)


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


# --- Absolute or certainty language ---------------------------------------------------------------------------------

_ABSOLUTE = _rx(
    r"always",
    r"never",
    r"cure[sd]?",
    r"curing",
    r"guarantee[sd]?",
    r"definitely",
    r"undoubtedly",
    r"certainly",
    r"without (?:a|any) doubt",
    r"(?:it's|it is|that's|that is|this is|is|are) (?:a|an|just a|only a) (?:[a-z]+ ){0,2}myths?",
    r"the myths? that",
    r"(?:common|popular|widespread|persistent) myths?",
    r"in truth",
    r"the truth is",
    r"(?:a|the) deeper truth",
    r"the fact is",
    r"not caused by",
    r"(?:they|it|these|this|we|you) (?:don't|do not|doesn't|does not|won't|will not|never)",
    r"simply",
    r"no side effects",
    r"completely safe",
    r"100% (?:safe|effective)",
)
# Negated absolutes are hedges: "not always", "no cure", "doesn't always", "not guaranteed".
_NEGATABLE = {"always", "cure", "cures", "cured", "curing", "guarantee", "guaranteed", "guarantees"}
# "They don't always ..." / "it does not necessarily ..." soften rather than deny.
_SOFT_DENIAL = re.compile(r"\s+(?:always|necessarily|all|every|usually)\b", re.I)


def _absolute(s: str, text: str) -> Flag | None:
    found = _Finding()
    for m in _ABSOLUTE.finditer(s):
        word = m.group(0).casefold()
        if word in _NEGATABLE and _negated_before(s, m.start()):
            continue
        if word == "simply" and re.match(r"\s+put\b", s[m.end() :], re.I):
            continue  # "Simply put," is a transition
        if re.search(r"(?:don't|do not|doesn't|does not|won't|will not|never)$", word) and _SOFT_DENIAL.match(
            s, m.end()
        ):
            continue
        found.add(m.span(), "Absolute or certainty language leaves no room for uncertainty or exceptions.")
    return _flag(Code.ABSOLUTE_LANGUAGE, text, found)


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
_CAUSAL = _rx(
    r"root causes?",
    r"explains? why",
    r"(?:this|that) (?:is|'s) why",
    r"the (?:real|true|underlying) causes?",
    r"proves? that",
)


def _overreach(s: str, text: str, clauses: Sequence[_Clause]) -> Flag | None:
    found = _Finding()
    for clause in clauses:
        if _is_hedged(s, clause):
            continue
        for m in _RESTORATIVE.finditer(s, clause.start, clause.end):
            if not _negated_before(s, m.start()):
                found.add(m.span(), "Restorative effect stated as fact, not hedged (may, might, can, could, some).")
        for m in _CAUSAL.finditer(s, clause.start, clause.end):
            found.add(m.span(), "Causal explanation stated as fact, not hedged (may, might, can, could, suggest).")
    return _flag(Code.OVERREACH, text, found)


# --- Denial or minimisation of adverse effects ----------------------------------------------------------------------

_CONCERN = (
    r"side[- ]effects?",
    r"adverse (?:effects?|events?|reactions?)",
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
    r"(?:[a-z]+ )?(?:side[- ]effects?|adverse effects?)"
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


def _minimisation(s: str, text: str) -> Flag | None:
    found = _Finding()
    for m in _SOFTENED_SIDE_EFFECTS.finditer(s):
        found.add(m.span(), "Plays down side effects (temporary, mild, rare) without evidence.")
    concerns = list(_CONCERN_RX.finditer(s))
    for m in concerns:
        if _negated_before(s, m.start(), words=4):
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
    r"rodents?",
    r"zebrafish",
    r"monkeys?",
    r"primates?",
    r"animal (?:studies|study|models?|research|experiments?|data)",
    r"in animals",
    r"in vitro",
    r"cell cultures?",
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
    r"(?:make|makes|making|prime|primes|priming|prepare|prepares|preparing|rewire|rewires|reset|resets|train|"
    r"trains) the brain",
)


def _extrapolation(s: str, text: str, clauses: Sequence[_Clause]) -> Flag | None:
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
    if animals and humans and not hedged_anywhere:
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
    return bool(_FACT_MARKER.search(s) or _NUMBER.search(s))


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


def _no_citation(s: str, text: str, citations: Sequence[Cited]) -> Flag | None:
    if citations or not is_factual(text):
        return None
    # No single word triggers this one: the (shortened) claim itself is what lacks support.
    evidence = " ".join(text.split())
    evidence = evidence if len(evidence) <= 80 else evidence[:79] + "…"
    return Flag(Code.NO_CITATION, evidence, "States an effect, cause, mechanism or quantity without a citation.")


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
        f"Cites work older than {OLD_CITATION_YEARS} years ({years}); newer evidence may change the picture.",
    )


def _retracted(citations: Sequence[Cited]) -> list[Flag]:
    return [retracted_flag(c) for c in citations if c.status in {"retracted", "superseded"}]


def retracted_flag(cited: Cited) -> Flag:
    """The flag a claim gets when a work it cites is marked retracted or superseded."""
    why = f"Cites {cited.label}, marked {cited.status}" + (f": {cited.reason}" if cited.reason else ".")
    why = " ".join(why.split())
    return Flag(Code.RETRACTED_CITATION, cited.label[:EVIDENCE_MAX], why[:300])


def _flag(code: Code, text: str, found: _Finding) -> Flag | None:
    if not found.spans:
        return None
    return Flag(code, _evidence(text, found.spans), " ".join(found.whys)[:300])


# --- Entry point ----------------------------------------------------------------------------------------------------


def assess(text: str, citations: Sequence[Cited] = (), *, year: int) -> list[Flag]:
    """Every flag for one claim version: at most one per code, except one per retracted citation."""
    s = _prepare(text)
    clauses = _clauses(s)
    candidates = [
        _absolute(s, text),
        _overreach(s, text, clauses),
        _minimisation(s, text),
        _extrapolation(s, text, clauses),
        _no_citation(s, text, citations),
        _old_citation(citations, year),
        _unsourced_number(s, text, citations),
    ]
    return [f for f in candidates if f is not None] + _retracted(citations)
