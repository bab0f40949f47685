"""The importer: plain text, Markdown and HTML -> title, sections, claims, citations.

Pure functions, no database: run with
    .venv/bin/python -m pytest tests/test_importing.py -p no:django -q
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from content.importing import (
    FORMATS,
    MAX_BYTES,
    ImportRejected,
    ParsedArticle,
    ParsedClaim,
    claim_count,
    decode,
    detect_format,
    normalise_claim_text,
    parse_article,
)

SAMPLE_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "sample-article.txt"
SAMPLE_TITLE = "Antidepressants Prime the Brain for Learning and Restoration"


def claims(article: ParsedArticle) -> list[ParsedClaim]:
    return [claim for section in article.sections for claim in section.claims]


def texts(article: ParsedArticle) -> list[str]:
    return [claim.text for claim in claims(article)]


def keys(claim: ParsedClaim) -> list[str]:
    return [citation.key for citation in claim.citations]


@pytest.fixture(scope="module")
def sample_text() -> str:
    return SAMPLE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sample(sample_text: str) -> ParsedArticle:
    return parse_article(sample_text, "text")


# --------------------------------------------------------------------------
# The sample article
# --------------------------------------------------------------------------


def test_it_finds_exactly_25_claims_in_the_sample(sample: ParsedArticle) -> None:
    assert claim_count(sample) == 25
    assert len(claims(sample)) == 25


def test_it_takes_the_title_from_the_first_heading(sample: ParsedArticle) -> None:
    assert sample.title == SAMPLE_TITLE


def test_it_makes_sections_from_headings(sample: ParsedArticle) -> None:
    assert [(s.heading, len(s.claims)) for s in sample.sections] == [
        ("", 1),
        ("Restoring Neural Health with BDNF", 4),
        ("Rewiring Rigid Patterns", 4),
        ("Cognitive and Functional Restoration", 5),
        ("Reclaiming Emotional and Sexual Function", 5),
        ("The Bottom Line", 6),
    ]


def test_it_puts_the_lead_paragraph_in_the_untitled_section(sample: ParsedArticle) -> None:
    lead = sample.sections[0]
    assert lead.heading == ""
    assert lead.claims[0].text.startswith("Antidepressants do far more than simply elevate mood—they prepare")


def test_it_keeps_a_lead_in_sentence_and_its_list_as_one_claim(sample: ParsedArticle) -> None:
    assert texts(sample)[1] == (
        "Most notably, SSRIs and SNRIs stimulate the expression of Brain-Derived Neurotrophic Factor (BDNF)"
        "—a protein critical for:\n"
        "- Dendritic branching\n"
        "- Synaptogenesis (creation of new synapses)\n"
        "- Neuronal survival"
    )


def test_it_keeps_every_list_with_its_lead_in(sample: ParsedArticle) -> None:
    list_claims = {i + 1: t.count("\n- ") for i, t in enumerate(texts(sample)) if "\n- " in t}
    assert list_claims == {2: 3, 7: 3, 10: 3, 14: 4, 17: 3}
    assert texts(sample)[13].startswith("Antidepressants contribute to recovery by:\n- Restoring information")


def test_it_joins_a_line_after_a_colon_into_the_same_claim(sample: ParsedArticle) -> None:
    assert texts(sample)[19] == (
        "The myth that antidepressants simply “mask symptoms” or create a false sense of well-being "
        "overlooks a deeper truth:\n"
        "Antidepressants initiate real, measurable, and necessary changes in the brain."
    )


def test_it_makes_one_claim_per_sentence(sample: ParsedArticle) -> None:
    all_texts = texts(sample)
    assert all_texts[11] == "These symptoms are not caused by antidepressants."
    assert all_texts[12] == "Rather, they are hallmarks of untreated depression."
    assert all_texts[3].endswith("not merely increasing serotonin or norepinephrine levels.")
    assert all_texts[4].startswith("They’re actively fostering neuronal growth")
    assert all_texts[23] == "Antidepressants are not emotional silencers."
    assert all_texts[24].startswith("They are cognitive and emotional rehabilitators—opening the door")


def test_it_attaches_a_standalone_citation_line_to_the_claim_above(sample: ParsedArticle) -> None:
    claim = claims(sample)[2]
    assert claim.text == (
        "BDNF is to the brain what sunlight and water are to plants—it helps regenerate what has withered "
        "under chronic stress and depression."
    )
    assert [(c.label, c.authors, c.year) for c in claim.citations] == [
        ("Chen et al., 2001", "Chen et al.", 2001),
        ("Duman & Monteggia, 2006", "Duman & Monteggia", 2006),
    ]
    assert keys(claim) == ["chen et al.|2001", "duman & monteggia|2006"]


def test_it_reads_a_narrative_citation(sample: ParsedArticle) -> None:
    claim = claims(sample)[5]
    assert claim.text.startswith("According to the REBUS model (Relaxed Beliefs Under Psychedelics)")
    assert [(c.label, c.authors, c.year, c.key) for c in claim.citations] == [
        ("Carhart-Harris & Friston (2020)", "Carhart-Harris & Friston", 2020, "carhart-harris & friston|2020"),
    ]


def test_it_attaches_no_citations_to_uncited_claims(sample: ParsedArticle) -> None:
    cited = [i + 1 for i, claim in enumerate(claims(sample)) if claim.citations]
    assert cited == [3, 6]


def test_it_lists_each_cited_work_once_in_first_cited_order(sample: ParsedArticle) -> None:
    assert [r.key for r in sample.references] == [
        "chen et al.|2001",
        "duman & monteggia|2006",
        "carhart-harris & friston|2020",
    ]


def test_it_drops_navigation_lines(sample: ParsedArticle) -> None:
    assert not any("Book Appointment" in t for t in texts(sample))
    assert "Book Appointment" not in [s.heading for s in sample.sections]


def test_it_drops_repeated_titles(sample: ParsedArticle) -> None:
    assert SAMPLE_TITLE not in [s.heading for s in sample.sections]
    assert not any(SAMPLE_TITLE in t for t in texts(sample))


def test_it_keeps_curly_quotes_em_dashes_and_apostrophes(sample: ParsedArticle) -> None:
    all_texts = texts(sample)
    assert "This opens a “critical window” of neuroplasticity—a period" in all_texts[7]
    assert all_texts[14] == "It’s a common myth that antidepressants cause emotional numbness or reduced libido."


def test_it_keeps_claim_text_verbatim_from_the_input(sample: ParsedArticle, sample_text: str) -> None:
    for text in texts(sample):
        lead_line = text.split("\n- ")[0]  # list items are re-marked as "- item"
        assert lead_line in sample_text


def test_it_uses_a_given_title(sample_text: str) -> None:
    article = parse_article(sample_text, "text", title="My own title")
    assert article.title == "My own title"
    assert claim_count(article) == 25


def test_it_gives_the_same_result_when_given_the_same_title(sample: ParsedArticle, sample_text: str) -> None:
    assert parse_article(sample_text, "text", title=SAMPLE_TITLE) == sample


# --------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------

MARKDOWN = """\
# Sleep and the Brain

