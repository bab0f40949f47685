"""Triage rules (content.triage): each flag family pinned on sentences written here, then the sample article.

Pure tests: no database. `year` is fixed at 2026 so the 15-year rule gives the same answer in any year.
"""

from __future__ import annotations

import pytest

from content import importing, triage
from content.models import FlagCode, FlagSeverity
from content.triage import Cited, Code, Context, Design, Severity
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


# --- Severity -------------------------------------------------------------------------------------------------------


def severity_of(text: str, code: Code, citations: tuple[Cited, ...] = (), context: Context = triage.NO_CONTEXT) -> str:
    found = [f for f in triage.assess(text, citations, year=YEAR, context=context) if f.code == code]
    assert found, f"{code} not raised on {text!r}"
    return found[0].severity.value


def risk_codes(text: str, citations: tuple[Cited, ...] = (), context: Context = triage.NO_CONTEXT) -> set[str]:
    flags = triage.assess(text, citations, year=YEAR, context=context)
    return {f.code.value for f in flags if f.severity == Severity.RISK}


def test_it_gives_every_flag_a_severity() -> None:
    flags = triage.assess("Garlic lowers cholesterol in everyone.", year=YEAR)
    assert flags and all(f.severity in {Severity.RISK, Severity.INFO} for f in flags)


def test_it_keeps_the_model_severities_in_step_with_the_rules() -> None:
    assert set(FlagSeverity.values) == {s.value for s in Severity}


def test_it_treats_the_sourcing_codes_as_sourcing() -> None:
    assert triage.SOURCING == {Code.NO_CITATION, Code.OLD_CITATION, Code.UNSOURCED_NUMBER, Code.RETRACTED_CITATION}


# --- Causal claims --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("Green tea reduces the risk of stroke.", "reduces"),
        ("Smoking causes lung damage.", "causes"),
        ("Daily stretching improves balance in older adults.", "improves"),
        ("Folic acid prevents neural tube defects.", "prevents"),
        ("Poor sleep leads to weight gain.", "leads to"),
        ("The new inhaler is effective in reducing attacks.", "is effective in"),
        ("Salt raises blood pressure, which damages the kidneys.", "damages"),
        ("Blood pressure was lowered by the drug.", "lowered"),
    ],
)
def test_it_flags_a_causal_effect_stated_as_fact(text: str, evidence: str) -> None:
    assert evidence in flag(text, Code.CAUSAL_CLAIM).evidence.split("; ")


@pytest.mark.parametrize(
    "text",
    [
        "Green tea may reduce the risk of stroke.",
        "Daily stretching might improve balance.",
        "Early results suggest that folic acid prevents some defects.",
        "Poor sleep appears to lead to weight gain.",
        "Salt is thought to raise blood pressure.",
        "Vitamin C could shorten colds.",
    ],
)
def test_it_does_not_take_hedged_wording_for_a_causal_claim(text: str) -> None:
    assert Code.CAUSAL_CLAIM not in codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "Green tea drinking is associated with fewer strokes.",
        "Poor sleep is linked to weight gain.",
        "Coffee intake correlated with lower liver enzyme levels.",
        "Smokers were more likely to develop gum disease.",
        "Among people who walk daily, heart attacks are less common.",
    ],
)
def test_it_does_not_take_correlational_wording_for_a_causal_claim(text: str) -> None:
    assert Code.CAUSAL_CLAIM not in codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "Aspirin does not reduce the risk of a first stroke.",
        "We observed decreased cortisol levels in the morning.",
        "Patients with improved sleep reported less pain.",
        "It is a myth that vaccines cause autism.",
        "The statin-induced rise in glucose was small.",
        "The most common causes are stress and noise.",
    ],
)
def test_it_does_not_take_negations_adjectives_or_denials_for_a_causal_claim(text: str) -> None:
    assert Code.CAUSAL_CLAIM not in codes(text)


def test_it_makes_an_uncited_causal_claim_a_risk() -> None:
    assert severity_of("Green tea reduces the risk of stroke.", Code.CAUSAL_CLAIM) == "risk"


