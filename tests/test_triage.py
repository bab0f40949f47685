"""Triage rules (content.triage): each flag family pinned on sentences written here, then the sample article.

Pure tests: no database. `year` is fixed at 2026 so the 15-year rule gives the same answer in any year.
"""

from __future__ import annotations

import pytest

from content import importing, triage
from content.models import FlagCode
from content.triage import Cited, Code
from tests.conftest import sample_text

YEAR = 2026
RECENT = (Cited("Smith et al., 2021", 2021),)


def codes(text: str, citations: tuple[Cited, ...] = (), year: int = YEAR) -> set[str]:
    return {f.code.value for f in triage.assess(text, citations, year=year)}


def flag(text: str, code: Code, citations: tuple[Cited, ...] = ()) -> triage.Flag:
    found = [f for f in triage.assess(text, citations, year=YEAR) if f.code == code]
    assert found, f"{code} not raised on {text!r}"
    return found[0]


def test_it_keeps_the_model_choices_in_step_with_the_rules() -> None:
    # The import raises unresolved_citation itself; every other code is a triage rule's.
    assert set(FlagCode.values) - {FlagCode.UNRESOLVED_CITATION} == {c.value for c in Code}


def test_it_has_a_rules_version() -> None:
    assert isinstance(triage.RULES_VERSION, int) and triage.RULES_VERSION >= 1


# --- Absolute or certainty language ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("Antidepressants always work.", "always"),
        ("Exercise never causes harm.", "never"),
        ("This diet cures type 2 diabetes.", "cures"),
        ("It’s a myth that sugar causes hyperactivity.", "It’s a myth"),
        ("It's a myth that sugar causes hyperactivity.", "It's a myth"),
        ("In truth, most headaches are harmless.", "In truth"),
        ("These rashes are not caused by the vaccine.", "not caused by"),
        ("They don’t cause weight gain.", "They don’t"),
        ("They don't cause weight gain.", "They don't"),
        ("Stretching simply prevents injury.", "simply"),
    ],
)
def test_it_flags_absolute_language_with_the_words_as_written(text: str, evidence: str) -> None:
    assert evidence in flag(text, Code.ABSOLUTE_LANGUAGE, RECENT).evidence.split("; ")


@pytest.mark.parametrize(
    "text",
    [
        "Antidepressants do not always work on the first try.",
        "They don’t always work on the first try.",
        "There is no cure for depression yet, but treatment helps.",
        "Simply put, sleep matters for mood.",
        "Exercise can lower blood pressure.",
    ],
)
def test_it_does_not_flag_softened_or_negated_absolutes(text: str) -> None:
    assert Code.ABSOLUTE_LANGUAGE not in codes(text, RECENT)


# --- Causal or restorative overreach --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("Fish oil repairs damaged nerves.", "repairs"),
        ("Meditation rewires attention networks.", "rewires"),
        ("The supplement reverses ageing of the skin.", "reverses"),
        ("Turmeric heals the gut lining.", "heals"),
        ("Stem cells regenerate the heart muscle.", "regenerate"),
        ("Therapy restores normal mood.", "restores"),
        ("Sugar is the root cause of diabetes.", "root cause"),
        ("This explains why the pills take weeks to work.", "explains why"),
        # A hedge in a leading subordinate clause does not soften the main clause.
        ("While some experts disagree, this supplement restores memory.", "restores"),
        # Items of an unhedged lead-in are stated as fact.
        ("Antidepressants help recovery by:\n- Restoring sleep\n- Improving focus", "Restoring"),
    ],
)
def test_it_flags_restorative_or_causal_claims_stated_as_fact(text: str, evidence: str) -> None:
    assert evidence in flag(text, Code.OVERREACH, RECENT).evidence.split("; ")


