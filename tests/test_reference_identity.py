"""Cited works at import: one Reference per work across articles, named in bibliographic form, and
author-year citations missing from the article's list kept but flagged."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from content.actions import import_article
from content.models import Article, ClaimFlag, FlagCode, Reference
from review.models import AuditEvent
from tests.conftest import first_claim, import_text

pytestmark = pytest.mark.django_db

LISTED = """Statins and muscles

Muscle pain on statins is rarely caused by the drug [1].

References

[1] Herrett E, Gallagher AM, Bhaskaran K. Statin treatment and muscle symptoms. BMJ. 2021;372:n135. doi:10.1136/bmj.n135
"""
IN_TEXT = "Statin myths\n\nMost muscle aches on statins are not caused by the drug (Herrett et al., 2021).\n"
UNRESOLVED = """Naps and memory

Sleep after learning improves recall (Walker et al., 2017).

Short naps help memory in older adults (Smith, 2019).

References

1. Walker M, Stickgold R, Hobson J. Sleep and memory consolidation. Nature. 2017;437:1272-8. doi:10.1038/nature04286
"""


def listed(title: str = "Statin treatment and muscle symptoms", doi: str = "10.1136/bmj.n135") -> str:
    return LISTED.replace("Statin treatment and muscle symptoms", title).replace("10.1136/bmj.n135", doi)


def claim_flags(article: Article, position: int) -> set[str]:
    claim = article.claims.get(position=position)
    return set(ClaimFlag.objects.filter(claim=claim, version=claim.version).values_list("code", flat=True))


# --- labels --------------------------------------------------------------------------------------------------------


def test_it_labels_a_listed_work_in_bibliographic_form(author: User) -> None:
    import_text(author, LISTED)
    assert Reference.objects.get().label == "Herrett et al., 2021"


def test_it_labels_a_two_author_work_with_both_names(author: User) -> None:
    import_text(author, LISTED.replace("Herrett E, Gallagher AM, Bhaskaran K", "Herrett E, Gallagher AM"))
    assert Reference.objects.get().label == "Herrett & Gallagher, 2021"


def test_it_labels_a_single_author_work_by_surname_and_year(author: User) -> None:
    import_text(author, "Salt\n\nSalt raises blood pressure in most adults (Smith, 2019).\n")
    assert Reference.objects.get().label == "Smith, 2019"


def test_it_keeps_a_bare_number_label_when_no_work_is_known(author: User) -> None:
    import_text(author, "Salt\n\nSalt raises blood pressure in most adults [7].\n")
    assert Reference.objects.get().label == "[7]"


# --- one Reference per work ----------------------------------------------------------------------------------------


def test_it_links_an_in_text_citation_to_the_listed_work_of_another_article(author: User) -> None:
    import_text(author, LISTED)
    import_text(author, IN_TEXT)
    assert Reference.objects.count() == 1


def test_it_links_a_listed_work_to_an_earlier_in_text_citation(author: User) -> None:
    import_text(author, IN_TEXT)
    later = import_text(author, LISTED)
    assert list(first_claim(later).citations.all()) == list(Reference.objects.all())


def test_it_learns_the_doi_of_a_work_first_cited_without_one(author: User) -> None:
    import_text(author, IN_TEXT)
    import_text(author, LISTED)
    assert Reference.objects.get().doi == "10.1136/bmj.n135"


def test_it_records_what_a_work_learnt_in_its_history(author: User) -> None:
    import_text(author, IN_TEXT)
    import_text(author, LISTED)
    reason = Reference.objects.get().history.latest().history_change_reason
    assert reason == "Details from an imported article's reference list"


def test_it_keeps_two_works_with_different_dois_apart(author: User) -> None:
    import_text(author, listed())
    import_text(author, listed(doi="10.1136/bmj.n999"), force=True)
    assert Reference.objects.count() == 2


def test_it_keeps_two_works_with_different_titles_apart(author: User) -> None:
    import_text(author, listed(doi="10.1136/bmj.n135"))
    import_text(author, listed(title="Statins in older adults", doi="").replace(" doi:", ""), force=True)
    assert Reference.objects.count() == 2


def test_it_keeps_a_single_author_and_a_two_author_work_apart(author: User) -> None:
    import_text(author, "Salt\n\nSalt raises blood pressure (Smith, 2019).\n")
    import_text(author, "Sugar\n\nSugar harms teeth (Smith and Jones, 2019).\n")
    assert Reference.objects.count() == 2


def test_it_keeps_unlisted_numbers_of_two_articles_apart(author: User) -> None:
    import_text(author, "Salt\n\nSalt raises blood pressure in most adults [7].\n")
    import_text(author, "Sugar\n\nSugar harms the teeth of children [7].\n")
    assert Reference.objects.count() == 2


def test_it_stores_the_first_authors_surname_for_the_lookup(author: User) -> None:
    import_text(author, LISTED)
    assert Reference.objects.filter(first_author="herrett", year=2021).count() == 1


# --- unresolved citations ------------------------------------------------------------------------------------------


def test_it_imports_an_author_year_citation_missing_from_the_list(author: User) -> None:
    article = import_text(author, UNRESOLVED)
    assert [r.label for r in article.claims.get(position=2).citations.all()] == ["Smith, 2019"]


def test_it_flags_a_claim_whose_citation_is_not_in_the_list(author: User) -> None:
    article = import_text(author, UNRESOLVED)
    assert FlagCode.UNRESOLVED_CITATION in claim_flags(article, 2)


def test_it_does_not_flag_a_claim_whose_citation_is_listed(author: User) -> None:
    article = import_text(author, UNRESOLVED)
    assert FlagCode.UNRESOLVED_CITATION not in claim_flags(article, 1)


def test_it_does_not_flag_author_year_citations_without_any_list(author: User) -> None:
    article = import_text(author, "Salt\n\nSalt raises blood pressure in most adults (Smith, 2019).\n")
    assert FlagCode.UNRESOLVED_CITATION not in claim_flags(article, 1)


def test_it_names_the_citation_as_the_flags_evidence(author: User) -> None:
    article = import_text(author, UNRESOLVED)
    flag = ClaimFlag.objects.get(claim__article=article, code=FlagCode.UNRESOLVED_CITATION)
    assert flag.evidence == "Smith, 2019"


def test_it_chains_the_unresolved_flag_in_the_audit_trail(author: User) -> None:
    article = import_text(author, UNRESOLVED)
    flag = ClaimFlag.objects.get(claim__article=article, code=FlagCode.UNRESOLVED_CITATION)
    assert AuditEvent.objects.filter(history_id=flag.history.get().history_id, claim=flag.claim).exists()


def test_it_flags_a_re_imported_claim_whose_new_citation_is_unlisted(author: User) -> None:
    article = import_text(author, UNRESOLVED.replace(" (Smith, 2019)", ""))
    import_article(text=UNRESOLVED, fmt="text", author=author, article=article)
    assert FlagCode.UNRESOLVED_CITATION in claim_flags(article, 2)


def test_it_shows_the_unresolved_flag_in_the_api(author: User) -> None:
    article = import_text(author, UNRESOLVED)
    client = APIClient()
    client.force_login(author)
    claims = client.get(f"/api/v1/articles/{article.pk}/").json()["claims"]
    assert "unresolved_citation" in {f["code"] for f in claims[1]["risk_flags"]}


def test_it_records_the_unresolved_flag_as_raised_by_the_import(author: User) -> None:
    article = import_text(author, UNRESOLVED)
    flag = ClaimFlag.objects.get(claim__article=article, code=FlagCode.UNRESOLVED_CITATION)
    assert flag.history.get().history_change_reason == "Imported"
