"""Extrapolation: findings in animals, cells or mechanisms, or about one treatment, applied to people or another."""

from __future__ import annotations

import re
from collections.abc import Sequence

from content.triage.base import UNCERTAIN, Clause, Code, Context, Design, Finding, Flag, flag, is_hedged, words_rx
from content.triage.causal import CAUSAL_VERB, NOT_CAUSAL
from content.triage.language import CURATIVE, RESTORATIVE

_MODEL = words_rx(r"[A-Z]{3,}\s+model", r"models?", r"theory", r"theories", r"hypothesis", r"framework")


_TREATMENT_CLASSES: dict[str, re.Pattern[str]] = {
    "psychedelics": words_rx(r"psychedelics?", r"psilocybin", r"lsd", r"mdma", r"ayahuasca", r"dmt"),
    "antidepressants": words_rx(
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
    "ketamine": words_rx(r"ketamine", r"esketamine"),
    "antipsychotics": words_rx(r"antipsychotics?"),
    "stimulants": words_rx(r"stimulants?", r"methylphenidate", r"amphetamines?"),
    "benzodiazepines": words_rx(r"benzodiazepines?"),
}


ANIMAL = words_rx(
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


_HUMAN = words_rx(
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


_MECHANISM = words_rx(
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


_FINDING = words_rx(r"shows?", r"showed", r"shown", r"found", r"finds", r"demonstrat\w+", r"regrow\w*", r"works?")


# An effect on people or health, as opposed to a measurement in the lab.
_BENEFIT = words_rx(
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


def extrapolation(s: str, text: str, clauses: Sequence[Clause], context: Context) -> Flag | None:
    found = Finding()
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
    animals = list(ANIMAL.finditer(s))
    humans = list(_HUMAN.finditer(s))
    hedged_anywhere = any(is_hedged(s, c) for c in clauses)
    # Only a finding carries over: "warned people to avoid rodents" applies nothing from animals.
    finding = CAUSAL_VERB.search(s) or RESTORATIVE.search(s) or _FINDING.search(s)
    if animals and humans and finding and not hedged_anywhere:
        for m in [animals[0], humans[0]]:
            found.add(m.span(), "Animal or laboratory findings are applied to people as fact.")
    # 3. Mechanisms stated as clinical fact; a finding scoped to animals or cells is labelled, not extrapolated.
    scoped_to_lab = bool(animals) and not humans
    if not scoped_to_lab:
        for clause in clauses:
            if is_hedged(s, clause):
                continue
            for m in _MECHANISM.finditer(s, clause.start, clause.end):
                found.add(m.span(), "Mechanistic evidence (mostly animal or laboratory) is stated as clinical fact.")
    # 4. The article reports animal or lab work, and this claim states an effect or benefit without saying
    # where it was seen. A hedge ("may", "suggests") does not scope a mouse finding to mice; saying that it
    # is not known whether it holds in people does.
    if context.own_design == Design.MECHANISTIC and not animals and not UNCERTAIN.search(s):
        effects = [m for m in CAUSAL_VERB.finditer(s) if m.group(0).casefold() not in NOT_CAUSAL]
        effects += list(CURATIVE.finditer(s))
        benefits = list(_BENEFIT.finditer(s)) + list(_HUMAN.finditer(s))
        if effects and benefits:
            why = (
                f"The article reports animal or laboratory work ({context.design_evidence}); "
                "this effect is not scoped to it."
            )
            found.add(effects[0].span(), why)
            found.add(benefits[0].span(), why)
    return flag(Code.EXTRAPOLATION, text, found)