Sleep is an active process [1]. Deep sleep clears metabolic waste from the brain [2,3].

## Why Deep Sleep Matters

Deep sleep supports several functions:

* Memory consolidation
* Hormone regulation
+ Immune repair

Adults need 7 to 9 hours of sleep [4-6]. Teenagers need even more [4–5].

Memory Across the Lifespan
--------------------------

Older adults lose slow-wave sleep first (Mander et al., 2017a; Walker and Stickgold 2006).

Three habits help:

1. Keep a regular schedule
2. Avoid caffeine after noon
3) Dim the lights at night

Naps cannot fully replace night sleep [9].

## References

1. Walker MP. The role of sleep in cognition and emotion. Ann N Y Acad Sci. 2009;1156:168-197.
   doi:10.1111/j.1749-6632.2009.04416.x.
2. Xie L, Kang H, Xu Q, et al. Sleep drives metabolite clearance from the adult brain. Science.
   2013;342(6156):373-377. PMID: 24136970.
3. Chen B, Dowlatshahi D, MacQueen GM, Wang JF, Young LT. Increased hippocampal BDNF immunoreactivity.
   Biol Psychiatry. 2001;50(4):260-265. doi:10.1016/s0006-3223(01)01083-6.
4. Hirshkowitz, M., Whiton, K., & Albert, S. M. (2015). National Sleep Foundation's sleep time duration
   recommendations: methodology and results summary. Sleep Health, 1(1), 40–43.
   https://doi.org/10.1016/j.sleh.2014.12.010
5. Watson NF, Badr MS, Belenky G, et al. Recommended amount of sleep for a healthy adult. Sleep. 2015;38(6):843-844.
6. Centers for Disease Control and Prevention. How much sleep do I need? 2022. https://www.cdc.gov/sleep/about/index.html
7. Walker MP, Stickgold R. Sleep, memory, and plasticity. Annu Rev Psychol. 2006;57:139-166.
   doi:10.1146/annurev.psych.56.091103.070307.