@pytest.mark.parametrize(
    "title",
    [
        "A randomized controlled trial of green tea extract",
        "Green tea and stroke: a systematic review and meta-analysis",
    ],
)
def test_it_makes_a_causal_claim_citing_a_trial_or_review_info(title: str) -> None:
    cited = (Cited("Lee et al., 2022", 2022, title=title),)
    assert severity_of("Green tea reduces the risk of stroke.", Code.CAUSAL_CLAIM, cited) == "info"


@pytest.mark.parametrize(
    "title",
    [
        "Tea consumption and stroke in a prospective cohort of nurses",
        "Catechins protect neurons in mice after ischaemia",
        "Epigallocatechin gallate and endothelial cells in vitro",
    ],
)
def test_it_keeps_a_causal_claim_citing_observational_or_lab_work_a_risk(title: str) -> None:
    cited = (Cited("Lee et al., 2022", 2022, title=title),)
    assert severity_of("Green tea reduces the risk of stroke.", Code.CAUSAL_CLAIM, cited) == "risk"


def test_it_lets_a_reviewers_evidence_type_decide_a_causal_claims_severity() -> None:
    cited = (Cited("Lee et al., 2022", 2022, title="A randomized controlled trial of green tea"),)
    flags = triage.assess("Green tea reduces strokes.", cited, year=YEAR, reviewed_evidence="observational")
    assert {f.code: f.severity for f in flags}[Code.CAUSAL_CLAIM] == Severity.RISK


@pytest.mark.parametrize(
    ("label", "title", "design"),
    [
        ("Ng 2020", "Double-blind placebo-controlled study of melatonin", Design.RCT),
        ("Ng 2020", "Cochrane review of melatonin for jet lag", Design.SYSTEMATIC_REVIEW),
        ("Ng 2020", "A cross-sectional survey of sleep habits", Design.OBSERVATIONAL),
        ("Ng 2020", "Melatonin receptors in knockout mice", Design.MECHANISTIC),
        ("Ng 2020", "", None),
    ],
)
def test_it_reads_the_design_of_a_cited_work_from_its_title(label: str, title: str, design: Design | None) -> None:
    assert triage.design_of(Cited(label, 2020, title=title)) == design


def test_it_makes_a_causal_claim_about_an_illness_info() -> None:
    assert severity_of("Untreated diabetes damages the small blood vessels.", Code.CAUSAL_CLAIM) == "info"


def test_it_makes_a_causal_claim_info_when_the_article_reports_its_own_trial() -> None:
    trial = Context(Design.RCT, "placebo")
    assert severity_of("The patch lowered pain scores.", Code.CAUSAL_CLAIM, context=trial) == "info"


# --- Absolute language: boosters and universals -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("Surgery is inevitably followed by scarring.", "inevitably"),
        ("The vaccine is definitely the answer.", "definitely"),
        ("This is the most effective treatment for gout.", "the most effective"),
        ("Acne is easily treatable at home.", "easily treatable"),
        ("Our group is the first to show the effect.", "the first to"),
        ("Fibre is proven to lower cholesterol.", "proven"),
        ("All processed meat harms the heart.", "All"),
        ("Every diet works if you stick to it.", "Every"),
        ("None of the herbal remedies are safe in pregnancy.", "None"),
        ("Any adult can develop shingles.", "Any"),
        ("The results clearly show a benefit.", "clearly"),
        ("A larger trial will confirm these findings.", "will confirm"),
    ],
)
def test_it_flags_boosters_and_universals(text: str, evidence: str) -> None:
    assert evidence in flag(text, Code.ABSOLUTE_LANGUAGE).evidence.split("; ")


@pytest.mark.parametrize(
    "text",
    [
        "Rates were higher in never users than in current users.",
        "Participants were grouped as never, former and current smokers.",
        "Never-smokers had the lowest risk.",
        "Answers run from never (0) to daily (3).",
        "Half the group answered 'never' to the item.",
    ],
)
def test_it_does_not_take_category_words_for_absolutes(text: str) -> None:
    assert Code.ABSOLUTE_LANGUAGE not in codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "Not all patients respond to the first drug.",
        "A rash is not necessarily a sign of allergy to all penicillins.",
        "All participants gave written consent.",
        "Every volunteer completed the questionnaire.",
        "Blood was drawn every 2 weeks.",
        "Almost all toddlers catch colds in winter.",
    ],
)
def test_it_does_not_flag_negated_or_descriptive_universals(text: str) -> None:
    assert Code.ABSOLUTE_LANGUAGE not in codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "We do not yet know whether the benefit lasts.",
        '"We never know in advance who will respond," the lead author said.',
        "You should always read the leaflet before a first dose.",
        "Everyone needs a different amount of exercise.",
        "All visitors should wash their hands.",
    ],
)
def test_it_does_not_flag_negated_hedges_quoted_uncertainty_or_advice(text: str) -> None:
    assert Code.ABSOLUTE_LANGUAGE not in codes(text)