@pytest.mark.parametrize(
    "text",
    [
        "Fish oil may repair damaged nerves.",
        "Some studies suggest meditation could help restore attention.",
        "Exercise might reverse some effects of ageing.",
        "Therapy can restore normal mood in many people.",
        "Stem cells could regenerate heart tissue.",
        "Early trials suggest the drug heals ulcers faster.",
        # The lead-in's hedge carries over to its items.
        "Antidepressants can:\n- Restore emotional range\n- Improve sleep",
        # "reversible" describes a condition, not what a treatment does.
        "Pseudodementia is a reversible memory deficit.",
        "Antidepressants do not repair brain damage.",
    ],
)
def test_it_does_not_flag_hedged_or_negated_restorative_claims(text: str) -> None:
    assert Code.OVERREACH not in codes(text, RECENT)


# --- Denial or minimisation of adverse effects ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("Some people may notice temporary side effects.", "temporary side effects"),
        ("The treatment is calming, not numbing.", "not numbing"),
        ("It's a myth that antidepressants cause weight gain.", "weight gain"),
        ("These problems are not caused by antidepressants.", "not caused by antidepressants"),
        ("Low libido is usually a symptom of depression itself.", "symptom of depression itself"),
        ("They don’t impair memory.", "don’t impair memory"),
        ("Antidepressants are not emotional silencers.", "not emotional silencers"),
    ],
)
def test_it_flags_denial_or_minimisation_of_adverse_effects(text: str, evidence: str) -> None:
    assert evidence in flag(text, Code.ADVERSE_EFFECT_MINIMISATION, RECENT).evidence.split("; ")


@pytest.mark.parametrize(
    "text",
    [
        "Antidepressants can cause sexual side effects; talk to your doctor.",
        "Depression impairs memory and concentration.",
        "Side effects such as nausea are common in the first weeks.",
    ],
)
def test_it_does_not_flag_plain_statements_about_adverse_effects(text: str) -> None:
    assert Code.ADVERSE_EFFECT_MINIMISATION not in codes(text, RECENT)


# --- Extrapolation --------------------------------------------------------------------------------------------------


def test_it_flags_a_model_about_one_treatment_applied_to_another() -> None:
    found = flag(
        "According to the REBUS model, antidepressants and psychedelics relax rigid beliefs.", Code.EXTRAPOLATION
    )
    assert found.evidence.split("; ")[:3] == ["REBUS model", "antidepressants", "psychedelics"]
    assert "antidepressants and psychedelics" in found.why


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("Studies in rats show that SSRIs regrow neurons in patients.", "rats"),
        ("Antidepressants raise BDNF levels, building new synapses.", "BDNF"),
        ("SSRIs boost neurogenesis in the hippocampus.", "neurogenesis"),
        ("Antidepressants prime the brain for learning.", "prime the brain"),
    ],
)
def test_it_flags_animal_or_mechanistic_evidence_stated_as_clinical_fact(text: str, evidence: str) -> None:
    assert evidence in flag(text, Code.EXTRAPOLATION, RECENT).evidence.split("; ")


@pytest.mark.parametrize(
    "text",
    [
        # Scoped to animals, and says so: labelled, not extrapolated.
        "In mice, fluoxetine increased hippocampal neurogenesis.",
        "Antidepressants may raise BDNF, which might support new synapses.",
        "Animal studies suggest this may also apply to people.",
        # Two treatments but no model carried from one to the other.
        "Psychedelics are being studied alongside antidepressants.",
    ],
)
def test_it_does_not_flag_scoped_or_hedged_mechanistic_claims(text: str) -> None:
    assert Code.EXTRAPOLATION not in codes(text, RECENT)


# --- Factual claims without citations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Exercise reduces blood pressure.",
        "Antidepressants are not emotional silencers.",
        "Depression impairs memory.",
        "About 5% of adults have depression.",
        "Antidepressants help by:\n- Restoring sleep",
    ],
)
def test_it_treats_assertions_about_effects_causes_mechanisms_or_quantities_as_factual(text: str) -> None:
    assert triage.is_factual(text)


@pytest.mark.parametrize(
    "text",
    [
        "What causes depression?",
        "Antidepressants contribute to recovery by:",
        "Let’s look at the evidence.",
        "Here’s why.",
        "In summary:",
        "",
    ],
)
def test_it_does_not_treat_questions_lead_ins_or_transitions_as_factual(text: str) -> None:
    assert not triage.is_factual(text)