"""


@pytest.fixture(scope="module")
def markdown() -> ParsedArticle:
    return parse_article(MARKDOWN, "markdown")


def test_it_reads_atx_and_setext_markdown_headings(markdown: ParsedArticle) -> None:
    assert markdown.title == "Sleep and the Brain"
    assert [s.heading for s in markdown.sections] == ["", "Why Deep Sleep Matters", "Memory Across the Lifespan"]


def test_it_normalises_markdown_list_markers(markdown: ParsedArticle) -> None:
    all_texts = texts(markdown)
    assert "Deep sleep supports several functions:\n- Memory consolidation\n- Hormone regulation\n- Immune repair" in (
        all_texts
    )
    assert (
        "Three habits help:\n- Keep a regular schedule\n- Avoid caffeine after noon\n- Dim the lights at night"
        in all_texts
    )


def test_it_keeps_the_reference_list_out_of_the_claims(markdown: ParsedArticle) -> None:
    assert claim_count(markdown) == 8
    assert not any("Psychiatry" in t or "doi" in t for t in texts(markdown))
    assert "References" not in [s.heading for s in markdown.sections]


def test_it_resolves_numeric_citations_to_the_reference_list(markdown: ParsedArticle) -> None:
    first = claims(markdown)[0]
    assert first.text == "Sleep is an active process [1]."
    [citation] = first.citations
    assert citation.label == "[1]"
    assert citation.key == "doi:10.1111/j.1749-6632.2009.04416.x"
    assert (citation.authors, citation.year) == ("Walker MP", 2009)
    assert citation.title == "The role of sleep in cognition and emotion"


def test_it_splits_comma_separated_numeric_citations(markdown: ParsedArticle) -> None:
    second = claims(markdown)[1]
    assert [c.label for c in second.citations] == ["[2]", "[3]"]
    assert keys(second) == ["pmid:24136970", "doi:10.1016/s0006-3223(01)01083-6"]


def test_it_expands_numeric_citation_ranges_with_hyphens_and_en_dashes(markdown: ParsedArticle) -> None:
    adults, teenagers = claims(markdown)[3], claims(markdown)[4]
    assert [c.label for c in adults.citations] == ["[4]", "[5]", "[6]"]
    assert [c.label for c in teenagers.citations] == ["[4]", "[5]"]


def test_it_keeps_an_unresolved_numeric_citation(markdown: ParsedArticle) -> None:
    naps = claims(markdown)[-1]
    assert naps.text == "Naps cannot fully replace night sleep [9]."
    [citation] = naps.citations
    assert (citation.label, citation.authors, citation.year, citation.key) == ("[9]", "", None, "unresolved-ref-9")


def test_it_reads_several_parenthetical_citations_with_year_suffixes(markdown: ParsedArticle) -> None:
    older = claims(markdown)[5]
    assert [(c.label, c.authors, c.year) for c in older.citations] == [
        ("Mander et al., 2017a", "Mander et al.", 2017),
        ("Walker and Stickgold 2006", "Walker and Stickgold", 2006),
    ]
    assert older.citations[0].key == "mander et al.|2017a"


def test_it_matches_an_author_year_citation_to_its_reference_entry(markdown: ParsedArticle) -> None:
    walker = claims(markdown)[5].citations[1]
    assert walker.key == "doi:10.1146/annurev.psych.56.091103.070307"
    assert walker.title == "Sleep, memory, and plasticity"


def test_it_parses_doi_pmid_url_authors_year_and_title_of_reference_entries(markdown: ParsedArticle) -> None:
    refs = {r.label: r for r in markdown.references if r.label.startswith("[")}
    assert refs["[2]"].pmid == "24136970"
    assert refs["[2]"].doi == ""
    assert refs["[3]"].doi == "10.1016/s0006-3223(01)01083-6"  # brackets kept, final full stop dropped
    assert refs["[4]"].doi == "10.1016/j.sleh.2014.12.010"
    assert refs["[4]"].url == "https://doi.org/10.1016/j.sleh.2014.12.010"
    assert (refs["[4]"].authors, refs["[4]"].year) == ("Hirshkowitz, M., Whiton, K., & Albert, S. M.", 2015)
    assert refs["[4]"].title.startswith("National Sleep Foundation's sleep time duration recommendations")
    assert refs["[6]"].url == "https://www.cdc.gov/sleep/about/index.html"
    assert refs["[6]"].title == "How much sleep do I need?"


def test_it_keys_a_reference_without_doi_or_pmid_by_authors_and_year(markdown: ParsedArticle) -> None:
    refs = {r.label: r for r in markdown.references}
    assert refs["[5]"].key == "watson et al.|2015"
    assert refs["[6]"].key == "centers for disease control & prevention|2022"


def test_it_lists_cited_works_first_then_uncited_reference_entries(markdown: ParsedArticle) -> None:
    labels = [r.label for r in markdown.references]
    assert labels == [
        "[1]",
        "[2]",
        "[3]",
        "[4]",
        "[5]",
        "[6]",
        "Mander et al., 2017a",
        "Walker and Stickgold 2006",
        "[9]",
    ]
    assert len({r.key for r in markdown.references}) == len(labels)


def test_it_gives_one_key_to_one_work_cited_in_different_styles() -> None:
    author_year = parse_article("Growth factors rise with treatment (Chen et al., 2001).")
    numbered = parse_article(
        "Growth factors rise with treatment [1].\n\nReferences\n\n"
        "[1] Chen B, Dowlatshahi D, MacQueen GM. Increased hippocampal BDNF. Biol Psychiatry. 2001;50:260-5.\n"
    )
    assert keys(claims(author_year)[0]) == keys(claims(numbered)[0]) == ["chen et al.|2001"]


def test_it_reads_a_plain_sources_list_under_a_colon_heading() -> None:
    article = parse_article(
        "Walking lowers blood pressure [1].\n\nSources:\n"
        "[1] Smith J. Walking and blood pressure. BMJ. 2019. PMID 123456\n"
    )
    assert claim_count(article) == 1
    assert keys(claims(article)[0]) == ["pmid:123456"]


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------

HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Sleep and Memory Consolidation | Example Clinic</title>
  <script>window.dataLayer = ["tracking script must vanish"];</script>
  <style>.banner { color: red; }</style>
</head>
<body>
  <header class="site-header">
    <a class="logo" href="/">Example Clinic</a>
    <nav><ul>
      <li><a href="/">Home</a></li><li><a href="/services">Our services</a></li>
      <li><a href="/book">Book Appointment</a></li><li><a href="/contact">Contact us</a></li>
    </ul></nav>
  </header>
  <div id="cookie-banner" class="cookie-consent">
    We use cookies to personalise your visit. <button>Accept cookies</button>
  </div>
  <main>
    <article>
      <h1>Sleep and Memory Consolidation</h1>
      <p>Sleep is not a passive state—during deep sleep the brain actively replays the day’s experiences
         and strengthens the connections that encode them [1].</p>
      <h2>What Happens During Slow-Wave Sleep</h2>
      <p>During slow-wave sleep, the hippocampus and neocortex exchange information in coordinated bursts [2,3].
         This dialogue is thought to move memories from short-term to long-term storage (Walker &amp; Stickgold,
         2006).</p>
      <p>Researchers have identified several processes that support consolidation:</p>
      <ul>
        <li>Sleep spindles that gate information transfer</li>
        <li>Sharp-wave ripples in the hippocampus</li>
        <li>Slow oscillations that synchronise the cortex</li>
      </ul>
      <h2>Practical Advice</h2>
      <p>Adults who sleep fewer than six hours a night show measurable deficits in learning and attention.
         Dr. Smith et al. (2019) found that a consistent schedule improved recall by approx. 20% in older adults.</p>
      <h2>References</h2>
      <ol>
        <li>Diekelmann S, Born J. The memory function of sleep. Nat Rev Neurosci. 2010;11(2):114-126.
            doi:10.1038/nrn2762. PMID: 20046194.</li>
        <li>Walker MP, Stickgold R. Sleep, memory, and plasticity. Annu Rev Psychol. 2006;57:139-166.
            doi:10.1146/annurev.psych.56.091103.070307.</li>
        <li>Rasch B, Born J. About sleep's role in memory. Physiol Rev. 2013;93(2):681-766. PMID: 23589831.</li>
      </ol>
    </article>
  </main>
  <aside class="related"><h3>Related articles</h3><ul><li><a href="/a">Ten tips for better naps</a></li></ul></aside>
  <footer>
    <p>© 2024 Example Clinic. All rights reserved.</p>
    <a href="/privacy">Privacy policy</a> · <a href="/share">Share this article</a>
  </footer>
  <script>console.log("footer script must vanish");</script>
</body>
</html>
"""