# --- Hype -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("A breakthrough pill melts away belly fat.", "breakthrough"),
        ("This miracle spice fights ageing.", "miracle"),
        ("The implant is a game changer for deaf children.", "game changer"),
        ("A revolutionary scan spots tumours early.", "revolutionary"),
        ("The discovery raises new hope for people with ALS.", "raises new hope"),
        ("The result is especially exciting for older patients.", "especially exciting"),
    ],
)
def test_it_flags_sensational_wording(text: str, evidence: str) -> None:
    assert evidence in flag(text, Code.HYPE).evidence.split("; ")


@pytest.mark.parametrize(
    "text",
    [
        "The trial enrolled 300 patients in two hospitals.",
        'She called the result "exciting" but said it is too early to recommend it.',
        "A substantial share of adults reported better sleep.",
    ],
)
def test_it_does_not_flag_plain_or_tempered_reporting_as_hype(text: str) -> None:
    assert Code.HYPE not in codes(text)


# --- Overreach: curative promises and names ----------------------------------------------------------------------


def test_it_flags_a_cure_promised_even_in_the_conditional() -> None:
    assert "eradicate" in flag("The compound could eradicate hepatitis B.", Code.OVERREACH).evidence


def test_it_does_not_take_a_capitalised_name_for_a_restorative_claim() -> None:
    assert Code.OVERREACH not in codes("The work was paid for by the Institute for Regenerative Medicine.")


# --- Adverse effect minimisation: safety and softened harms --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("The injection is safe for everyone over 12.", "is safe"),
        ("Herbal sleep aids are a safe option for most adults.", "safe option"),
        ("There is no risk to the unborn child.", "no risk to"),
        ("Side effects are mild and pass quickly.", "Side effects are mild"),
        ("There are risks of the surgery, but they are uncommon.", "uncommon"),
        ("Occasional use is not thought to cause any harm.", "is not thought to cause any harm"),
    ],
)
def test_it_flags_safety_asserted_without_a_figure(text: str, evidence: str) -> None:
    assert evidence in flag(text, Code.ADVERSE_EFFECT_MINIMISATION).evidence.split("; ")


@pytest.mark.parametrize(
    "text",
    [
        "Not everyone has side effects.",
        "Side effects were uncommon: 4% of patients stopped the drug.",
        "Nausea affects 1 in 10 people in the first week.",
        "The drug is not safe in pregnancy.",
    ],
)
def test_it_does_not_flag_harms_reported_with_figures_or_true_caveats(text: str) -> None:
    assert Code.ADVERSE_EFFECT_MINIMISATION not in codes(text)


# --- Extrapolation in an article that reports animal or lab work ---------------------------------------------------

LAB = Context(Design.MECHANISTIC, "mice")


def test_it_flags_an_effect_not_scoped_to_the_animals_the_article_reports() -> None:
    assert Code.EXTRAPOLATION in risk_codes("The extract boosts gut health.", context=LAB)


def test_it_does_not_let_a_hedge_scope_a_lab_finding_to_people() -> None:
    assert Code.EXTRAPOLATION in risk_codes("The extract may promote weight loss in humans.", context=LAB)


def test_it_does_not_flag_a_finding_scoped_to_the_animals() -> None:
    flags = triage.assess("The treated mice lost weight after four weeks.", year=YEAR, context=LAB)
    assert Code.EXTRAPOLATION not in {f.code for f in flags}


def test_it_does_not_flag_a_claim_that_says_it_is_not_known_in_people() -> None:
    flags = triage.assess("Whether the extract helps people is not yet known.", year=YEAR, context=LAB)
    assert Code.EXTRAPOLATION not in {f.code for f in flags}


