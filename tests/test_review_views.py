"""Reviewer pages: the queue, the review page and the claim page (what authors see)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from content.models import Claim, ClaimStatus
from review import views
from review.models import DEFAULT_MEANING, REJECT_MEANING, ClaimOpen, NuanceTag, Refusal, Review
from tests import review_helpers
from tests.conftest import PASSWORD, client_for
from tests.review_helpers import approve, fresh, queue_of, request_changes, revise, snapshot
from tests.test_publishing import claims_of, make_article

immediate_tasks = review_helpers.immediate_tasks
tags = review_helpers.tags
claim = review_helpers.claim


def review_url(c: Claim) -> str:
    return f"/claims/{c.pk}/review/"


def open_url(c: Claim) -> str:
    return f"/claims/{c.pk}/review/open/"


def form(c: Claim, **overrides: Any) -> dict[str, Any]:
    return {
        "version": c.version,
        "evidence_grade": "high",
        "evidence_type": "",
        "nuance_note": "",
        "decision": "approve",
        "signature_meaning": DEFAULT_MEANING,
        "password": PASSWORD,
    } | overrides


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the queue ------------------------------------------------------------------------


def test_it_lists_the_queue_oldest_first(author: User, reviewer: User) -> None:
    claims = queue_of(author, 3)
    response = client_for(reviewer).get("/review/queue/")
    assert [c.pk for c in response.context["claims"]] == [c.pk for c in claims]


def test_it_refuses_the_queue_to_an_author(author: User) -> None:
    assert client_for(author).get("/review/queue/").status_code == 403


def test_it_sends_an_anonymous_visitor_to_log_in() -> None:
    response = Client().get("/review/queue/")
    assert (response.status_code, response.url.startswith("/accounts/login/")) == (302, True)


def test_it_refuses_a_post_to_the_queue(reviewer: User) -> None:
    assert client_for(reviewer).post("/review/queue/").status_code == 405


def test_it_counts_claims_per_status(author: User, reviewer: User) -> None:
    claims = queue_of(author, 3)
    request_changes(claims[0], reviewer)
    counts = {value: n for value, label, n in client_for(reviewer).get("/review/queue/").context["counts"]}
    assert (counts["in_review"], counts["changes_requested"], counts["approved"]) == (2, 1, 0)


def test_it_filters_the_queue_by_article(author: User, reviewer: User) -> None:
    queue_of(author, 2)
    wanted = queue_of(author, 2)
    response = client_for(reviewer).get(f"/review/queue/?article={wanted[0].article_id}")
    assert [c.pk for c in response.context["claims"]] == [c.pk for c in wanted]


def test_it_offers_the_articles_on_the_page_and_the_chosen_one_as_filters(author: User, reviewer: User) -> None:
    on_page = queue_of(author, 1)[0]
    chosen = queue_of(author, 1)[0]
    client = client_for(reviewer)
    offered = {a.pk for a in client.get("/review/queue/").context["articles"]}
    assert offered == {on_page.article_id, chosen.article_id}
    with_filter = client.get(f"/review/queue/?article={chosen.article_id}&older_than_days=30")
    assert list(with_filter.context["claims"]) == []
    assert {a.pk for a in with_filter.context["articles"]} == {chosen.article_id}


def test_it_filters_the_queue_by_grade(author: User, reviewer: User) -> None:
    claims = queue_of(author, 2)
    approve(claims[0], reviewer, grade="low")
    response = client_for(reviewer).get("/review/queue/?grade=low")
    assert [c.pk for c in response.context["claims"]] == [claims[0].pk]


def test_it_filters_the_queue_by_tag(author: User, reviewer: User, tags: dict[str, NuanceTag]) -> None:
    claims = queue_of(author, 2)
    approve(claims[1], reviewer, tags=[tags["omits-adverse-effects"]])
    response = client_for(reviewer).get("/review/queue/?tag=omits-adverse-effects")
    assert [c.pk for c in response.context["claims"]] == [claims[1].pk]


def test_it_filters_the_queue_by_grade_of_the_current_version_only(author: User, reviewer: User) -> None:
    claims = queue_of(author, 2)
    request_changes(claims[0], reviewer)  # graded low on v1
    revise(claims[0], author)
    fresh(claims[0]).submit(by=author)  # v2 waits for its first review
    approve(claims[1], reviewer, grade="low")
    response = client_for(reviewer).get("/review/queue/?grade=low")
    assert [c.pk for c in response.context["claims"]] == [claims[1].pk]


def test_it_filters_the_queue_by_tag_of_the_current_version_only(
    author: User, reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    claims = queue_of(author, 2)
    request_changes(claims[0], reviewer, tags=[tags["omits-adverse-effects"]])
    revise(claims[0], author)
    fresh(claims[0]).submit(by=author)
    response = client_for(reviewer).get("/review/queue/?tag=omits-adverse-effects")
    assert [c.pk for c in response.context["claims"]] == []


def test_it_filters_the_queue_on_the_latest_review(
    author: User, reviewer: User, second_reviewer: User, tags: dict[str, NuanceTag], settings: Any
) -> None:
    settings.VETTED_SIGNATURES_HIGH_RISK = 3
    [c] = queue_of(author, 1)
    approve(c, reviewer, grade="low", tags=[tags["omits-adverse-effects"]])
    approve(fresh(c), second_reviewer, grade="moderate")  # 2 of 3: still in review
    client = client_for(reviewer)
    assert [x.pk for x in client.get("/review/queue/?grade=moderate").context["claims"]] == [c.pk]
    assert list(client.get("/review/queue/?grade=low").context["claims"]) == []
    assert list(client.get("/review/queue/?tag=omits-adverse-effects").context["claims"]) == []


def test_it_filters_the_queue_by_age(author: User, reviewer: User) -> None:
    claims = queue_of(author, 2)
    claims[0].submitted_at = timezone.now() - timedelta(days=31)
    claims[0].save()
    response = client_for(reviewer).get("/review/queue/?older_than_days=30")
    assert [c.pk for c in response.context["claims"]] == [claims[0].pk]


def test_it_keeps_the_chosen_filter_selected(author: User, reviewer: User) -> None:
    queue_of(author, 1)
    assert '<option value="7" selected>' in text(client_for(reviewer).get("/review/queue/?older_than_days=7"))


def test_it_explains_a_bad_filter(reviewer: User, tags: dict[str, NuanceTag]) -> None:
    response = client_for(reviewer).get("/review/queue/?tag=nope")
    assert (response.status_code, "No nuance tag “nope”" in text(response)) == (400, True)


def test_it_shows_one_of_two_signatures_in_the_queue(author: User, reviewer: User, second_reviewer: User) -> None:
    [c] = queue_of(author, 1)
    approve(c, reviewer, grade="low")
    assert "1 of 2" in text(client_for(second_reviewer).get("/review/queue/"))


def test_it_marks_a_claim_someone_else_has_open(author: User, reviewer: User, second_reviewer: User) -> None:
    claims = queue_of(author, 2)
    client_for(reviewer).post(open_url(claims[1]))
    response = client_for(second_reviewer).get("/review/queue/")
    assert response.context["opened"] == {claims[1].pk: ["Bob Reviewer"]}
    assert "open by Bob Reviewer" in text(response)


def test_it_does_not_mark_a_claim_for_the_reviewer_who_has_it_open(author: User, reviewer: User) -> None:
    [c] = queue_of(author, 1)
    client_for(reviewer).post(open_url(c))
    assert client_for(reviewer).get("/review/queue/").context["opened"] == {}


def test_it_forgets_a_stale_open_mark(author: User, reviewer: User, second_reviewer: User) -> None:
    [c] = queue_of(author, 1)
    ClaimOpen.objects.create(claim=c, user=reviewer, opened_at=timezone.now() - timedelta(minutes=16))
    assert client_for(second_reviewer).get("/review/queue/").context["opened"] == {}


def test_it_links_each_row_to_its_review_page_and_shortens_long_text(author: User, reviewer: User) -> None:
    short, long = claims_of(make_article(author, ["Walking helps.", "A" * 120], title="T" * 45))
    for c in (short, long):
        c.submit(by=author)
    page = client_for(reviewer).get("/review/queue/").content.decode()
    assert f'<a href="/claims/{short.pk}/review/">#{short.pk} Walking helps.</a>' in page
    assert f'<a href="/claims/{long.pk}/review/">#{long.pk} {"A" * 109}…</a>' in page
    assert f"<td>{'T' * 39}…</td>" in page


def test_it_counts_what_the_filters_leave(author: User, reviewer: User) -> None:
    queue_of(author, 2)
    wanted = queue_of(author, 3)
    client = client_for(reviewer)
    assert "5 waiting" in text(client.get("/review/queue/"))
    assert "3 waiting" in text(client.get(f"/review/queue/?article={wanted[0].article_id}"))


def test_it_pages_the_queue(author: User, reviewer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    claims = queue_of(author, 3)
    client = client_for(reviewer)
    assert "Page 1 of 2" in text(client.get("/review/queue/"))
    assert [c.pk for c in client.get("/review/queue/?page=2").context["claims"]] == [claims[2].pk]


@pytest.mark.parametrize("n", [2, 20])
def test_it_renders_the_queue_in_a_fixed_number_of_queries(
    author: User, reviewer: User, second_reviewer: User, n: int, django_assert_max_num_queries: Any
) -> None:
    claims = queue_of(author, n)
    for c in claims[::2]:
        approve(c, reviewer, grade="low")
        ClaimOpen.touch(c, reviewer)
    client = client_for(second_reviewer)
    with django_assert_max_num_queries(13):  # 12 and the header's unread count
        response = client.get("/review/queue/")
    assert len(response.context["claims"]) == n


@pytest.mark.parametrize("n", [2, 20])
def test_it_filters_the_queue_by_grade_and_tag_in_a_fixed_number_of_queries(
    author: User,
    reviewer: User,
    second_reviewer: User,
    tags: dict[str, NuanceTag],
    n: int,
    django_assert_max_num_queries: Any,
) -> None:
    claims = queue_of(author, n)
    for c in claims[::2]:
        approve(c, reviewer, grade="low", tags=[tags["omits-adverse-effects"]])
    client = client_for(second_reviewer)
    with django_assert_max_num_queries(15):  # two more than the plain queue: validating the tag, counting the matches
        response = client.get("/review/queue/?grade=low&tag=omits-adverse-effects")
    assert len(response.context["claims"]) == len(claims[::2])


# --- the review page: what the reviewer sees ---------------------------------------------


def test_it_shows_the_claim_in_its_section_with_its_neighbours(
    sample_article: Any, author: User, reviewer: User
) -> None:
    claims = list(sample_article.claims.order_by("position"))
    middle = claims[2]
    middle.submit(by=author)
    page = text(client_for(reviewer).get(review_url(middle)))
    assert middle.section.heading in page
    assert claims[1].text.split()[0] in page and claims[3].text.split()[0] in page


def test_it_names_the_neighbours(sample_article: Any, author: User, reviewer: User) -> None:
    claims = list(sample_article.claims.order_by("position"))
    claims[2].submit(by=author)
    context = client_for(reviewer).get(review_url(claims[2])).context
    assert (context["before"].pk, context["after"].pk) == (claims[1].pk, claims[3].pk)


def test_it_shows_the_citations(sample_article: Any, author: User, reviewer: User) -> None:
    cited = sample_article.claims.filter(citations__isnull=False).order_by("position").first()
    cited.submit(by=author)
    page = text(client_for(reviewer).get(review_url(cited)))
    assert cited.citations.first().label in page


def test_it_shows_earlier_reviews_and_their_notes(claim: Claim, author: User, reviewer: User) -> None:
    request_changes(claim, reviewer, note="Say *for whom* this holds.")
    revise(claim, author)
    fresh(claim).submit(by=author)
    page = text(client_for(reviewer).get(review_url(claim)))
    assert "Request changes</strong> of v1" in page and "Say <em>for whom</em> this holds." in page


def test_it_diffs_against_the_version_last_reviewed(claim: Claim, author: User, reviewer: User) -> None:
    request_changes(claim, reviewer)
    revise(claim, author, text=claim.text + " In adults.")
    fresh(claim).submit(by=author)
    response = client_for(reviewer).get(review_url(claim))
    assert response.context["diff_base"] == 1
    assert "In adults.</ins>" in text(response)


def test_it_diffs_against_this_reviewers_last_review_first(
    claim: Claim, author: User, reviewer: User, second_reviewer: User
) -> None:
    request_changes(claim, reviewer)  # Bob saw v1
    revise(claim, author)
    fresh(claim).submit(by=author)
    request_changes(fresh(claim), second_reviewer)  # Carol saw v2
    revise(claim, author, text="A third wording.")
    fresh(claim).submit(by=author)
    assert client_for(reviewer).get(review_url(claim)).context["diff_base"] == 1
    assert client_for(second_reviewer).get(review_url(claim)).context["diff_base"] == 2


def test_it_has_a_labelled_keyboard_friendly_form(claim: Claim, reviewer: User, tags: dict[str, NuanceTag]) -> None:
    page = text(client_for(reviewer).get(review_url(claim)))
    for legend in ["Evidence grade", "Nuance the claim needs", "Decision", "E-signature (approve or reject)"]:
        assert f"<legend>{legend}</legend>" in page
    assert '<label for="id_password">Password</label>' in page
    assert 'accesskey="s"' in page


def test_it_has_no_inline_script(claim: Claim, reviewer: User) -> None:
    page = client_for(reviewer).get(review_url(claim)).content.decode()
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page) == []
    assert " onclick=" not in page and " onchange=" not in page


def test_it_offers_the_standard_signature_meaning(claim: Claim, reviewer: User) -> None:
    assert f'value="{DEFAULT_MEANING}"' in text(client_for(reviewer).get(review_url(claim)))


def test_it_marks_the_claim_open_while_reviewing(claim: Claim, reviewer: User) -> None:
    response = client_for(reviewer).post(open_url(claim))
    assert (response.status_code, ClaimOpen.objects.filter(claim=claim, user=reviewer).exists()) == (204, True)


def test_it_changes_nothing_when_the_review_page_is_shown(claim: Claim, reviewer: User) -> None:
    client_for(reviewer).get(review_url(claim))
    assert not ClaimOpen.objects.exists()


def test_it_tells_the_page_script_where_to_post_the_open_mark(claim: Claim, reviewer: User) -> None:
    assert f'data-open-url="{open_url(claim)}"' in client_for(reviewer).get(review_url(claim)).content.decode()


def test_it_refuses_a_get_of_the_open_mark(claim: Claim, reviewer: User) -> None:
    assert client_for(reviewer).get(open_url(claim)).status_code == 405


def test_it_hides_the_open_mark_from_an_outsider(claim: Claim, outsider: User) -> None:
    assert client_for(outsider).post(open_url(claim)).status_code == 404


def test_it_refuses_the_open_mark_to_an_author(claim: Claim, author: User) -> None:
    assert client_for(author).post(open_url(claim)).status_code == 403


def test_it_refuses_the_open_mark_on_a_claim_not_in_review(sample_article: Any, reviewer: User) -> None:
    draft = sample_article.claims.order_by("position").first()
    assert client_for(reviewer).post(open_url(draft)).status_code == 409


def test_it_refuses_the_open_mark_without_the_csrf_token(claim: Claim, reviewer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    assert (client.post(open_url(claim)).status_code, ClaimOpen.objects.exists()) == (403, False)


def test_it_tells_a_reviewer_who_else_has_it_open(claim: Claim, reviewer: User, second_reviewer: User) -> None:
    client_for(reviewer).post(open_url(claim))
    assert "Also open by Bob Reviewer." in text(client_for(second_reviewer).get(review_url(claim)))


def test_it_warns_a_contributor_that_they_cannot_sign(claim: Claim, author: User) -> None:
    author.groups.add(Group.objects.get(name="Medical reviewers"))
    page = text(client_for(author).get(review_url(claim)))
    assert "you may request changes but not approve or reject it" in page


def test_it_hides_the_review_page_from_an_outsider(claim: Claim, outsider: User) -> None:
    assert client_for(outsider).get(review_url(claim)).status_code == 404


def test_it_refuses_the_review_page_to_an_author(claim: Claim, author: User) -> None:
    assert client_for(author).get(review_url(claim)).status_code == 403


def test_it_refuses_to_open_a_claim_not_in_review(sample_article: Any, reviewer: User) -> None:
    draft = sample_article.claims.order_by("position").first()
    response = client_for(reviewer).get(review_url(draft))
    assert (response.status_code, "is draft" in text(response)) == (409, True)


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_it_allows_only_get_and_post_on_the_review_page(claim: Claim, reviewer: User, method: str) -> None:
    assert getattr(client_for(reviewer), method)(review_url(claim)).status_code == 405


# --- the review page: recording a review -------------------------------------------------


def test_it_approves_and_goes_to_the_queue(claim: Claim, reviewer: User) -> None:
    response = client_for(reviewer).post(review_url(claim), form(claim, username=reviewer.username))
    assert (response.status_code, response.url) == (302, "/review/queue/")
    assert fresh(claim).status == ClaimStatus.APPROVED


def test_it_goes_on_to_the_next_claim_in_the_queue(author: User, reviewer: User) -> None:
    claims = queue_of(author, 3)
    response = client_for(reviewer).post(review_url(claims[1]), form(claims[1], username=reviewer.username))
    assert response.url == review_url(claims[0])


def test_it_skips_claims_the_reviewer_already_signed(author: User, reviewer: User) -> None:
    claims = queue_of(author, 3)
    approve(claims[0], reviewer, grade="low")
    response = client_for(reviewer).post(review_url(claims[1]), form(claims[1], username=reviewer.username))
    assert response.url == review_url(claims[2])


def test_it_clears_the_open_mark_after_reviewing(claim: Claim, reviewer: User) -> None:
    client = client_for(reviewer)
    client.post(open_url(claim))
    client.post(review_url(claim), form(claim, username=reviewer.username))
    assert not ClaimOpen.objects.exists()


def test_it_says_one_of_two_after_a_high_risk_approval(
    claim: Claim, reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    client = client_for(reviewer)
    client.post(
        review_url(claim), form(claim, username=reviewer.username, nuance_tags=[tags["omits-adverse-effects"].pk])
    )
    assert "1 of 2 signatures" in text(client.get("/review/queue/"))
    assert fresh(claim).status == ClaimStatus.IN_REVIEW


def test_it_requests_changes_without_a_password(claim: Claim, reviewer: User) -> None:
    client_for(reviewer).post(
        review_url(claim),
        form(claim, username=reviewer.username, decision="request_changes", password="", nuance_note="Say for whom."),
    )
    assert fresh(claim).status == ClaimStatus.CHANGES_REQUESTED


def test_it_asks_what_to_change(claim: Claim, reviewer: User) -> None:
    response = client_for(reviewer).post(
        review_url(claim), form(claim, username=reviewer.username, decision="request_changes", password="")
    )
    assert (response.status_code, fresh(claim).status) == (400, ClaimStatus.IN_REVIEW)


def test_it_rejects_with_the_rejection_meaning(claim: Claim, reviewer: User) -> None:
    client_for(reviewer).post(
        review_url(claim), form(claim, username=reviewer.username, decision="reject", signature_meaning=REJECT_MEANING)
    )
    assert fresh(claim).status == ClaimStatus.REJECTED


def test_it_refuses_to_reject_with_the_approval_meaning(claim: Claim, reviewer: User) -> None:
    response = client_for(reviewer).post(review_url(claim), form(claim, username=reviewer.username, decision="reject"))
    assert (response.status_code, fresh(claim).status) == (400, ClaimStatus.IN_REVIEW)


def test_it_requires_a_grade(claim: Claim, reviewer: User) -> None:
    response = client_for(reviewer).post(review_url(claim), form(claim, username=reviewer.username, evidence_grade=""))
    assert (response.status_code, "evidence_grade" in response.context["form"].errors) == (400, True)


def test_it_requires_the_password_to_sign(claim: Claim, reviewer: User) -> None:
    response = client_for(reviewer).post(review_url(claim), form(claim, username=reviewer.username, password=""))
    assert (response.status_code, fresh(claim).status) == (400, ClaimStatus.IN_REVIEW)


def test_it_refuses_a_wrong_password_with_403(claim: Claim, reviewer: User) -> None:
    before = snapshot(claim)
    response = client_for(reviewer).post(review_url(claim), form(claim, username=reviewer.username, password="guess"))
    assert (response.status_code, snapshot(claim)) == (403, before)
    assert "Wrong password" in text(response)


def test_it_records_the_wrong_password(claim: Claim, reviewer: User) -> None:
    client_for(reviewer).post(review_url(claim), form(claim, username=reviewer.username, password="guess"))
    assert Refusal.objects.get().kind == "wrong_password"


def test_it_refuses_separation_of_duties_with_403(claim: Claim, author: User) -> None:
    author.groups.add(Group.objects.get(name="Medical reviewers"))
    before = snapshot(claim)
    response = client_for(author).post(review_url(claim), form(claim, username=author.username))
    assert (response.status_code, snapshot(claim)) == (403, before)
    assert Refusal.objects.get().kind == "separation_of_duties"


def test_it_refuses_a_post_by_an_author(claim: Claim, author: User) -> None:
    before = snapshot(claim)
    response = client_for(author).post(review_url(claim), form(claim, username=author.username))
    assert (response.status_code, snapshot(claim)) == (403, before)


def test_it_refuses_a_post_by_an_outsider(claim: Claim, outsider: User) -> None:
    assert client_for(outsider).post(review_url(claim), form(claim, username=outsider.username)).status_code == 404


def test_it_refuses_a_post_without_a_csrf_token(claim: Claim, reviewer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    before = snapshot(claim)
    response = client.post(review_url(claim), form(claim, username=reviewer.username))
    assert (response.status_code, snapshot(claim)) == (403, before)


def test_it_accepts_a_post_with_the_csrf_token(claim: Claim, reviewer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    client.get(review_url(claim))
    response = client.post(
        review_url(claim),
        form(claim, username=reviewer.username, csrfmiddlewaretoken=client.cookies["csrftoken"].value),
    )
    assert (response.status_code, fresh(claim).status) == (302, ClaimStatus.APPROVED)


def test_it_refuses_a_review_of_a_claim_approved_meanwhile_with_409(
    claim: Claim, reviewer: User, second_reviewer: User
) -> None:
    approve(claim, reviewer)
    response = client_for(second_reviewer).post(
        review_url(claim), form(claim, username=second_reviewer.username, nuance_note="My careful note.")
    )
    assert response.status_code == 409
    assert "My careful note." in text(response)  # nothing the reviewer wrote is lost
    assert Review.objects.count() == 1


def test_it_says_409_not_400_when_an_incomplete_review_meets_a_closed_round(
    claim: Claim, reviewer: User, second_reviewer: User
) -> None:
    approve(claim, reviewer)
    response = client_for(second_reviewer).post(
        review_url(claim), form(claim, username=second_reviewer.username, evidence_grade="", nuance_note="Mine.")
    )
    assert (response.status_code, "Mine." in text(response)) == (409, True)


def test_it_refuses_a_stale_version_with_409_and_keeps_the_form(
    claim: Claim, author: User, reviewer: User, second_reviewer: User
) -> None:
    request_changes(claim, reviewer)
    revise(claim, author)
    fresh(claim).submit(by=author)
    response = client_for(second_reviewer).post(
        review_url(claim),
        form(
            claim,
            username=second_reviewer.username,
            version=1,
            decision="request_changes",
            password="",
            nuance_note="Kept.",
        ),
    )
    assert response.status_code == 409
    assert response.context["form"].initial["version"] == 2
    assert response.context["form"].initial["nuance_note"] == "Kept."


def test_it_mails_the_author_when_the_form_is_used(
    claim: Claim, reviewer: User, immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        client_for(reviewer).post(
            review_url(claim),
            form(
                claim,
                username=reviewer.username,
                decision="request_changes",
                password="",
                nuance_note="Name the harms.",
            ),
        )
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    assert "Name the harms." in mail.outbox[0].body


# --- the claim page: what the author sees ---------------------------------------------------


def test_it_shows_the_author_each_reviews_grade_tags_and_note(
    claim: Claim, author: User, reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    request_changes(claim, reviewer, tags=[tags["omits-adverse-effects"]], note="Name the **harms**.")
    page = text(client_for(author).get(f"/claims/{claim.pk}/"))
    assert "Low certainty" in page and "Omits adverse effects" in page and "Name the <strong>harms</strong>." in page


def test_it_offers_the_author_a_revision(claim: Claim, author: User, reviewer: User) -> None:
    request_changes(claim, reviewer)
    page = text(client_for(author).get(f"/claims/{claim.pk}/"))
    assert f'href="/claims/{claim.pk}/edit/"' in page and "A reviewer asked for changes" in page


def test_it_sanitises_the_note(claim: Claim, author: User, reviewer: User) -> None:
    request_changes(claim, reviewer, note='<script>alert("x")</script> [x](javascript:alert(1))')
    page = client_for(author).get(f"/claims/{claim.pk}/").content.decode()
    assert "<script>alert" not in page and "javascript:" not in page


def test_it_shows_the_signature_name_utc_time_and_meaning(claim: Claim, author: User, reviewer: User) -> None:
    sig = approve(claim, reviewer).signature
    page = text(client_for(author).get(f"/claims/{claim.pk}/"))
    assert f'Signed by <strong>Bob Reviewer</strong> at <time datetime="{sig.signed_at.isoformat()}">' in page
    assert f"{sig.signed_at:%Y-%m-%d %H:%M:%S} UTC</time>: “{DEFAULT_MEANING}”" in page


def test_it_shows_the_required_wording_of_a_tag(
    claim: Claim, author: User, reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    approve(claim, reviewer, tags=[tags["not-medical-advice"]])
    assert tags["not-medical-advice"].required_wording in text(client_for(author).get(f"/claims/{claim.pk}/"))


def test_it_shows_the_last_approved_version_after_a_revision(claim: Claim, author: User, reviewer: User) -> None:
    approve(claim, reviewer)
    revise(claim, author)
    assert "last approved version: v1" in text(client_for(author).get(f"/claims/{claim.pk}/"))


def test_it_counts_claims_per_status_on_the_home_page(claim: Claim, author: User) -> None:
    (article,) = client_for(author).get("/").context["articles"]  # the author's view: per article
    assert (article.pk, article.in_review) == (claim.article_id, 1)