@pytest.fixture(scope="module")
def html() -> ParsedArticle:
    return parse_article(HTML, "html")


def test_it_extracts_the_article_from_an_html_page(html: ParsedArticle) -> None:
    assert html.title == "Sleep and Memory Consolidation"
    assert [s.heading for s in html.sections] == ["", "What Happens During Slow-Wave Sleep", "Practical Advice"]
    assert texts(html)[0].startswith("Sleep is not a passive state—during deep sleep the brain actively replays")
    assert (
        "Researchers have identified several processes that support consolidation:\n"
        "- Sleep spindles that gate information transfer\n"
        "- Sharp-wave ripples in the hippocampus\n"
        "- Slow oscillations that synchronise the cortex"
    ) in texts(html)
    assert claim_count(html) == 6


def test_it_drops_html_navigation_cookie_banner_footer_and_scripts(html: ParsedArticle) -> None:
    everything = "\n".join([html.title, *[s.heading for s in html.sections], *texts(html)])
    for boilerplate in (
        "Home",
        "Our services",
        "Book Appointment",
        "Contact us",
        "cookies",
        "All rights reserved",
        "Privacy policy",
        "Share this article",
        "script must vanish",
        "Related articles",
        "Ten tips",
        "color: red",
    ):
        assert boilerplate not in everything


def test_it_resolves_citations_in_an_html_page(html: ParsedArticle) -> None:
    all_claims = claims(html)
    assert keys(all_claims[0]) == ["doi:10.1038/nrn2762"]
    assert [c.label for c in all_claims[1].citations] == ["[2]", "[3]"]
    assert keys(all_claims[2]) == ["doi:10.1146/annurev.psych.56.091103.070307"]
    assert [c.label for c in all_claims[5].citations] == ["Smith et al. (2019)"]


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><title>Empty</title></head><body></body></html>",
        "<html><body><script>var article = 'not text';</script></body></html>",
        "<html><head><title>Menu only</title></head><body><nav>Home</nav></body></html>",
    ],
)
def test_it_rejects_an_html_page_without_article_text(page: str) -> None:
    with pytest.raises(ImportRejected, match=r"^No article text found in the HTML page\.$"):
        parse_article(page, "html")


# --------------------------------------------------------------------------
# Sentences and abbreviations
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Smith et al. Found a larger effect in 2019.",
        "Some drugs, e.g. Sertraline, act within weeks.",
        "Side effects fade, i.e. Within a month for most people.",
        "Fatigue, insomnia, etc. are common early on.",
        "Dr. Jones and Prof. Lee reviewed the data with Mr. Park, Mrs. Kim and Ms. Chan.",
        "The dose was 2.5 mg at first and 7.5 mg later.",
        "The trial by J. Smith and A. B. Jones was small.",
        "Results in the U.S. Were similar to those in Europe.",
        "Placebo vs. Active drug showed no difference (see Fig. 2 and No. 3 in the appendix).",
        "Patients on St. John’s wort improved by approx. 10% in the trial.",
        "The effect was small (cf. Table 2. Results were similar elsewhere) but consistent.",
    ],
)
def test_it_does_not_split_on_abbreviations_decimals_initials_or_inside_brackets(sentence: str) -> None:
    assert texts(parse_article(sentence)) == [sentence]


def test_it_splits_after_closing_quotes_and_brackets() -> None:
    text = "He called it “a reset.” Then he left. She said (quietly.) It worked! Did it? “Yes.”"
    assert texts(parse_article(text)) == [
        "He called it “a reset.”",
        "Then he left.",
        "She said (quietly.)",
        "It worked!",
        "Did it?",
        "“Yes.”",
    ]


def test_it_keeps_an_inline_citation_after_the_full_stop_with_its_sentence() -> None:
    article = parse_article("Exercise lifts mood. (Smith, 2019) It also improves sleep.")
    assert texts(article) == ["Exercise lifts mood. (Smith, 2019)", "It also improves sleep."]
    assert keys(claims(article)[0]) == ["smith|2019"]
    assert claims(article)[1].citations == ()


def test_it_does_not_split_before_a_lowercase_word() -> None:
    assert texts(parse_article("The dose was 10 mg. twice daily for most adults.")) == [
        "The dose was 10 mg. twice daily for most adults."
    ]


def test_it_treats_parentheses_without_a_year_as_text_not_citations() -> None:
    article = parse_article("Brain-derived neurotrophic factor (BDNF) supports neurons (in animal studies).")
    assert claims(article)[0].citations == ()


@pytest.mark.parametrize("text", ["Cases peaked (In 2019) and fell.", "Cases peaked (March 2020) and fell."])
def test_it_does_not_mistake_dates_in_parentheses_for_citations(text: str) -> None:
    assert claims(parse_article(text))[0].citations == ()