def test_it_does_not_treat_an_effect_in_a_lab_free_article_as_extrapolation() -> None:
    assert Code.EXTRAPOLATION not in codes("The extract boosts gut health.")


def test_it_does_not_flag_advice_about_animals_as_extrapolation() -> None:
    assert Code.EXTRAPOLATION not in codes("Health officials told people to keep away from wild rodents.")


@pytest.mark.parametrize(
    ("texts", "design"),
    [
        (["Mice were fed the extract.", "The mice gained less weight.", "Rats showed the same."], Design.MECHANISTIC),
        (["Volunteers were randomized to the drug or placebo.", "Pain fell by a third."], Design.RCT),
        (["A study in mice hinted at this.", "Adults reported better sleep."], None),
        (["No randomized trial has tested the diet.", "Followers say they feel better."], None),
    ],
)
def test_it_reads_the_articles_own_study_design(texts: list[str], design: Design | None) -> None:
    assert triage.article_context(texts).own_design == design


# --- Harms omitted (article level) ----------------------------------------------------------------------------------


def test_it_flags_benefit_claims_of_an_article_that_never_mentions_harms() -> None:
    texts = ["Migraine is common.", "The new drug reduces migraine days.", "It is taken once a month."]
    flags = triage.harms_omitted(texts)
    assert list(flags) == [1] and flags[1].code == Code.HARMS_OMITTED


def test_it_does_not_flag_benefits_when_the_article_mentions_side_effects() -> None:
    texts = ["The new drug reduces migraine days.", "Side effects included nausea in a few patients."]
    assert triage.harms_omitted(texts) == {}


def test_it_does_not_flag_an_article_that_claims_no_treatment_benefit() -> None:
    assert triage.harms_omitted(["Migraine is common.", "It runs in families."]) == {}


def test_it_adds_the_harms_flag_to_the_article_assessment() -> None:
    claims = [triage.ArticleClaim("Migraine is common."), triage.ArticleClaim("The new drug reduces migraine days.")]
    flagged = triage.assess_article(claims, year=YEAR)
    assert Code.HARMS_OMITTED in {f.code for f in flagged[1]} and Code.HARMS_OMITTED not in {f.code for f in flagged[0]}


# --- no_citation: specific claims only ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Zinc shortens colds.",  # a causal effect
        "About 40% of adults snore.",  # a number
        "Runners have lower resting heart rates than swimmers.",  # a comparison
        "Sepsis is the leading cause of death in hospitals.",  # a superlative
        "A recent study found that napping helps memory.",  # a study named
    ],
)
def test_it_makes_no_citation_a_risk_on_specific_claims(text: str) -> None:
    assert severity_of(text, Code.NO_CITATION) == "risk"


def test_it_makes_no_citation_info_on_general_background() -> None:
    assert severity_of("Asthma is a condition of the airways.", Code.NO_CITATION) == "info"


@pytest.mark.parametrize(
    "text",
    [
        "What does the evidence say about zinc?",
        "Here is what we found.",
        "Talk to your pharmacist before taking zinc with antibiotics.",
        "You should drink water during exercise.",
        "The benefits of zinc include:",
    ],
)
def test_it_raises_no_no_citation_flag_on_questions_signposts_advice_or_lead_ins(text: str) -> None:
    assert Code.NO_CITATION not in codes(text)


# --- Old citations against the article's own date -------------------------------------------------------------------


def test_it_measures_old_citations_from_the_articles_year() -> None:
    cited = (Cited("Ames, 1995", 1995),)
    assert Code.OLD_CITATION not in codes("Exercise helps.", cited, year=2008)
    assert Code.OLD_CITATION in codes("Exercise helps.", cited, year=2026)


@pytest.mark.parametrize(
    ("source", "year"),
    [
        ('<meta property="article:published_time" content="2017-03-02T10:00:00Z">', 2017),
        ('{"@type": "NewsArticle", "datePublished": "2015-06-01"}', 2015),
        ("Health news\\nPublished: March 3, 2014\\nA new study ...", 2014),
        ("# A paper title\\n\\nJournal of Things 2009;12:34. doi:10.1/x\\n", 2009),
        ("No date anywhere in this text.", 2026),
        ('<meta name="date" content="2031-01-01">', 2026),  # a date after the import is not the article's
    ],
)
def test_it_reads_the_articles_year_else_the_import_year(source: str, year: int) -> None:
    assert triage.article_year(source, 2026) == year


