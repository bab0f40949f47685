"""Article-level rules: the article's own context (its study design, lab work),
and benefits claimed with no harm mentioned.
"""

from __future__ import annotations

from collections.abc import Sequence

from content.triage.base import NO_CONTEXT, Code, Context, Design, Flag, evidence_of, negated_before, prepare, words_rx
from content.triage.causal import DESIGN_WORDS
from content.triage.extrapolation import ANIMAL

# An article "reports animal or lab work" when that many of its claims name animals or cells, and a trial when
# any names randomisation or a placebo: a design mentioned once in passing ("studies in mice have shown") is
# not the article's own.
LAB_CLAIMS_MIN = 3


def article_context(texts: Sequence[str]) -> Context:
    """What the article as a whole says about its own evidence: the design of the study it reports, if any."""
    prepared = [prepare(t) for t in texts]
    # "No randomised trial has tested this" names the design the article lacks.
    rct = [m for s in prepared for m in DESIGN_WORDS[1][1].finditer(s) if not negated_before(s, m.start())]
    review = [m for s in prepared for m in DESIGN_WORDS[0][1].finditer(s) if not negated_before(s, m.start())]
    lab = [m for s in prepared if (m := ANIMAL.search(s))]
    if review:
        return Context(Design.SYSTEMATIC_REVIEW, review[0].group(0))
    if rct:
        return Context(Design.RCT, rct[0].group(0))
    if len(lab) >= LAB_CLAIMS_MIN:
        words = sorted({m.group(0).casefold() for m in lab})
        return Context(Design.MECHANISTIC, ", ".join(words[:3]))
    return NO_CONTEXT


# Mentions of what a treatment can cost a patient: harms, side effects, risks, costs.
_HARMS = words_rx(
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
_IMPROVES = words_rx(
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


_TREATMENT = words_rx(
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
        s = prepare(text)
        benefit = _IMPROVES.search(s)
        if benefit and _TREATMENT.search(s) and not negated_before(s, benefit.start()) and not s.rstrip().endswith("?"):
            found.append(i)
    return found


def harms_omitted(texts: Sequence[str]) -> dict[int, Flag]:
    """The article-level flag, keyed by the index of each benefit claim it is shown on (empty when harms come up)."""
    if any(_HARMS.search(prepare(t)) for t in texts):
        return {}
    benefits = benefit_claims(texts)
    flags = {}
    for i in benefits:
        s = prepare(texts[i])
        m = _IMPROVES.search(s)
        assert m is not None
        flags[i] = Flag(
            Code.HARMS_OMITTED,
            evidence_of(texts[i], [m.span()]),
            "The article claims benefits of a treatment but nowhere mentions harms, side effects, risks or costs.",
        )
    return flags