@pytest.mark.parametrize(
    "sentence",
    [
        "The trial ran from Feb. 23, 2015 until Sept. 4, 2016 in two clinics.",
        "Both reports appear in the March issue on Dec. 1.",
        "The work was led by Drs. Alvarez and Brown of the regional hospital.",
        "Grace Obi, M.D., Ph.D., led the clinic in Tampa with a colleague.",
        "The U.K. Medicines agency and the U.S. Food and Drug Administration agreed.",
        "Doses were taken at 8 a.m. and 6 p.m. ET on each day of the trial.",
        "Larger trials, i.e. those with over 500 people, found nothing vs. placebo.",
        "The worm T. muris lives in the gut of most laboratory mice.",
    ],
)
def test_it_keeps_sentences_with_abbreviations_from_the_wild_whole(sentence: str) -> None:
    assert texts(parse_article(sentence)) == [sentence]


def test_it_splits_after_an_abbreviation_that_also_ends_the_sentence() -> None:
    text = "The trial enrolled people with relapsing MS. They were followed for two years."
    assert texts(parse_article(text)) == [
        "The trial enrolled people with relapsing MS.",
        "They were followed for two years.",
    ]


def test_it_splits_after_a_degree_when_a_new_sentence_starts_with_a_title() -> None:
    text = "The authors include Ana Ruiz, M.D., Ph.D. Dr. Ruiz now works in Leeds."
    assert texts(parse_article(text)) == ["The authors include Ana Ruiz, M.D., Ph.D.", "Dr. Ruiz now works in Leeds."]


def test_it_splits_after_a_time_when_a_new_sentence_starts() -> None:
    text = "Lines open at 9 a.m. Callers should give their name."
    assert texts(parse_article(text)) == ["Lines open at 9 a.m.", "Callers should give their name."]


def test_it_splits_after_a_country_abbreviation_before_a_pronoun() -> None:
    text = "The drug is sold in the U.S. It is not sold in Canada."
    assert texts(parse_article(text)) == ["The drug is sold in the U.S.", "It is not sold in Canada."]


def test_it_does_not_let_an_unclosed_parenthesis_swallow_the_next_sentences() -> None:
    text = "Most patients (about two thirds improved. A few got worse. None (0%) stopped."
    assert texts(parse_article(text)) == [
        "Most patients (about two thirds improved.",
        "A few got worse.",
        "None (0%) stopped.",
    ]


def test_it_does_not_let_a_bracket_closed_by_the_wrong_kind_join_sentences() -> None:
    text = "It was funded by a grant (number 12345]. The authors declare no conflicts."
    assert texts(parse_article(text)) == [
        "It was funded by a grant (number 12345].",
        "The authors declare no conflicts.",
    ]


def test_it_makes_a_parenthesised_full_sentence_its_own_claim() -> None:
    text = "The genes were found in 1991. (The finding later won a prize.) Work went on."
    assert texts(parse_article(text)) == [
        "The genes were found in 1991.",
        "(The finding later won a prize.)",
        "Work went on.",
    ]


def test_it_keeps_a_parenthesised_aside_inside_its_sentence() -> None:
    text = "The effect was small (the authors said so. Others agreed) but real. Next."
    assert texts(parse_article(text)) == [
        "The effect was small (the authors said so. Others agreed) but real.",
        "Next.",
    ]


# --------------------------------------------------------------------------
# Headings and boilerplate in plain text
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Book Appointment",
        "Share this article",
        "Skip to content",
        "Read more",
        "Subscribe",
        "Contact us",
        "Menu",
        "Home",
        "Print",
        "Back to top",
        "Call now",
        "Sign up",
        "Log in",
        "Follow us",
        "Share on Facebook",
        "Tweet",
        "Cookie settings",
        "Accept cookies",
        "Related articles",
        "Make an appointment",
        "Request a consultation",
        "Table of contents",
        "Read more »",
    ],
)
def test_it_drops_navigation_and_call_to_action_lines(line: str) -> None:
    article = parse_article(f"Real Title\n\nFirst claim here.\n\n{line}\n\nSecond claim here.\n")
    assert texts(article) == ["First claim here.", "Second claim here."]
    assert [s.heading for s in article.sections] == [""]


@pytest.mark.parametrize(
    "heading",
    [
        "The Bottom Line",
        "Restoring Neural Health with BDNF",
        "Contact Dermatitis",
        "Reading Food Labels",
        "Calling All Parents",
    ],
)
def test_it_keeps_real_headings_that_resemble_navigation(heading: str) -> None:
    article = parse_article(f"Real Title\n\nFirst claim here.\n\n{heading}\n\nSecond claim here.\n")
    assert [s.heading for s in article.sections] == ["", heading]


def test_it_keeps_a_wrapped_line_that_starts_like_a_call_to_action() -> None:
    article = parse_article("Studies show that people who\nread more\nbooks sleep better.")
    assert texts(article) == ["Studies show that people who read more books sleep better."]


def test_it_does_not_take_a_long_or_punctuated_line_for_a_heading() -> None:
    article = parse_article(
        "Title\n\nThis single line has no full stop but is far too long to be any kind of heading at all\n\n"
        "Is this a question?\n"
    )
    assert [s.heading for s in article.sections] == [""]
    assert claim_count(article) == 2


def test_it_leaves_the_title_empty_when_the_text_starts_with_a_claim() -> None:
    article = parse_article("Walking helps.\n\nA Heading\n\nRunning helps too.")
    assert article.title == ""
    assert [(s.heading, len(s.claims)) for s in article.sections] == [("", 1), ("A Heading", 1)]


def test_it_drops_sections_without_claims() -> None:
    article = parse_article("Title\n\nEmpty Section\n\nFull Section\n\nA claim.")
    assert [s.heading for s in article.sections] == ["Full Section"]


def test_it_reads_windows_line_endings_like_unix_ones(sample: ParsedArticle, sample_text: str) -> None:
    assert parse_article(sample_text.replace("\n", "\r\n"), "text") == sample


