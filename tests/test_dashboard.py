"""The home page per role (my open work first) and the reviewer/compliance charts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from content.models import Claim, ClaimStatus
from review.audit import run_verification
from review.dashboard import figures as dashboard
from review.dashboard.charts import Bar, bar_chart, line_chart
from review.models import NuanceTag, Publication
from review.publishing.actions import publish_claim
from tests import review_helpers
from tests.conftest import client_for, import_text, numbered_text
from tests.review_helpers import approve, request_changes

tags = review_helpers.tags


def submitted_claims(author: User, n: int, title: str) -> list[Claim]:
    article = import_text(author, numbered_text(n, title))
    claims = list(article.claims.order_by("position"))
    for c in claims:
        c.submit(by=author)
    return [Claim.objects.get(pk=c.pk) for c in claims]


def build_data(author: User, reviewer: User, second: User, publisher: User, tags: dict[str, NuanceTag], n: int) -> None:
    """`n` claims of each kind: sent back with a note, approved and published, approved only, waiting."""
    claims = submitted_claims(author, 4 * n, f"Sleep {n}")
    for c in claims[:n]:
        request_changes(
            c, reviewer, tags=[tags["needs-population-qualifier"]], note=f"Name the population for #{c.pk}."
        )
    for c in claims[n : 3 * n]:
        approve(c, second)
    for c in claims[n : 2 * n]:
        publish_claim(Claim.objects.get(pk=c.pk), _website(), by=publisher)


def _website() -> Any:
    from review.models import Channel

    return Channel.objects.get(slug="website")


def home(user: User, **params: Any) -> str:
    response = client_for(user).get("/", params)
    assert response.status_code == 200
    return response.content.decode()


# --- my open work ---------------------------------------------------------------------------------


def test_it_shows_the_author_the_reviewers_note_on_sent_back_claims(
    author: User, reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    claim = submitted_claims(author, 2, "Sleep")[0]
    request_changes(claim, reviewer, note="Say **for whom** this holds.")
    page = home(author)
    assert re.search(r"Sent back to you <span class=\"count\">1</span>", page)
    assert "<strong>for whom</strong>" in page  # the note, rendered as Markdown
    assert "asked by Bob Reviewer" in page
    assert f'href="/claims/{claim.pk}/edit/"' in page


def test_it_lists_the_authors_articles_with_drafts_to_submit(author: User) -> None:
    import_text(author, numbered_text(3, "Drafty"))
    page = home(author)
    assert "Drafty" in page
    assert re.search(r'data-label="Drafts"><strong>3</strong>', page)


def test_it_hides_the_review_figures_from_authors(author: User) -> None:
    assert "Review figures" not in home(author)


def test_it_shows_the_reviewer_the_queue_head_they_have_not_signed(
    author: User, reviewer: User, second_reviewer: User, tags: dict[str, NuanceTag]
) -> None:
    signed, waiting = submitted_claims(author, 2, "Sleep")
    signed.approvals_needed = 2
    signed.save()
    approve(Claim.objects.get(pk=signed.pk), reviewer, tags=[tags["omits-adverse-effects"]])
    page = home(reviewer)
    assert re.search(r"Waiting for your review <span class=\"count\">1</span>", page)
    assert f'href="/claims/{waiting.pk}/review/"' in page
    assert f"#{signed.pk} " not in page.split("Waiting for your review")[1].split("</section>")[0]
    # The second reviewer still has both.
    assert re.search(r"Waiting for your review <span class=\"count\">2</span>", home(second_reviewer))


def test_it_shows_the_publisher_approved_versions_no_channel_carries(
    author: User, reviewer: User, second_reviewer: User, publisher: User, tags: dict[str, NuanceTag]
) -> None:
    out, ready = submitted_claims(author, 2, "Sleep")
    for c in (out, ready):
        approve(c, reviewer)
    publish_claim(Claim.objects.get(pk=out.pk), _website(), by=publisher)
    page = home(publisher)
    assert re.search(r"Approved, not yet published <span class=\"count\">1</span>", page)
    assert f'href="/claims/{ready.pk}/publish/"' in page
    assert f'href="/claims/{out.pk}/publish/"' not in page


def test_it_shows_claims_due_for_re_review(
    author: User, reviewer: User, publisher: User, tags: dict[str, NuanceTag]
) -> None:
    claim = submitted_claims(author, 1, "Sleep")[0]
    approve(claim, reviewer)
    website = _website()
    publish_claim(Claim.objects.get(pk=claim.pk), website, by=publisher)
    later = timezone.now() + timedelta(days=website.review_interval_days - 10)
    due = dashboard.due_work(dashboard.upcoming_due(publisher, later), later)["due"]
    assert [d.publication.claim_id for d in due] == [claim.pk]
    assert re.search(r"Due for re-review <span class=\"count\">0</span>", home(publisher))


def test_it_shows_compliance_recent_events_and_the_verification_state(author: User, compliance: User) -> None:
    import_text(author, numbered_text(2))
    page = home(compliance)
    assert "Not verified yet" in page
    assert "claim.created" in page
    result, _ = run_verification(compliance)  # no anchor is written outside a commit: may be "BROKEN" here
    import_text(author, numbered_text(1, "Later"))
    page = home(compliance)
    assert ("Intact" if result.ok else "BROKEN") in page
    assert re.search(r"\d+ events? recorded since", page)


# --- charts ---------------------------------------------------------------------------------------


def test_it_shows_reviewers_every_chart_with_its_numbers(
    author: User, reviewer: User, second_reviewer: User, publisher: User, tags: dict[str, NuanceTag]
) -> None:
    build_data(author, reviewer, second_reviewer, publisher, tags, 2)
    page = home(reviewer)
    assert page.count('<svg class="chart" role="img"') == 5  # the sixth, nothing due, says so instead
    assert "No live approval expires in the next 8 weeks." in page
    # Claims by status: 2 sent back, 4 approved, 2 in review, as table rows beside the chart.
    status = page.split('id="fig-status"')[1].split("</figure>")[0]
    assert '<th scope="row">Changes requested</th><td>2</td>' in status
    assert '<th scope="row">Approved</th><td>4</td>' in status
    grades = page.split('id="fig-grades"')[1].split("</figure>")[0]
    assert '<th scope="row">High certainty</th><td>4</td>' in grades
    assert '<th scope="row">Low certainty</th><td>2</td>' in grades
    workload = page.split('id="fig-workload"')[1].split("</figure>")[0]
    assert '<th scope="row">Carol Reviewer</th><td>4</td>' in workload
    assert '<th scope="row">Bob Reviewer</th><td>2</td>' in workload
    assert "Needs a population qualifier" in page.split('id="fig-tags"')[1].split("</figure>")[0]


def test_it_charts_approvals_falling_due_by_week(
    author: User, reviewer: User, publisher: User, tags: dict[str, NuanceTag]
) -> None:
    claim = submitted_claims(author, 1, "Sleep")[0]
    approve(claim, reviewer)
    website = _website()
    publish_claim(Claim.objects.get(pk=claim.pk), website, by=publisher)
    # Seen from 17 days before the approval expires: it falls due in the third week; nothing is overdue yet.
    then = timezone.now() + timedelta(days=website.review_interval_days - 17)
    bars = dashboard.due_buckets(dashboard.upcoming_due(reviewer, then), then)
    assert [b.value for b in bars] == [0, 0, 0, 1, 0, 0, 0, 0, 0]
    later = then + timedelta(days=30)
    assert dashboard.due_buckets(dashboard.upcoming_due(reviewer, later), later)[0].value == 1  # overdue


def test_it_measures_cycle_time_from_submission_to_decision(
    author: User, reviewer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() - timedelta(days=3))
    claim = submitted_claims(author, 1, "Sleep")[0]  # submitted three days ago
    monkeypatch.setattr(timezone, "now", real_now)
    request_changes(claim, reviewer)
    points = dashboard.cycle_times(4)
    assert points[-1][1] == 3.0
    assert [v for _, v in points[:-1]] == [None, None, None]


def test_it_answers_an_htmx_period_change_with_only_the_charts(compliance: User) -> None:
    response = client_for(compliance).get("/", {"weeks": "26"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "last 26 weeks" in body


def test_it_falls_back_to_twelve_weeks_for_an_unknown_period(compliance: User) -> None:
    assert "last 12 weeks" in home(compliance, weeks="9999")


def test_it_escapes_chart_labels() -> None:
    svg = bar_chart("Tags <b>", [Bar("<script>alert(1)</script>", 3)])
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "<title>Tags &lt;b&gt;</title>" in svg


def test_it_leaves_a_gap_for_weeks_without_decisions() -> None:
    svg = line_chart("Cycle", [("a", 1.0), ("b", None), ("c", 2.0)])
    path = re.search(r'<path class="line" d="([^"]+)"', svg)
    assert path is not None
    assert path.group(1).count("M") == 2  # the pen lifts over the empty week
    assert svg.count("<circle") == 2


# --- cost -----------------------------------------------------------------------------------------


# Queries per home page, whatever the data: 7 for every request (session read, user, two
# permission reads, the idle-timeout session save in a savepoint), then each section's own.
# The reviewer's page also counts flags per triage rule (one grouped query).
# Each includes the header's unread-notices count.
CEILING = {"author": 11, "reviewer": 19, "publisher": 12, "compliance": 17}


@pytest.mark.parametrize("n", [1, 6])
@pytest.mark.parametrize("who", ["author", "reviewer", "publisher", "compliance"])
def test_it_costs_the_same_queries_however_much_data(
    who: str,
    n: int,
    author: User,
    reviewer: User,
    second_reviewer: User,
    publisher: User,
    compliance: User,
    tags: dict[str, NuanceTag],
    django_assert_max_num_queries: Any,
) -> None:
    build_data(author, reviewer, second_reviewer, publisher, tags, n)
    run_verification(compliance)
    user = {"author": author, "reviewer": reviewer, "publisher": publisher, "compliance": compliance}[who]
    client: Client = client_for(user)
    client.get("/")  # the first request after login rewrites the session; measure a steady one
    # Same ceiling for 4 and 24 claims: the page's query count does not grow with the data.
    with django_assert_max_num_queries(CEILING[who]):
        response = client.get("/")
    assert response.status_code == 200
    if who == "author":
        assert Claim.objects.filter(status=ClaimStatus.CHANGES_REQUESTED).count() == n
    assert Publication.objects.count() == n
