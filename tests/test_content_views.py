"""Author pages, driven with the Django test client: import, read, revise, split/merge, submit, history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from content.importing import MAX_BYTES
from content.models import Article, Claim, ClaimStatus
from tests.conftest import PASSWORD, client_for, first_claim, import_text, numbered_text

pytestmark = pytest.mark.django_db

TEXT = """Hydration and health

Water makes up about 60 percent of an adult's body weight (Popkin, 2010).

Mild dehydration can impair attention and short-term memory (Adan, 2012).

Thirst is a reliable guide to fluid needs for most healthy adults.
"""


@pytest.fixture
def article(author: User) -> Article:
    return import_text(author, TEXT)


@pytest.fixture
def claim(article: Article) -> Claim:
    return first_claim(article)


def second_claim(article: Article) -> Claim:
    return article.claims.get(position=2)


def edit(client: Client, claim: Claim, **data: Any) -> Any:
    body = {"text": "Water is most of an adult's body weight.", "expected_version": 1, "change_reason": "Plainer"}
    return client.post(f"/claims/{claim.pk}/edit/", {**body, **data})


def split(
    client: Client,
    claim: Claim,
    first: str = "Water makes up about 60 percent of an adult's body weight.",
    second: str = "The figure comes from Popkin (2010).",
    **data: Any,
) -> Any:
    """The split form: one text box, a split point (a line of just ---) between the two parts."""
    body = {"text": f"{first}\n---\n{second}", "expected_version": 1, "change_reason": "Two facts"}
    return client.post(f"/claims/{claim.pk}/split/", {**body, **data})


def merge(client: Client, claim: Claim, **data: Any) -> Any:
    return client.post(f"/claims/{claim.pk}/merge/", {"expected_version": 1, "change_reason": "One fact", **data})


def page(response: Any) -> str:
    return str(response.content.decode())


# --- log in ------------------------------------------------------------------------------------------------------


def test_it_shows_the_login_page(db: None) -> None:
    assert Client().get("/accounts/login/").status_code == 200


def test_it_logs_an_author_in(author: User) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert (response.status_code, client.get("/articles/").status_code) == (302, 200)


def test_it_refuses_a_wrong_password(author: User) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert client.get("/articles/").status_code == 302


def test_it_sends_anonymous_visitors_to_log_in(db: None) -> None:
    response = Client().get("/articles/")
    assert (response.status_code, response["Location"].startswith("/accounts/login/")) == (302, True)


# --- my articles -------------------------------------------------------------------------------------------------


def test_it_lists_my_articles(author: User, article: Article) -> None:
    assert "Hydration and health" in page(client_for(author).get("/articles/"))


def test_it_leaves_other_authors_articles_out_of_my_list(other_author: User, article: Article) -> None:
    assert "Hydration and health" not in page(client_for(other_author).get("/articles/"))


def test_it_lists_every_article_for_a_reviewer(reviewer: User, article: Article) -> None:
    assert "Hydration and health" in page(client_for(reviewer).get("/articles/"))


def test_it_counts_claims_by_status_in_the_list(author: User, article: Article, claim: Claim) -> None:
    claim.submit(by=author)
    row = page(client_for(author).get("/articles/")).split("Hydration and health")[1].split("</tr>")[0]
    assert "<td>3</td><td>1</td><td>0</td>" in row


def test_it_refuses_post_on_the_list(author: User) -> None:
    assert client_for(author).post("/articles/").status_code == 405


# --- article page ------------------------------------------------------------------------------------------------


def test_it_shows_claims_in_order(author: User, article: Article) -> None:
    html = page(client_for(author).get(f"/articles/{article.pk}/"))
    positions = [html.index(f'id="claim-{c.pk}"') for c in article.claims.order_by("position")]
    assert positions == sorted(positions)


def test_it_shows_section_headings(author: User) -> None:
    article = import_text(author, "# Sleep\n\n## Why it matters\n\nSleep helps memory.\n", "markdown")
    assert "<h2>Why it matters</h2>" in page(client_for(author).get(f"/articles/{article.pk}/"))


def test_it_shows_a_status_badge_per_claim(author: User, article: Article, claim: Claim) -> None:
    claim.submit(by=author)
    html = page(client_for(author).get(f"/articles/{article.pk}/"))
    item = html.split(f'id="claim-{claim.pk}"')[1].split("</li>")[0]
    assert '<span class="badge badge-in_review">In review</span>' in item


def test_it_shows_citations_under_a_claim(author: User, article: Article, claim: Claim) -> None:
    html = page(client_for(author).get(f"/articles/{article.pk}/"))
    assert '<span class="cite">Popkin, 2010</span>' in html.split(f'id="claim-{claim.pk}"')[1].split("</li>")[0]


def test_it_hides_retired_claims_from_the_article_page(author: User, article: Article, claim: Claim) -> None:
    claim.retire(by=author, reason="Out of date")
    assert f'id="claim-{claim.pk}"' not in page(client_for(author).get(f"/articles/{article.pk}/"))


def test_it_renders_claim_markdown_sanitised(author: User, article: Article, claim: Claim) -> None:
    claim.revise(text="Water <script>alert(1)</script> is **vital**.", expected_version=1, reason="Test", by=author)
    html = page(client_for(author).get(f"/articles/{article.pk}/"))
    assert "<strong>vital</strong>" in html and "<script>alert" not in html


def test_it_offers_edit_actions_to_the_author(author: User, article: Article, claim: Claim) -> None:
    assert f"/claims/{claim.pk}/edit/" in page(client_for(author).get(f"/articles/{article.pk}/"))


def test_it_offers_no_edit_actions_to_a_reviewer(reviewer: User, article: Article, claim: Claim) -> None:
    assert f"/claims/{claim.pk}/edit/" not in page(client_for(reviewer).get(f"/articles/{article.pk}/"))


def test_it_hides_an_article_from_an_outsider(outsider: User, article: Article) -> None:
    assert client_for(outsider).get(f"/articles/{article.pk}/").status_code == 404


def test_it_hides_an_article_from_another_author(other_author: User, article: Article) -> None:
    assert client_for(other_author).get(f"/articles/{article.pk}/").status_code == 404


# --- import ------------------------------------------------------------------------------------------------------


def test_it_shows_the_import_form(author: User) -> None:
    assert client_for(author).get("/articles/import/").status_code == 200


def test_it_imports_pasted_text(author: User) -> None:
    response = client_for(author).post("/articles/import/", {"text": TEXT, "format": "auto", "title": ""})
    article = Article.objects.get()
    assert (response.status_code, response["Location"], article.claims.count()) == (302, f"/articles/{article.pk}/", 3)


def test_it_detects_pasted_markdown(author: User) -> None:
    client_for(author).post("/articles/import/", {"text": "# Sleep\n\n- Sleep helps memory.\n", "format": "auto"})
    assert Article.objects.get().format == "markdown"


def test_it_imports_an_uploaded_file(author: User) -> None:
    upload = SimpleUploadedFile("hydration.txt", TEXT.encode(), content_type="text/plain")
    client_for(author).post("/articles/import/", {"upload": upload, "format": "auto"})
    assert Article.objects.get().claims.count() == 3


def test_it_detects_the_format_of_an_upload_from_its_name(author: User) -> None:
    upload = SimpleUploadedFile("sleep.md", b"# Sleep\n\nSleep helps memory.\n", content_type="text/markdown")
    client_for(author).post("/articles/import/", {"upload": upload, "format": "auto"})
    assert Article.objects.get().format == "markdown"


def test_it_detects_an_uploaded_web_page(author: User) -> None:
    html = (
        b"<html><head><title>Sleep</title></head><body><article>"
        b"<h1>Sleep</h1><p>Adults need seven hours of sleep.</p></article></body></html>"
    )
    upload = SimpleUploadedFile("sleep.html", html, content_type="text/html")
    client_for(author).post("/articles/import/", {"upload": upload, "format": "auto"})
    assert Article.objects.get().format == "html"


def test_it_uses_the_chosen_format_over_detection(author: User) -> None:
    client_for(author).post("/articles/import/", {"text": "# Sleep\n\nSleep helps memory.\n", "format": "text"})
    assert Article.objects.get().format == "text"


@pytest.mark.parametrize(
    "data",
    [
        {"text": "", "format": "auto"},
        {"text": "Home\nMenu\nShare this\n", "format": "auto"},
        {"upload": ("bad.txt", b"Water \xff\xfe is good.\n\nMore text here."), "format": "auto"},
        {"upload": ("big.txt", b"Water is good. " * (MAX_BYTES // 15 + 1)), "format": "auto"},
    ],
    ids=["empty", "only-boilerplate", "not-utf8", "over-2mb"],
)
def test_it_refuses_a_bad_import_and_writes_nothing(author: User, data: dict[str, Any]) -> None:
    if "upload" in data:
        name, content = data["upload"]
        data = {**data, "upload": SimpleUploadedFile(name, content, content_type="text/plain")}
    response = client_for(author).post("/articles/import/", data)
    assert (response.status_code, Article.objects.count()) == (400, 0)


def test_it_says_why_an_upload_was_refused(author: User) -> None:
    upload = SimpleUploadedFile("bad.txt", b"Water \xff is good.", content_type="text/plain")
    response = client_for(author).post("/articles/import/", {"upload": upload, "format": "auto"})
    assert "not UTF-8" in page(response)


def test_it_refuses_the_import_page_to_a_reviewer(reviewer: User) -> None:
    assert client_for(reviewer).get("/articles/import/").status_code == 403


def test_it_refuses_an_import_by_a_reviewer(reviewer: User) -> None:
    response = client_for(reviewer).post("/articles/import/", {"text": TEXT, "format": "auto"})
    assert (response.status_code, Article.objects.count()) == (403, 0)


# --- edit --------------------------------------------------------------------------------------------------------


def test_it_shows_the_edit_form_with_the_current_text(author: User, claim: Claim) -> None:
    response = client_for(author).get(f"/claims/{claim.pk}/edit/")
    assert response.status_code == 200 and claim.text.replace("'", "&#x27;") in page(response)


def test_it_saves_an_edit_as_a_new_version(author: User, claim: Claim) -> None:
    response = edit(client_for(author), claim)
    claim.refresh_from_db()
    assert (response.status_code, claim.version, claim.text) == (302, 2, "Water is most of an adult's body weight.")


def test_it_requires_a_reason_to_edit(author: User, claim: Claim) -> None:
    response = edit(client_for(author), claim, change_reason="")
    claim.refresh_from_db()
    assert (response.status_code, claim.version) == (400, 1)


def test_it_refuses_an_edit_that_changes_nothing(author: User, claim: Claim) -> None:
    response = edit(client_for(author), claim, text=claim.text)
    assert (response.status_code, "Nothing changed" in page(response)) == (400, True)


def test_it_shows_both_texts_on_a_stale_edit(author: User, claim: Claim) -> None:
    client = client_for(author)
    edit(client, claim, text="First editor's words.")
    response = edit(client, claim, text="Second editor's words.")
    html = page(response)
    assert response.status_code == 409
    assert "First editor&#x27;s words." in html and "Second editor&#x27;s words." in html


def test_it_keeps_the_users_text_in_the_form_after_a_stale_edit(author: User, claim: Claim) -> None:
    client = client_for(author)
    edit(client, claim, text="First editor's words.")
    form = page(edit(client, claim, text="Second editor's words.")).split("<form")[-1]
    assert "Second editor&#x27;s words.</textarea>" in form and 'name="expected_version" value="2"' in form


def test_it_saves_nothing_on_a_stale_edit(author: User, claim: Claim) -> None:
    client = client_for(author)
    edit(client, claim, text="First editor's words.")
    edit(client, claim, text="Second editor's words.")
    claim.refresh_from_db()
    assert (claim.version, claim.text) == (2, "First editor's words.")


def test_it_saves_a_stale_edit_once_rebased(author: User, claim: Claim) -> None:
    client = client_for(author)
    edit(client, claim, text="First editor's words.")
    edit(client, claim, text="Second editor's words.")
    edit(client, claim, text="Second editor's words.", expected_version=2)
    claim.refresh_from_db()
    assert (claim.version, claim.text) == (3, "Second editor's words.")


def test_it_refuses_an_edit_while_in_review(author: User, claim: Claim) -> None:
    claim.submit(by=author)
    assert edit(client_for(author), claim).status_code == 409


def test_it_refuses_an_edit_by_a_reviewer(reviewer: User, claim: Claim) -> None:
    assert edit(client_for(reviewer), claim).status_code == 403


def test_it_refuses_the_edit_form_to_a_reviewer(reviewer: User, claim: Claim) -> None:
    assert client_for(reviewer).get(f"/claims/{claim.pk}/edit/").status_code == 403


def test_it_hides_a_claim_from_an_outsiders_edit(outsider: User, claim: Claim) -> None:
    assert edit(client_for(outsider), claim).status_code == 404


def test_it_hides_a_claim_from_another_authors_edit(other_author: User, claim: Claim) -> None:
    assert edit(client_for(other_author), claim).status_code == 404


def test_it_refuses_an_edit_without_a_csrf_token(author: User, claim: Claim) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    assert edit(client, claim).status_code == 403


def test_it_puts_a_csrf_token_in_the_edit_form(author: User, claim: Claim) -> None:
    assert 'name="csrfmiddlewaretoken"' in page(client_for(author).get(f"/claims/{claim.pk}/edit/"))


# --- split -------------------------------------------------------------------------------------------------------


def test_it_splits_a_claim_in_two(author: User, article: Article, claim: Claim) -> None:
    split(client_for(author), claim)
    assert list(article.claims.live().order_by("position").values_list("text", flat=True))[:2] == [
        "Water makes up about 60 percent of an adult's body weight.",
        "The figure comes from Popkin (2010).",
    ]


def test_it_makes_the_first_part_a_new_version(author: User, claim: Claim) -> None:
    split(client_for(author), claim)
    claim.refresh_from_db()
    assert claim.version == 2


def test_it_moves_later_claims_down_after_a_split(author: User, article: Article) -> None:
    last = article.claims.get(position=3)
    split(client_for(author), first_claim(article))
    last.refresh_from_db()
    assert last.position == 4


def test_it_keeps_the_citations_on_both_parts(author: User, article: Article, claim: Claim) -> None:
    split(client_for(author), claim)
    assert article.claims.get(position=2).citation_keys() == ["popkin|2010"]


def test_it_refuses_a_split_with_an_empty_part(author: User, claim: Claim) -> None:
    response = split(client_for(author), claim, second="  ")
    assert (response.status_code, claim.article.claims.count()) == (400, 3)


def test_it_requires_a_reason_to_split(author: User, claim: Claim) -> None:
    assert split(client_for(author), claim, change_reason="").status_code == 400


def test_it_keeps_the_users_split_on_a_stale_split(author: User, claim: Claim) -> None:
    client = client_for(author)
    edit(client, claim, text="First editor's words.")
    response = split(client, claim)
    assert response.status_code == 409 and "The figure comes from Popkin (2010).</textarea>" in page(response)


def test_it_refuses_a_split_by_a_reviewer(reviewer: User, claim: Claim) -> None:
    assert split(client_for(reviewer), claim).status_code == 403


def test_it_hides_a_claim_from_an_outsiders_split(outsider: User, claim: Claim) -> None:
    assert split(client_for(outsider), claim).status_code == 404


def test_it_refuses_a_split_while_in_review(author: User, claim: Claim) -> None:
    claim.submit(by=author)
    assert split(client_for(author), claim).status_code == 409


# --- merge -------------------------------------------------------------------------------------------------------


def test_it_merges_a_claim_with_the_next(author: User, article: Article, claim: Claim) -> None:
    merge(client_for(author), claim)
    claim.refresh_from_db()
    assert (claim.version, claim.text) == (
        2,
        "Water makes up about 60 percent of an adult's body weight (Popkin, 2010). "
        "Mild dehydration can impair attention and short-term memory (Adan, 2012).",
    )


def test_it_retires_the_merged_claim(author: User, article: Article, claim: Claim) -> None:
    merge(client_for(author), claim)
    assert second_claim(article).status == ClaimStatus.RETIRED


def test_it_keeps_the_citations_of_both_merged_claims(author: User, claim: Claim) -> None:
    merge(client_for(author), claim)
    claim.refresh_from_db()
    assert sorted(claim.citation_keys()) == ["adan|2012", "popkin|2010"]


def test_it_refuses_get_on_merge(author: User, claim: Claim) -> None:
    assert client_for(author).get(f"/claims/{claim.pk}/merge/").status_code == 405


def test_it_changes_nothing_on_a_merge_without_a_reason(author: User, article: Article, claim: Claim) -> None:
    merge(client_for(author), claim, change_reason="")
    assert list(article.claims.values_list("version", "status")) == [(1, "draft")] * 3


def test_it_refuses_to_merge_the_last_claim(author: User, article: Article) -> None:
    last = article.claims.get(position=3)
    response = merge(client_for(author), last)
    assert response.status_code == 302 and last.versions.count() == 1


def test_it_refuses_a_merge_into_a_claim_in_review(author: User, article: Article) -> None:
    second_claim(article).submit(by=author)
    assert merge(client_for(author), first_claim(article)).status_code == 409


def test_it_refuses_a_stale_merge(author: User, claim: Claim) -> None:
    client = client_for(author)
    edit(client, claim, text="First editor's words.")
    assert merge(client, claim).status_code == 409


def test_it_refuses_a_merge_by_a_reviewer(reviewer: User, claim: Claim) -> None:
    assert merge(client_for(reviewer), claim).status_code == 403


def test_it_hides_a_claim_from_an_outsiders_merge(outsider: User, claim: Claim) -> None:
    assert merge(client_for(outsider), claim).status_code == 404


# --- submit ------------------------------------------------------------------------------------------------------


def test_it_submits_one_claim(author: User, claim: Claim) -> None:
    response = client_for(author).post(f"/claims/{claim.pk}/submit/")
    claim.refresh_from_db()
    assert (response.status_code, claim.status, claim.version) == (302, ClaimStatus.IN_REVIEW, 1)


def test_it_refuses_to_submit_twice(author: User, claim: Claim) -> None:
    client = client_for(author)
    client.post(f"/claims/{claim.pk}/submit/")
    assert client.post(f"/claims/{claim.pk}/submit/").status_code == 409


def test_it_refuses_get_on_submit(author: User, claim: Claim) -> None:
    assert client_for(author).get(f"/claims/{claim.pk}/submit/").status_code == 405


def test_it_refuses_a_submit_by_a_reviewer(reviewer: User, claim: Claim) -> None:
    assert client_for(reviewer).post(f"/claims/{claim.pk}/submit/").status_code == 403


def test_it_hides_a_claim_from_an_outsiders_submit(outsider: User, claim: Claim) -> None:
    assert client_for(outsider).post(f"/claims/{claim.pk}/submit/").status_code == 404


def test_it_refuses_a_submit_without_a_csrf_token(author: User, claim: Claim) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    assert client.post(f"/claims/{claim.pk}/submit/").status_code == 403


def test_it_submits_all_drafts(author: User, article: Article) -> None:
    client_for(author).post(f"/articles/{article.pk}/submit/")
    assert set(article.claims.values_list("status", flat=True)) == {ClaimStatus.IN_REVIEW}


def test_it_submits_only_the_drafts(author: User, article: Article, claim: Claim) -> None:
    claim.retire(by=author, reason="Out of date")
    client_for(author).post(f"/articles/{article.pk}/submit/")
    assert sorted(article.claims.values_list("status", flat=True)) == ["in_review", "in_review", "retired"]


def test_it_refuses_get_on_submit_all(author: User, article: Article) -> None:
    assert client_for(author).get(f"/articles/{article.pk}/submit/").status_code == 405


def test_it_refuses_submit_all_by_a_reviewer(reviewer: User, article: Article) -> None:
    response = client_for(reviewer).post(f"/articles/{article.pk}/submit/")
    assert (response.status_code, set(article.claims.values_list("status", flat=True))) == (403, {"draft"})


def test_it_hides_an_article_from_an_outsiders_submit_all(outsider: User, article: Article) -> None:
    assert client_for(outsider).post(f"/articles/{article.pk}/submit/").status_code == 404


# --- history -----------------------------------------------------------------------------------------------------


@pytest.fixture
def three_versions(author: User, claim: Claim) -> Claim:
    claim.revise(text="Water is most of the body.", expected_version=1, reason="Shorter", by=author)
    claim.revise(text="Water is most of the adult body.", expected_version=2, reason="Precise", by=author)
    return claim


def test_it_lists_every_version_with_its_reason(author: User, three_versions: Claim) -> None:
    html = page(client_for(author).get(f"/claims/{three_versions.pk}/history/"))
    assert all(reason in html for reason in ("Imported", "Shorter", "Precise"))


def test_it_diffs_the_last_two_versions_by_default(author: User, three_versions: Claim) -> None:
    html = page(client_for(author).get(f"/claims/{three_versions.pk}/history/"))
    assert "Water is most of the <ins>adult </ins>body." in html


def test_it_diffs_any_two_versions(author: User, three_versions: Claim) -> None:
    html = page(client_for(author).get(f"/claims/{three_versions.pk}/history/?a=1&b=3"))
    assert "Water <del>makes up about 60 percent </del><ins>is most </ins>of" in html


def test_it_falls_back_to_the_last_diff_for_unknown_versions(author: User, three_versions: Claim) -> None:
    response = client_for(author).get(f"/claims/{three_versions.pk}/history/?a=x&b=99")
    assert response.status_code == 200 and "<ins>adult </ins>" in page(response)


def test_it_shows_history_to_a_reviewer(reviewer: User, claim: Claim) -> None:
    assert client_for(reviewer).get(f"/claims/{claim.pk}/history/").status_code == 200


def test_it_hides_history_from_an_outsider(outsider: User, claim: Claim) -> None:
    assert client_for(outsider).get(f"/claims/{claim.pk}/history/").status_code == 404


# --- query counts ------------------------------------------------------------------------------------------------


def queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


@pytest.mark.parametrize("n", [2, 20])
def test_it_lists_articles_in_a_fixed_number_of_queries(
    author: User, django_assert_max_num_queries: Any, n: int
) -> None:
    for i in range(n):
        import_text(author, numbered_text(2, title=f"Article {i}"))
    client = client_for(author)
    with django_assert_max_num_queries(10):
        assert client.get("/articles/").status_code == 200


def test_it_lists_20_articles_in_as_many_queries_as_2(author: User, other_author: User) -> None:
    for i in range(2):
        import_text(author, numbered_text(2, title=f"Article {i}"))
    for i in range(20):
        import_text(other_author, numbered_text(2, title=f"Other {i}"))
    assert queries(lambda: client_for(author).get("/articles/")) == queries(
        lambda: client_for(other_author).get("/articles/")
    )


@pytest.mark.parametrize("n", [2, 20])
def test_it_shows_an_article_in_a_fixed_number_of_queries(
    author: User, django_assert_max_num_queries: Any, n: int
) -> None:
    article = import_text(author, numbered_text(n))
    client = client_for(author)
    with django_assert_max_num_queries(13):  # 12, and the header's unread count
        assert client.get(f"/articles/{article.pk}/").status_code == 200


def test_it_shows_an_article_of_20_claims_in_as_many_queries_as_2(author: User) -> None:
    small, large = import_text(author, numbered_text(2)), import_text(author, numbered_text(20))
    client = client_for(author)
    assert queries(lambda: client.get(f"/articles/{small.pk}/")) == queries(
        lambda: client.get(f"/articles/{large.pk}/")
    )


BENEFITS_ONLY = (
    "Melatonin and sleep\n\n"
    "Melatonin tablets improve sleep quality in adults with insomnia.\n\n"
    "Most people sleep in a bedroom.\n"
)


def test_it_shows_each_claims_risk_flags_on_the_article_page(author: User) -> None:
    article = import_text(author, BENEFITS_ONLY)
    page = client_for(author).get(f"/articles/{article.pk}/").content.decode()
    assert "risk flag" in page


def test_it_shows_an_article_that_claims_benefits_without_harms_once(author: User) -> None:
    article = import_text(author, BENEFITS_ONLY)
    page = client_for(author).get(f"/articles/{article.pk}/").content.decode()
    assert page.count("Benefits without harms:") == 1


def test_it_shows_no_harms_notice_when_the_article_mentions_side_effects(author: User) -> None:
    text = BENEFITS_ONLY + "\nMelatonin can cause side effects such as headaches.\n"
    article = import_text(author, text)
    page = client_for(author).get(f"/articles/{article.pk}/").content.decode()
    assert "Benefits without harms:" not in page
