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
- absolute_language: boosters and universals (documented in `language.BOOSTERS`),
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

Modules: `base` (codes, values, clause and hedge matching), one per rule family (`causal`,
`language`, `harms`, `extrapolation`, `sourcing`), `article` (article-level rules) and `rules`
(the entry points). The public names are re-exported here: callers write `triage.assess(...)`.
"""

from content.triage.article import (
    LAB_CLAIMS_MIN,
    article_context,
    benefit_claims,
    harms_omitted,
)
from content.triage.base import (
    EVIDENCE_MAX,
    LABELS,
    NO_CONTEXT,
    OLD_CITATION_YEARS,
    RULES_VERSION,
    SOURCING,
    STRONG_DESIGNS,
    Cited,
    Code,
    Context,
    Design,
    Flag,
    Severity,
    clause_of,
    evidence_of,
    flag,
    in_quoted_uncertainty,
    is_hedged,
    negated_before,
    prepare,
    split_clauses,
    words_rx,
)
from content.triage.causal import (
    causal_claim,
    causal_statements,
    design_of,
)
from content.triage.extrapolation import (
    extrapolation,
)
from content.triage.harms import (
    minimisation,
)
from content.triage.language import (
    absolute,
    hype,
    overreach,
)
from content.triage.rules import (
    ArticleClaim,
    article_year,
    assess,
    assess_article,
)
from content.triage.sourcing import (
    is_factual,
    no_citation,
    old_citation,
    retracted,
    retracted_flag,
    unsourced_number,
)

__all__ = [
    "EVIDENCE_MAX",
    "LABELS",
    "LAB_CLAIMS_MIN",
    "NO_CONTEXT",
    "OLD_CITATION_YEARS",
    "RULES_VERSION",
    "SOURCING",
    "STRONG_DESIGNS",
    "ArticleClaim",
    "Cited",
    "Code",
    "Context",
    "Design",
    "Flag",
    "Severity",
    "absolute",
    "article_context",
    "article_year",
    "assess",
    "assess_article",
    "benefit_claims",
    "causal_claim",
    "causal_statements",
    "clause_of",
    "design_of",
    "evidence_of",
    "extrapolation",
    "flag",
    "harms_omitted",
    "hype",
    "in_quoted_uncertainty",
    "is_factual",
    "is_hedged",
    "minimisation",
    "negated_before",
    "no_citation",
    "old_citation",
    "overreach",
    "prepare",
    "retracted",
    "retracted_flag",
    "split_clauses",
    "unsourced_number",
    "words_rx",
]
