"""Harms played down: side effects called myths, temporary or rare without a figure, or put down to the illness."""

from __future__ import annotations

import re

from content.triage.base import NEGATION, WORD, Code, Finding, Flag, flag, negated_before, words_rx
from content.triage.sourcing import NUMBER

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


_CONCERN_RX = words_rx(*_CONCERN)


_SOFTENED_SIDE_EFFECTS = words_rx(
    r"(?:temporary|transient|mild|minor|rare|short-lived|brief|harmless|manageable|only|few) "
    r"(?:[a-z]+ )?(?:side[- ]effects?|adverse effects?)",
    r"(?:side[- ]effects?|adverse effects?|risks?|harms?) (?:are|is|were|was) (?:\w+ )?(?:tolerable|minimal|mild|"
    r"minor|rare|negligible|manageable|temporary|transient|uncommon|low)",
)


# Softening words, when a concern is in the same sentence and no figure says how common or how bad.
_SOFTENER = words_rx(
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
_SAFETY = words_rx(
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


_MYTH = words_rx(r"myths?")


_NOT_CAUSED_BY_TREATMENT = words_rx(
    r"not caused by (?:the |your |their )?(?:[a-z-]+ ){0,2}(?:antidepressants?|medications?|medicines?|drugs?|"
    r"treatments?|ssris?|snris?|vaccines?|pills?|therapy|tablets?)"
)


_REATTRIBUTED = words_rx(
    r"(?:symptoms?|signs?|hallmarks?|part|features?|results?) of (?:the |untreated |the underlying )?"
    r"(?:depression|illness|disease|condition|disorder)(?: itself)?"
)


# "Not everyone has side effects": the negation limits who, it does not deny the harm.
_NEGATED_QUANTIFIER = re.compile(r"\b(?:not|n't) (?:everyone|everybody|all|every|always)\b", re.I)


def minimisation(s: str, text: str) -> Flag | None:
    found = Finding()
    # A figure for how common or how bad (a percentage, "1 in 10") answers the question a softener raises.
    has_figure = bool(NUMBER.search(s))
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
            if not negated_before(s, m.start(), words=2):
                found.add(m.span(), "Asserts safety without a figure for the harms.")
    for m in concerns:
        if negated_before(s, m.start(), words=4) and not _NEGATED_QUANTIFIER.search(
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
    return flag(Code.ADVERSE_EFFECT_MINIMISATION, text, found)


def _extend_back_to_negation(s: str, start: int, end: int) -> tuple[int, int]:
    """Widen the evidence from "numbing" to "not numbing" / "don't impair memory"."""
    window = s[max(0, start - 60) : start]
    last = None
    for w in WORD.finditer(window):
        if NEGATION.fullmatch(w.group(0)):
            last = w
    return (max(0, start - 60) + last.start(), end) if last else (start, end)