# --- The sample article ---------------------------------------------------------------------------------------------

A, OV, M, E = "absolute_language", "overreach", "adverse_effect_minimisation", "extrapolation"
N, OLD, C = "no_citation", "old_citation", "causal_claim"

# What a careful medical reviewer would stop at, claim by claim (positions 1-25 as the importer splits the sample):
# the codes of the risk-severity flags. Info flags (background without a source; a causal claim whose cause is the
# illness or that cites its evidence) are folded away, so they are not listed. Only claims 3 (Chen 2001; Duman &
# Monteggia 2006) and 6 (Carhart-Harris & Friston 2020) cite anything; no_citation is a risk only where the claim is
# specific (a causal effect, a number, a comparison ...).
EXPECTED: dict[int, set[str]] = {
    1: {A, C, E, N},  # "simply" elevate mood; "prepare the brain" for transformation: a mechanism stated as fact
    2: {C, E, N},  # SSRIs "stimulate" BDNF, dendritic branching, synaptogenesis: animal/mechanistic data as fact
    3: {OV, E, OLD},  # BDNF "helps regenerate"; cites 2001 and 2006 (older than 15 years)
    4: {OV},  # "explains why" they take weeks: the neurotrophic hypothesis stated as the explanation
    5: {C, OV, E, N},  # "synaptic repair", "healing"; neuronal growth and circuit remodelling as fact
    6: {E},  # REBUS: a model of psychedelics applied to antidepressants; "predictive coding" as fact
    7: {E},  # antidepressants "make the brain more receptive": continues the REBUS extrapolation
    8: {E},  # a "critical window" of neuroplasticity (from animal studies) as fact for patients
    9: {C, E, N},  # mirrors "the neuroplasticity of childhood", "pharmacologically induced": mechanism as fact
    10: set(),  # plain: depression impairs cognition (the illness's course; textbook background)
    11: set(),  # plain: pseudodementia is a reversible deficit ("reversible" is not a restorative claim)
    12: {A, M},  # "not caused by antidepressants": a flat denial of adverse effects
    13: set(),  # plain on its own: "hallmarks of untreated depression" (names no adverse effect)
    14: {C, OV, N},  # "Restoring", "Reversing" under an unhedged lead-in
    15: {A, M},  # "It’s a common myth" that antidepressants cause numbness or reduced libido
    16: {A, M},  # "In truth": emotional flatness and sexual dysfunction re-attributed to depression
    17: {C, OV, N},  # "treating the root cause" (the items are hedged by "can", so only the lead-in)
    18: {OV, M},  # "temporary side effects", "not numbing"; the trend "is restorative"
    19: {M},  # "not artificial": dismisses a common concern
    20: {A, M},  # "The myth that" they "simply" mask symptoms; "a deeper truth"
    21: {A, C, OV, M, N},  # "They don’t override emotion"; "they restore"
    22: {A, C, OV, M, N},  # "They don’t impair memory"; "they repair"
    23: {A, M},  # "they don’t slow the mind"
    24: {M},  # "not emotional silencers": denies emotional blunting
    25: {OV},  # "rehabilitators", "healing"
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
    got = {n: {f.code.value for f in flags if f.severity == Severity.RISK} for n, flags in sample_flags().items()}
    assert got == EXPECTED


def test_it_stops_a_reviewer_at_every_risky_sample_claim_and_not_at_the_plain_ones() -> None:
    stop = {
        n
        for n, flags in sample_flags().items()
        if any(f.code != Code.NO_CITATION and f.severity == Severity.RISK for f in flags)
    }
    assert stop == set(range(1, 26)) - PLAIN


def test_it_raises_no_risk_flag_on_the_plain_sample_claims() -> None:
    flags = sample_flags()
    assert [f for n in PLAIN for f in flags[n] if f.severity == Severity.RISK] == []


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
