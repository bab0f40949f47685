"""content.actions.import_article: parse, then store in one transaction; re-import makes versions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from content.actions import import_article
from content.exceptions import NotAllowed
from content.importing import MAX_BYTES, ImportRejected
from content.models import Article, Claim, ClaimStatus, ClaimVersion, Reference, Section
from tests.conftest import first_claim, import_text, numbered_text, sample_text

pytestmark = pytest.mark.django_db

ORIGINAL = """Hydration and health

Water makes up about 60 percent of an adult's body weight (Popkin, 2010).

Mild dehydration can impair attention and short-term memory (Adan, 2012).

Thirst is a reliable guide to fluid needs for most healthy adults.

Older adults feel thirst less strongly and may need reminders to drink.

Coffee and tea count towards daily fluid intake (Killer, 2014).
"""

# One sentence changed (the second), one added (after the third), one removed (the last).
CHANGED = """Hydration and health

Water makes up about 60 percent of an adult's body weight (Popkin, 2010).

Even mild dehydration can impair attention, mood and short-term memory (Adan, 2012).

Thirst is a reliable guide to fluid needs for most healthy adults.

Athletes in hot weather should plan their drinking before they feel thirsty.

Older adults feel thirst less strongly and may need reminders to drink.
"""


def live_texts(article: Article) -> list[str]:
    return list(article.claims.live().order_by("position").values_list("text", flat=True))


def counts() -> tuple[int, int, int, int, int]:
    return (
        Article.objects.count(),
        Section.objects.count(),
        Claim.objects.count(),
        ClaimVersion.objects.count(),
        Reference.objects.count(),
    )


# --- a first import ----------------------------------------------------------------------------------------------


def test_it_stores_claims_in_article_order(author: User) -> None:
    article = import_text(author, ORIGINAL)
    assert live_texts(article)[0] == "Water makes up about 60 percent of an adult's body weight (Popkin, 2010)."


def test_it_numbers_claims_from_one(author: User) -> None:
    article = import_text(author, ORIGINAL)
    assert list(article.claims.order_by("position").values_list("position", flat=True)) == [1, 2, 3, 4, 5]


def test_it_reports_the_claim_count(author: User) -> None:
    result = import_article(text=ORIGINAL, fmt="text", author=author)
    assert (result.claim_count, result.created) == (5, 5)


def test_it_keeps_the_source_text_and_format(author: User) -> None:
    article = import_text(author, ORIGINAL)
    assert (article.source_text, article.format, article.owner) == (ORIGINAL, "text", author)


def test_it_uses_the_articles_own_title(author: User) -> None:
    assert import_text(author, ORIGINAL).title == "Hydration and health"


def test_it_prefers_a_given_title(author: User) -> None:
    assert import_text(author, ORIGINAL, title="Drinking enough").title == "Drinking enough"


def test_it_gives_each_article_its_own_slug(author: User) -> None:
    first, second = import_text(author, ORIGINAL), import_text(author, ORIGINAL, force=True)
    assert (first.slug, second.slug) == ("hydration-and-health", "hydration-and-health-2")


def test_it_makes_sections_from_headings(author: User) -> None:
    article = import_text(author, sample_text())
    assert "Restoring Neural Health with BDNF" in list(article.sections.values_list("heading", flat=True))


def test_it_links_claims_to_their_references(author: User) -> None:
    article = import_text(author, ORIGINAL)
    assert first_claim(article).citation_keys() == ["popkin|2010"]


def test_it_imports_markdown(author: User) -> None:
    article = import_text(
        author, "# Sleep\n\n## Why\n\nSleep helps memory [1].\n\n## References\n\n1. Walker M. 2017.\n", "markdown"
    )
    assert (article.title, live_texts(article)) == ("Sleep", ["Sleep helps memory [1]."])


def test_it_imports_a_saved_web_page(author: User) -> None:
    page = (
        "<html><head><title>Sleep facts</title></head><body><nav>Home | About</nav><article>"
        "<h1>Sleep facts</h1><p>Adults need seven to nine hours of sleep each night. "
        "Teenagers need more sleep than adults.</p></article></body></html>"
    )
    assert live_texts(import_text(author, page, "html")) == [
        "Adults need seven to nine hours of sleep each night.",
        "Teenagers need more sleep than adults.",
    ]


def test_it_attributes_the_import_in_history(author: User) -> None:
    claim = first_claim(import_text(author, ORIGINAL))
    record = claim.history.earliest("history_date")
    assert (record.history_user, record.history_change_reason) == (author, "Imported")


def test_it_numbers_new_claims_when_it_creates_them(author: User) -> None:
    article = import_text(author, ORIGINAL)
    reasons = Claim.history.filter(article_id=article.pk).values_list("history_change_reason", flat=True)
    assert set(reasons) == {"Imported"}


# --- bad input: nothing is written -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n  ",
        "Home\nMenu\nBook Appointment\nShare this\n",
        "Water\n\nWater is good\x00 for you. Drink more.",
        "Water\n\nWater is good for you \ud800. Drink more.",
        "Water is good for you. " * (MAX_BYTES // 20),
    ],
    ids=["empty", "blank", "only-boilerplate", "nul-byte", "lone-surrogate", "over-2mb"],
)
def test_it_writes_nothing_for_bad_input(author: User, text: str) -> None:
    with pytest.raises(ImportRejected):
        import_article(text=text, fmt="text", author=author)
    assert counts() == (0, 0, 0, 0, 0)


def test_it_refuses_an_unknown_format(author: User) -> None:
    with pytest.raises(ImportRejected):
        import_article(text=ORIGINAL, fmt="docx", author=author)


def test_it_refuses_an_import_by_a_reviewer(reviewer: User) -> None:
    with pytest.raises(NotAllowed):
        import_article(text=ORIGINAL, fmt="text", author=reviewer)


def test_it_rolls_back_everything_when_a_re_import_fails_halfway(author: User) -> None:
    article = import_text(author, ORIGINAL)
    article.claims.order_by("position")[1].submit(by=author)  # frozen: its text is in review
    before = counts()
    with pytest.raises(ImportRejected):
        # The new reference and the changed first claim come before the frozen one.
        import_text(
            author,
            CHANGED.replace("(Popkin, 2010)", "(Jequier, 2010)").replace("Thirst is", "Thirst is usually"),
            article=article,
        )
    article.refresh_from_db()
    assert (counts(), article.source_text) == (before, ORIGINAL)


# --- re-import ---------------------------------------------------------------------------------------------------


@pytest.fixture
def reimported(author: User) -> Article:
    article = import_text(author, ORIGINAL)
    import_text(author, CHANGED, article=article)
    return article


def test_it_reports_what_a_re_import_did(author: User) -> None:
    article = import_text(author, ORIGINAL)
    result = import_article(text=CHANGED, fmt="text", author=author, article=article)
    assert (result.unchanged, result.revised, result.created, result.retired) == (3, 1, 1, 1)


def test_it_shows_the_new_text_in_order_after_a_re_import(reimported: Article) -> None:
    assert live_texts(reimported) == [
        "Water makes up about 60 percent of an adult's body weight (Popkin, 2010).",
        "Even mild dehydration can impair attention, mood and short-term memory (Adan, 2012).",
        "Thirst is a reliable guide to fluid needs for most healthy adults.",
        "Athletes in hot weather should plan their drinking before they feel thirsty.",
        "Older adults feel thirst less strongly and may need reminders to drink.",
    ]


def test_it_makes_a_new_version_of_a_changed_claim(reimported: Article) -> None:
    changed = reimported.claims.get(text__startswith="Even mild dehydration")
    assert list(changed.versions.values_list("version", "text")) == [
        (1, "Mild dehydration can impair attention and short-term memory (Adan, 2012)."),
        (2, "Even mild dehydration can impair attention, mood and short-term memory (Adan, 2012)."),
    ]


def test_it_keeps_unchanged_claims_at_their_version(reimported: Article) -> None:
    kept = reimported.claims.filter(text__startswith="Thirst is") | reimported.claims.filter(text__startswith="Water")
    assert sorted(kept.values_list("version", flat=True)) == [1, 1]


def test_it_creates_an_added_claim(reimported: Article) -> None:
    added = reimported.claims.get(text__startswith="Athletes")
    assert (added.version, added.status) == (1, ClaimStatus.DRAFT)


def test_it_retires_a_removed_claim(reimported: Article) -> None:
    removed = reimported.claims.get(text__startswith="Coffee")
    assert removed.status == ClaimStatus.RETIRED


def test_it_never_duplicates_claims_on_re_import(reimported: Article) -> None:
    assert reimported.claims.count() == 6  # five live + the retired one; nothing twice


def test_it_changes_nothing_when_re_importing_the_same_text(author: User) -> None:
    article = import_text(author, ORIGINAL)
    before = counts()
    result = import_article(text=ORIGINAL, fmt="text", author=author, article=article)
    assert (result.unchanged, counts()[2:4]) == (5, before[2:4])


def test_it_treats_a_replaced_sentence_as_a_new_claim(author: User) -> None:
    article = import_text(author, ORIGINAL)
    old = article.claims.get(text__startswith="Thirst is")
    text = ORIGINAL.replace(
        "Thirst is a reliable guide to fluid needs for most healthy adults.",
        "Sparkling water hydrates as well as still water.",
    )
    import_text(author, text, article=article)
    old.refresh_from_db()
    assert (old.status, old.version, article.claims.get(text__startswith="Sparkling").version) == (
        ClaimStatus.RETIRED,
        1,
        1,
    )


def test_it_revises_a_changed_sentence_next_to_a_new_one(author: User) -> None:
    article = import_text(author, ORIGINAL)
    text = ORIGINAL.replace(
        "Thirst is a reliable guide to fluid needs for most healthy adults.",
        "Sparkling water hydrates as well as still water.\n\n"
        "Thirst is a reliable guide to fluid needs for most healthy adults and children.",
    )
    import_text(author, text, article=article)
    revised = article.claims.get(text__startswith="Thirst is")
    assert (revised.version, article.claims.get(text__startswith="Sparkling").version) == (2, 1)


def test_it_revises_a_claim_whose_citation_changed(author: User) -> None:
    article = import_text(author, ORIGINAL)
    import_text(author, ORIGINAL.replace("(Popkin, 2010)", "(Jequier, 2010)"), article=article)
    claim = first_claim(article)
    assert (claim.version, claim.citation_keys()) == (2, ["jequier|2010"])


def test_it_sends_an_approved_claim_back_to_draft_when_its_text_changes(author: User) -> None:
    article = import_text(author, ORIGINAL)
    claim = article.claims.get(text__startswith="Mild dehydration")
    claim.status, claim.approved_version = ClaimStatus.APPROVED, 1
    claim.save()
    import_text(author, CHANGED, article=article)
    claim.refresh_from_db()
    assert (claim.status, claim.version) == (ClaimStatus.DRAFT, 2)


def test_it_keeps_claims_in_review_when_their_text_is_unchanged(author: User) -> None:
    article = import_text(author, ORIGINAL)
    in_review = first_claim(article)
    in_review.submit(by=author)
    import_text(author, CHANGED, article=article)
    in_review.refresh_from_db()
    assert (in_review.status, in_review.version) == (ClaimStatus.IN_REVIEW, 1)


def test_it_refuses_a_re_import_that_changes_a_claim_in_review(author: User) -> None:
    article = import_text(author, ORIGINAL)
    article.claims.get(text__startswith="Mild dehydration").submit(by=author)
    with pytest.raises(ImportRejected):
        import_text(author, CHANGED, article=article)


def test_it_refuses_a_re_import_by_another_author(author: User, other_author: User) -> None:
    article = import_text(author, ORIGINAL)
    with pytest.raises(NotAllowed):
        import_text(other_author, CHANGED, article=article)


def test_it_records_why_a_claim_changed_on_re_import(reimported: Article, author: User) -> None:
    version = ClaimVersion.objects.get(claim__article=reimported, version=2)
    assert (version.changed_by, version.change_reason) == (author, "Changed in the re-imported article")


def test_it_moves_claims_to_their_new_section(author: User) -> None:
    article = import_text(author, numbered_text(2))
    import_text(author, numbered_text(1) + "\nLater\n\n" + numbered_text(2).split("\n\n")[2], article=article)
    second = article.claims.live().get(position=2)
    assert (second.section.heading, second.version) == ("Later", 1)


# --- references are shared ---------------------------------------------------------------------------------------


def test_it_shares_an_author_year_reference_across_articles(author: User, other_author: User) -> None:
    import_text(author, ORIGINAL)
    import_text(other_author, "Fluids\n\nBody water is mostly inside cells (Popkin, 2010).\n")
    assert Reference.objects.filter(key="popkin|2010").count() == 1


def test_it_links_both_articles_to_the_shared_reference(author: User, other_author: User) -> None:
    one = import_text(author, ORIGINAL)
    two = import_text(other_author, "Fluids\n\nBody water is mostly inside cells (Popkin, 2010).\n")
    ref = Reference.objects.get(key="popkin|2010")
    assert sorted(ref.claims.values_list("article_id", flat=True)) == sorted([one.pk, two.pk])


def test_it_shares_a_doi_reference_across_articles(author: User, other_author: User) -> None:
    refs = (
        "\n\nReferences\n\n1. Popkin BM, D'Anci KE, Rosenberg IH. Water, hydration and health. 2010. "
        "doi:10.1111/j.1753-4887.2010.00304.x\n"
    )
    import_text(author, "Water\n\nWater is essential [1]." + refs)
    import_text(other_author, "Fluids\n\nMost body water is inside cells [1]." + refs)
    assert Reference.objects.filter(doi="10.1111/j.1753-4887.2010.00304.x").count() == 1


def test_it_keeps_the_label_as_first_written(author: User, other_author: User) -> None:
    import_text(author, ORIGINAL)
    import_text(other_author, "Fluids\n\nBody water is mostly inside cells (Popkin 2010).\n")
    assert Reference.objects.get(key="popkin|2010").label == "Popkin, 2010"


def test_it_clips_an_over_long_title_and_heading_to_fit(author: User) -> None:
    text = "# " + "Very long title " * 40 + "\n\n## " + "Long heading " * 40 + "\n\nSleep helps memory.\n"
    article = import_text(author, text, "markdown")
    heading = article.sections.get().heading
    assert max(len(article.title), len(heading)) <= 300 and article.title.endswith("…") and heading.endswith("…")