def test_it_flags_a_factual_claim_with_no_citation() -> None:
    assert flag("Exercise reduces blood pressure.", Code.NO_CITATION).evidence == "Exercise reduces blood pressure."


def test_it_does_not_flag_a_cited_claim_or_a_question_for_missing_citations() -> None:
    assert Code.NO_CITATION not in codes("Exercise reduces blood pressure.", RECENT)
    assert Code.NO_CITATION not in codes("Does exercise reduce blood pressure?")


# --- Old citations --------------------------------------------------------------------------------------------------


def test_it_flags_a_citation_older_than_15_years() -> None:
    found = flag("Exercise reduces blood pressure.", Code.OLD_CITATION, (Cited("Chen et al., 2001", 2001),))
    assert found.evidence == "Chen et al., 2001"
    assert "2001" in found.why


def test_it_counts_the_15_years_from_the_current_year() -> None:
    assert Code.OLD_CITATION in codes("Exercise helps.", (Cited("A, 2010", 2010),), year=2026)
    assert Code.OLD_CITATION not in codes("Exercise helps.", (Cited("A, 2011", 2011),), year=2026)
    assert Code.OLD_CITATION not in codes("Exercise helps.", (Cited("A, undated", None),), year=2026)


# --- Numbers without a source ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("About 30% of patients relapse.", "30%"),
        ("Walking cuts the risk 3 times over.", "3 times"),
        ("Most people improve within 2 weeks.", "2 weeks"),
        ("1 in 5 adults will have depression.", "1 in 5"),
        ("Relapse is twice as likely without therapy.", "twice as"),
        ("Take 50 mg at night.", "50 mg"),
    ],
)
def test_it_flags_numbers_without_a_source(text: str, evidence: str) -> None:
    assert evidence in flag(text, Code.UNSOURCED_NUMBER).evidence.split("; ")


@pytest.mark.parametrize(
    ("text", "citations"),
    [
        ("About 30% of patients relapse.", RECENT),
        ("Carhart-Harris & Friston (2020) proposed a model of belief.", ()),
        ("Antidepressants take several weeks to work.", ()),
    ],
)
def test_it_does_not_flag_sourced_numbers_years_or_vague_quantities(text: str, citations: tuple[Cited, ...]) -> None:
    assert Code.UNSOURCED_NUMBER not in codes(text, citations)


# --- Retracted citations --------------------------------------------------------------------------------------------


def test_it_flags_a_retracted_citation_with_its_reason() -> None:
    cited = (Cited("Wakefield et al., 1998", 1998, status="retracted", reason="Data were falsified."),)
    found = flag("Vaccines are safe.", Code.RETRACTED_CITATION, cited)
    assert found.evidence == "Wakefield et al., 1998"
    assert found.why == "Cites Wakefield et al., 1998, marked retracted: Data were falsified."


def test_it_raises_no_flag_on_a_plain_cited_statement() -> None:
    assert codes("Regular exercise is associated with lower blood pressure.", RECENT) == set()


# --- The sample article ---------------------------------------------------------------------------------------------

A, OV, M, E = "absolute_language", "overreach", "adverse_effect_minimisation", "extrapolation"
N, OLD = "no_citation", "old_citation"