def test_it_makes_each_item_of_a_list_without_lead_in_a_claim() -> None:
    article = parse_article("Title\n\n- Sleep helps memory.\n- Exercise lifts mood. It also aids sleep.\n")
    assert texts(article) == ["Sleep helps memory.", "Exercise lifts mood.", "It also aids sleep."]


def test_it_keeps_a_list_in_the_same_block_with_its_lead_in() -> None:
    article = parse_article("Benefits include:\n1) better sleep\n2) better mood\n\nThat is all.")
    assert texts(article) == ["Benefits include:\n- better sleep\n- better mood", "That is all."]


def test_it_attaches_a_citation_paragraph_to_the_last_claim_even_after_a_list() -> None:
    article = parse_article("Helps with:\n\n• sleep\n• mood\n\n(Smith & Jones, 2018)\n\nNext claim.")
    assert [keys(c) for c in claims(article)] == [["smith & jones|2018"], []]


@pytest.mark.parametrize(
    "heading",
    [
        "References",
        "References:",
        "**Sources**",
        "Bibliography",
        "Sources & further reading",
        "Notes and references",
        "## Works Cited",
    ],
)
def test_it_recognises_reference_list_headings(heading: str) -> None:
    article = parse_article(f"A claim [1].\n\n{heading}\n\n1. Smith J. A title. BMJ. 2019. PMID: 42\n", "markdown")
    assert texts(article) == ["A claim [1]."]
    assert keys(claims(article)[0]) == ["pmid:42"]


# --------------------------------------------------------------------------
# Titles and page furniture from real pages
# --------------------------------------------------------------------------


def page(head: str, body: str = "") -> str:
    paragraph = "<p>Regular walking lowers blood pressure in most adults who keep it up for a year or more.</p>"
    return f"<html><head>{head}</head><body>{body}<article>{paragraph * 4}</article></body></html>"


def test_it_takes_an_html_title_from_og_title() -> None:
    html = page('<title>Walking | Health Site</title><meta property="og:title" content="Walk More, Live Longer">')
    assert parse_article(html, "html").title == "Walk More, Live Longer"


@pytest.mark.parametrize("suffix", [" | Health Site", " - Health Site", " — Health Site | News"])
def test_it_drops_the_site_name_from_an_html_title(suffix: str) -> None:
    html = page(f"<title>Walking: What It Does for Your Heart{suffix}</title>", "<h1>Related reading</h1>")
    assert parse_article(html, "html").title == "Walking: What It Does for Your Heart"


def test_it_takes_the_h1_when_the_html_title_is_only_the_site_name() -> None:
    html = page('<title>Health Site</title><meta property="og:site_name" content="Health Site">', "<h1>Walk more</h1>")
    assert parse_article(html, "html").title == "Walk more"


def test_it_takes_a_long_first_line_with_a_colon_as_the_title_of_plain_text() -> None:
    title = "A Welsh translation of a sleep questionnaire: translation, reliability and validity in older adults"
    article = parse_article(f"{title}\n\nWe translated the questionnaire. It proved reliable.")
    assert article.title == title
    assert texts(article) == ["We translated the questionnaire.", "It proved reliable."]


def test_it_makes_a_short_question_on_its_own_line_a_section_heading() -> None:
    article = parse_article("Title\n\nWho should try which drug?\n\nMost people start with one drug.")
    assert [s.heading for s in article.sections] == ["Who should try which drug?"]


@pytest.mark.parametrize(
    "line",
    [
        "[Find a pharmacy near you](/pharmacies)",
        "[Home](/) | [Services](/services) | [Contact](/contact)",
        "Home | Conditions | Medicines | About us",
        "{.list--check}",
        "{: .callout}",
        "Last updated: 3 March 2025 · 6 min read",
        "By Jo Bloggs, MPH · Medically reviewed by Sam Smith, MD",
        "Published 12 May 2024",
        "Ana Ruiz, Ben Okafor, Chen Wei and Dana Fox",
        "1 Department of Nursing, University of Leeds, Leeds, UK",
    ],
)
def test_it_drops_furniture_lines_from_markdown(line: str) -> None:
    article = parse_article(f"# Walking\n\n{line}\n\nWalking lowers blood pressure.", "markdown")
    assert texts(article) == ["Walking lowers blood pressure."]


def test_it_keeps_a_link_inside_a_sentence() -> None:
    text = "# Walking\n\nSee [the guide](/guide) for a plan."
    assert texts(parse_article(text, "markdown")) == ["See [the guide](/guide) for a plan."]


def test_it_keeps_a_list_of_links_after_a_lead_in() -> None:
    text = "# Walking\n\nTreatments include:\n\n- [talking therapy](/cbt)\n- [exercise](/exercise)"
    assert texts(parse_article(text, "markdown")) == [
        "Treatments include:\n- [talking therapy](/cbt)\n- [exercise](/exercise)"
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Media Contact: Jo Bloggs, jo@example.org, 555-0100.",
        "MEDIA CONTACT: Jo Bloggs, Press Office, 555-0100",
        "Journalists: interviews with Dr. Lee are available on request.",
        "For photos and videos, visit the press room.",
        "Follow the hospital news team on Twitter.",
    ],
)
def test_it_drops_press_release_furniture(line: str) -> None:
    article = parse_article(f"Walking lowers blood pressure.\n\n{line}\n\nIt also helps sleep.")
    assert texts(article) == ["Walking lowers blood pressure.", "It also helps sleep."]


def test_it_drops_a_whole_notice_paragraph_to_the_press() -> None:
    text = "Wire — Note: A briefing will be held on Monday. Call 555-0100. The code is 1234.\n\nWalking helps."
    assert texts(parse_article(text)) == ["Walking helps."]


