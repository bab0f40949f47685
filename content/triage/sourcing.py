"""Sourcing: specific factual claims without a citation, numbers without a source, old and retracted citations."""

from __future__ import annotations

import re
from collections.abc import Sequence

from content.triage.base import (
    EVIDENCE_MAX,
    OLD_CITATION_YEARS,
    WORD,
    Cited,
    Clause,
    Code,
    Finding,
    Flag,
    Severity,
    flag,
    prepare,
    words_rx,
)
from content.triage.causal import CAUSAL_VERB, causal_statements

_TRANSITION = re.compile(
    r"^\s*(?:let's|let us|here's|here is|here are|read on|now,|so,|but first|first,? let's|next,|finally,|"
    r"in (?:summary|short|conclusion|other words)|to (?:sum up|summari[sz]e|conclude)|the bottom line|"
    r"what does (?:this|that) mean|why does (?:this|it) matter|that said|with that in mind|more on (?:this|that)|"
    r"see below|as we'll see|consider (?:this|the following)|simply put)\b",
    re.I,
)


_FACT_MARKER = words_rx(
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
    s = prepare(text).strip()
    if not s or s.endswith("?"):
        return False
    if s.endswith(":") and "\n" not in s:
        return False
    if _TRANSITION.match(s) and len(WORD.findall(s)) <= 12:
        return False
    return bool(_FACT_MARKER.search(s) or NUMBER.search(s) or CAUSAL_VERB.search(s))


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


def _specific(s: str, clauses: Sequence[Clause]) -> list[tuple[tuple[int, int], str]]:
    """The parts of a claim that make it specific enough to need a source, each with what kind it is."""
    parts: list[tuple[tuple[int, int], str]] = []
    for rx, kind in (
        (NUMBER, "a number"),
        (_COMPARISON, "a comparison"),
        (_SUPERLATIVE, "a superlative"),
        (_NAMED_STUDY, "a study it names"),
    ):
        m = rx.search(s)
        if m:
            parts.append((m.span(), kind))
    for st in causal_statements(s, clauses):
        if not st.illness_cause:
            parts.append((st.span, "a causal effect"))
            break
    return parts


def no_citation(s: str, text: str, clauses: Sequence[Clause], citations: Sequence[Cited]) -> Flag | None:
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


NUMBER = re.compile(
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


def unsourced_number(s: str, text: str, citations: Sequence[Cited]) -> Flag | None:
    if citations:
        return None
    found = Finding()
    for m in NUMBER.finditer(s):
        found.add(m.span(), "Gives a number with no source for it.")
    return flag(Code.UNSOURCED_NUMBER, text, found)


def old_citation(citations: Sequence[Cited], year: int) -> Flag | None:
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


def retracted(citations: Sequence[Cited]) -> list[Flag]:
    return [retracted_flag(c) for c in citations if c.status in {"retracted", "superseded"}]


def retracted_flag(cited: Cited) -> Flag:
    """The flag a claim gets when a work it cites is marked retracted or superseded."""
    why = f"Cites {cited.label}, marked {cited.status}" + (f": {cited.reason}" if cited.reason else ".")
    why = " ".join(why.split())
    return Flag(Code.RETRACTED_CITATION, cited.label[:EVIDENCE_MAX], why[:300])