# What a careful medical reviewer would stop at, claim by claim (positions 1-25 as the importer splits the sample).
# Only claims 3 (Chen 2001; Duman & Monteggia 2006) and 6 (Carhart-Harris & Friston 2020) cite anything, so every
# other factual claim also carries no_citation: true, and advice for the author, but not a reason to stop on its own.
# The "stop set" below is therefore every claim with a flag other than no_citation.
EXPECTED: dict[int, set[str]] = {
    1: {A, E, N},  # "simply" elevate mood; "prepare the brain" for transformation: a mechanism stated as fact
    2: {E, N},  # SSRIs "stimulate" BDNF, dendritic branching, synaptogenesis: animal/mechanistic data as fact
    3: {OV, E, OLD},  # BDNF "helps regenerate"; cites 2001 and 2006 (older than 15 years)
    4: {OV, N},  # "explains why" they take weeks: the neurotrophic hypothesis stated as the explanation
    5: {OV, E, N},  # "synaptic repair", "healing"; neuronal growth and circuit remodelling as fact
    6: {E},  # REBUS: a model of psychedelics applied to antidepressants; "predictive coding" as fact
    7: {E, N},  # antidepressants "make the brain more receptive": continues the REBUS extrapolation
    8: {E, N},  # a "critical window" of neuroplasticity (from animal studies) as fact for patients
    9: {E, N},  # mirrors "the neuroplasticity of childhood": mechanism as fact
    10: {N},  # plain: depression impairs cognition (textbook; needs only a source)
    11: {N},  # plain: pseudodementia is a reversible deficit ("reversible" is not a restorative claim)
    12: {A, M, N},  # "not caused by antidepressants": a flat denial of adverse effects
    13: {N},  # plain on its own: "hallmarks of untreated depression" (names no adverse effect)
    14: {OV, N},  # "Restoring", "Reversing" under an unhedged lead-in
    15: {A, M, N},  # "It’s a common myth" that antidepressants cause numbness or reduced libido
    16: {A, M, N},  # "In truth": emotional flatness and sexual dysfunction re-attributed to depression
    17: {OV, N},  # "treating the root cause" (the items are hedged by "can", so only the lead-in)
    18: {OV, M, N},  # "temporary side effects", "not numbing"; the trend "is restorative"
    19: {M, N},  # "not artificial": dismisses a common concern
    20: {A, M, N},  # "The myth that" they "simply" mask symptoms; "a deeper truth"
    21: {A, OV, M, N},  # "They don’t override emotion"; "they restore"
    22: {A, OV, M, N},  # "They don’t impair memory"; "they repair"
    23: {A, M, N},  # "they don’t slow the mind"
    24: {M, N},  # "not emotional silencers": denies emotional blunting
    25: {OV, N},  # "rehabilitators", "healing"
}
PLAIN = {10, 11, 13}


def sample_flags() -> dict[int, list[triage.Flag]]:
    parsed = importing.parse_article(sample_text(), "text")
    claims = [c for section in parsed.sections for c in section.claims]
    assert len(claims) == 25
    return {
        n: triage.assess(c.text, [Cited(x.label, x.year) for x in c.citations], year=YEAR)
        for n, c in enumerate(claims, start=1)
    }


def test_it_flags_every_claim_of_the_sample_as_expected() -> None:
    got = {n: {f.code.value for f in flags} for n, flags in sample_flags().items()}
    assert got == EXPECTED


def test_it_stops_a_reviewer_at_every_risky_sample_claim_and_not_at_the_plain_ones() -> None:
    stop = {n for n, flags in sample_flags().items() if any(f.code != Code.NO_CITATION for f in flags)}
    assert stop == set(range(1, 26)) - PLAIN


def test_it_flags_the_myth_claim_as_absolute_and_minimising() -> None:
    flags = {f.code: f for f in sample_flags()[15]}
    assert flags[Code.ABSOLUTE_LANGUAGE].evidence == "It’s a common myth"
    assert flags[Code.ADVERSE_EFFECT_MINIMISATION].evidence == "myth; emotional numbness; reduced libido"


def test_it_flags_the_rebus_claim_as_extrapolation() -> None:
    (only,) = sample_flags()[6]
    assert only.code == Code.EXTRAPOLATION
    assert only.evidence.startswith("REBUS model; Psychedelics; antidepressants")


def test_it_flags_the_bdnf_claim_for_its_old_citations() -> None:
    old = {f.code: f for f in sample_flags()[3]}[Code.OLD_CITATION]
    assert old.evidence == "Chen et al., 2001; Duman & Monteggia, 2006"
    assert "(2001, 2006)" in old.why


def test_it_keeps_each_why_to_one_line() -> None:
    for flags in sample_flags().values():
        for f in flags:
            assert "\n" not in f.why and len(f.why) <= 300