@pytest.mark.parametrize("label", ["**Summary**", "Key takeaways:", "**Bottom line:**"])
def test_it_makes_a_summary_label_a_heading_and_keeps_the_text_after_it(label: str) -> None:
    article = parse_article(f"# Walking\n\nWalking helps.\n\n{label}\n\nIt lowers blood pressure.", "markdown")
    assert texts(article) == ["Walking helps.", "It lowers blood pressure."]


def test_it_drops_a_summary_label_at_the_start_of_a_paragraph() -> None:
    article = parse_article("# Walking\n\n**Summary:** Walking lowers blood pressure.", "markdown")
    assert texts(article) == ["Walking lowers blood pressure."]


def test_it_keeps_a_sentence_that_starts_with_by() -> None:
    article = parse_article("By Tuesday Most patients had recovered.\n\nBy relaxing, people sleep better.")
    assert texts(article) == ["By Tuesday Most patients had recovered.", "By relaxing, people sleep better."]


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t\n  "])
def test_it_rejects_empty_text(text: str) -> None:
    with pytest.raises(ImportRejected, match=r"^The article is empty\.$"):
        parse_article(text)


def test_it_rejects_text_that_is_only_boilerplate() -> None:
    with pytest.raises(ImportRejected, match=r"^No claims found"):
        parse_article("Book Appointment\n\nShare this article\n\nMenu\n\nBack to top\n")


def test_it_rejects_text_that_is_only_a_title_and_headings() -> None:
    with pytest.raises(ImportRejected, match=r"^No claims found"):
        parse_article("# Title\n\n## Section\n\n## Another", "markdown")


def test_it_rejects_an_unknown_format() -> None:
    with pytest.raises(ImportRejected, match=r"^Unknown format 'pdf'"):
        parse_article("Some text.", "pdf")


def test_it_rejects_text_over_2_mb() -> None:
    text = "é" * (MAX_BYTES // 2 + 1)  # under 2 M characters, over 2 MB as UTF-8
    with pytest.raises(ImportRejected, match=rf"^Text is larger than 2 MB \({MAX_BYTES + 2} bytes\)\.$"):
        parse_article(text)


def test_it_rejects_a_file_over_2_mb() -> None:
    with pytest.raises(ImportRejected, match=rf"^File is larger than 2 MB \({MAX_BYTES + 1} bytes\)\.$"):
        decode(b"a" * (MAX_BYTES + 1))


def test_it_accepts_a_file_of_exactly_2_mb() -> None:
    assert len(decode(b"a" * MAX_BYTES)) == MAX_BYTES


def test_it_rejects_a_file_that_is_not_utf8() -> None:
    with pytest.raises(ImportRejected, match=r"^File is not UTF-8 text: invalid byte 0xe9 at position 3\.$"):
        decode("Café".encode("latin-1") + b" au lait")


def test_it_reports_the_bad_byte_position_in_the_file_as_uploaded() -> None:
    with pytest.raises(ImportRejected, match=r"invalid byte 0xff at position 5\.$"):
        decode(b"\xef\xbb\xbfab\xff")


def test_it_strips_a_utf8_bom() -> None:
    assert decode("\ufeffHello — “world”".encode()) == "Hello — “world”"


def test_it_rejects_binary_data_with_nul_bytes() -> None:
    with pytest.raises(ImportRejected, match=r"NUL"):
        decode(b"%PDF\x00\x01")


def test_it_raises_a_value_error_subclass() -> None:
    assert issubclass(ImportRejected, ValueError)


# --------------------------------------------------------------------------
# Formats and helpers
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("article.md", "markdown"),
        ("ARTICLE.MARKDOWN", "markdown"),
        ("page.html", "html"),
        ("page.HTM", "html"),
        ("notes.txt", "text"),
        ("C:\\Users\\me\\saved.htm", "html"),
    ],
)
def test_it_detects_the_format_from_the_file_extension(filename: str, expected: str) -> None:
    assert detect_format("# Looks like Markdown\n\n<p>and HTML</p>", filename) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!DOCTYPE html><html><body><p>Hi</p></body></html>", "html"),
        ("Intro\n<p>A paragraph.</p>", "html"),
        ("<BODY>Shouting</BODY>", "html"),
        ("# Title\n\nText.", "markdown"),
        ("Intro:\n- one\n- two", "markdown"),
        ("A claim [1].", "markdown"),
        ("Plain words.\n\n• a bullet", "text"),
        ("Compare a < b and b > c.", "text"),
    ],
)
def test_it_sniffs_the_format_without_a_known_extension(text: str, expected: str) -> None:
    assert detect_format(text, "upload.bin") == expected
    assert detect_format(text) == expected


def test_it_sniffs_the_sample_as_plain_text(sample_text: str) -> None:
    assert detect_format(sample_text) == "text"


def test_it_offers_exactly_three_formats() -> None:
    assert FORMATS == ("text", "markdown", "html")


def test_it_normalises_claim_text_for_matching() -> None:
    assert (
        normalise_claim_text("  It’s  “Real”\nNews.  ")
        == normalise_claim_text('it\'s "real" news')
        == ('it\'s "real" news')
    )


def test_it_counts_claims() -> None:
    assert claim_count(parse_article("One. Two.\n\nHeading\n\nThree.")) == 3


# --------------------------------------------------------------------------
# Property: claim text is never rewritten
# --------------------------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéñüßøÅçЖ"
WORD = st.text(alphabet=LETTERS + "0123456789’“”—,;", min_size=1, max_size=8)
SENTENCE = st.builds(
    lambda first, rest, end: " ".join([first, *rest]) + end,
    st.text(alphabet=LETTERS, min_size=1, max_size=8),
    st.lists(WORD, max_size=12),
    st.sampled_from([".", "!", "?", ".”", "?’"]),
)


def is_subsequence(needle: str, haystack: str) -> bool:
    remaining = iter(haystack)
    return all(char in remaining for char in needle)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.tuples(SENTENCE, st.sampled_from([" ", "\n", "\n\n", "  \n"])), min_size=1, max_size=15))
def test_it_round_trips_the_characters_of_any_sentences(parts: list[tuple[str, str]]) -> None:
    text = "".join(sentence + separator for sentence, separator in parts)
    article = parse_article(text)
    source = "".join(text.split())
    # A short question on its own line may become the title or a section heading: text kept all the same.
    # A line repeating the title is dropped by design, so such inputs say nothing here.
    title_key = normalise_claim_text(article.title)
    assume(not title_key or [normalise_claim_text(sentence) for sentence, _ in parts].count(title_key) <= 1)
    kept = [article.title] if article.title else []
    for section in article.sections:
        kept.extend([section.heading] if section.heading else [])
        kept.extend(claim.text for claim in section.claims)
    claimed = ["".join(part.split()) for part in kept]
    for claim in claimed:
        assert claim and is_subsequence(claim, source)
    assert is_subsequence("".join(claimed), source)
    assert "".join(claimed) == source  # nothing dropped either: every sentence lands in a claim


NOISY = st.text(alphabet=LETTERS + "0123456789 \n\t.,;:!?()[]{}#*-+_>•–—“”’'\"&\\/=|%", max_size=300)


@settings(max_examples=300, deadline=None, database=None)
@given(NOISY, st.sampled_from(["text", "markdown"]))
def test_it_either_parses_or_rejects_any_text(text: str, fmt: str) -> None:
    try:
        article = parse_article(text, fmt)
    except ImportRejected as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert claim_count(article) > 0
    assert all(claim.text == claim.text.strip() and claim.text for claim in claims(article))
    cited_keys = {r.key for r in article.references}
    assert all(key in cited_keys for claim in claims(article) for key in keys(claim))


# --------------------------------------------------------------------------
# Citations from real articles
# --------------------------------------------------------------------------

NUMBERED_PARENS = (
    "Walking lowers blood pressure (1). It also helps sleep (2, 3). "
    "Running helps more (3-5). Swimming is gentle on joints (4)."
)


def test_it_reads_numbered_citations_in_parentheses_when_the_article_cites_that_way() -> None:
    article = parse_article(NUMBERED_PARENS)
    assert [[c.label for c in claim.citations] for claim in claims(article)] == [
        ["(1)"],
        ["(2)", "(3)"],
        ["(3)", "(4)", "(5)"],
        ["(4)"],
    ]


def test_it_marks_a_numbered_citation_without_a_list_entry_unresolved() -> None:
    article = parse_article(NUMBERED_PARENS)
    assert not claims(article)[0].citations[0].resolved


def test_it_resolves_numbered_citations_in_parentheses_against_the_list() -> None:
    text = "Walking helps (1).\n\nReferences\n\n1. Smith J. Walking and health. BMJ. 2019;1:2."
    citation = claims(parse_article(text))[0].citations[0]
    assert (citation.year, citation.resolved) == (2019, True)


def test_it_does_not_take_a_single_number_in_parentheses_for_a_citation() -> None:
    assert claims(parse_article("Patients in group (2) improved."))[0].citations == ()


def test_it_does_not_take_numbered_answer_options_for_citations() -> None:
    text = "Answers were never (0), sometimes (1) or often (2).\n\nReferences\n\n1. Smith J. A. BMJ. 2019;1:2."
    assert claims(parse_article(text))[0].citations == ()


def test_it_attaches_a_doi_line_to_the_claim_before_it() -> None:
    article = parse_article("Walking lowers blood pressure.\ndoi:10.1234/walk.2019.5\n\nIt also helps sleep.")
    assert texts(article) == ["Walking lowers blood pressure.", "It also helps sleep."]
    assert [c.doi for c in claims(article)[0].citations] == ["10.1234/walk.2019.5"]


def test_it_attaches_an_available_at_line_to_the_claim_before_it() -> None:
    article = parse_article("Walking lowers blood pressure.\nAvailable at: https://example.org/walking\n")
    assert texts(article) == ["Walking lowers blood pressure."]
    assert [c.url for c in claims(article)[0].citations] == ["https://example.org/walking"]


def test_it_does_not_take_a_place_and_a_year_for_an_author_citation() -> None:
    assert claims(parse_article("Cases rose in England (2009) and fell later."))[0].citations == ()


def test_it_reads_a_narrative_citation_with_co_workers() -> None:
    article = parse_article("Okafor and co-workers (2007) found a larger effect.")
    assert [(c.year, c.key) for c in claims(article)[0].citations] == [(2007, "okafor et al.|2007")]


def test_it_marks_an_author_year_citation_missing_from_the_list_unresolved() -> None:
    text = (
        "Walking helps (Smith, 2019). Running helps (Lee, 2020).\n\nReferences\n\n1. Smith J. Walking. BMJ. 2019;1:2."
    )
    first, second = claims(parse_article(text))
    assert [c.resolved for c in first.citations + second.citations] == [True, False]


def test_it_takes_the_publication_year_of_a_reference_not_a_year_in_its_title() -> None:
    text = "Cancer rates fell [1].\n\nReferences\n\n1. Lee A. Cancer in the UK in 2010. Br J Cancer 2011;104:1-2."
    assert claims(parse_article(text, "markdown"))[0].citations[0].year == 2011


def test_it_makes_a_source_line_a_reference_not_a_claim() -> None:
    text = "The study was published in the journal Sleep.\n\nSource: Lee A, Park B. Naps and memory. Sleep. 2016."
    article = parse_article(text)
    assert texts(article) == ["The study was published in the journal Sleep."]
    assert [r.year for r in article.references] == [2016]
    assert claims(article)[0].citations == article.references
