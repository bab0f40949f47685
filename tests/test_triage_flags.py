"""Risk flags in the database: raised on import and revision, shown in the claim JSON and the review page,
dismissed by reviewers with a reason, and used to sort the queue. Flags are advice: they never block."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone

from content import flagging, receivers, triage
from content.actions import import_article
from content.models import Article, Claim, ClaimFlag, ClaimStatus, ClaimVersion, content_hash
from review.audit import SYSTEM_USERNAME
from tests.conftest import client_for
from tests.test_library import approve, claims_of, import_claims

pytestmark = pytest.mark.django_db

RISKY = "Antidepressants always repair the damaged brain."
PLAIN = "Regular exercise is associated with lower blood pressure (Smith, 2021)."


def codes(claim: Claim, version: int | None = None) -> set[str]:
    return set(ClaimFlag.objects.filter(claim=claim, version=version or claim.version).values_list("code", flat=True))


@pytest.fixture
def risky(author: User) -> Claim:
    (claim,) = claims_of(import_claims(author, RISKY))
    return claim


def flag_of(claim: Claim, code: str) -> ClaimFlag:
    return ClaimFlag.objects.get(claim=claim, version=claim.version, code=code)


# --- Raised on import and revision ----------------------------------------------------------------------------------


def test_it_flags_claims_on_import(risky: Claim) -> None:
    assert codes(risky) == {"absolute_language", "overreach", "causal_claim", "no_citation"}


def test_it_records_the_evidence_why_and_rules_version(risky: Claim) -> None:
    flag = flag_of(risky, "overreach")
    assert (flag.evidence, flag.rules_version) == ("repair", triage.RULES_VERSION)
    assert flag.why.startswith("Restorative effect stated as fact")


def test_it_records_who_raised_a_flag_in_history(risky: Claim, author: User) -> None:
    record = flag_of(risky, "overreach").history.get()
    reason = f"Triage rules v{triage.RULES_VERSION} on version 1"
    assert (record.history_user, record.history_change_reason) == (author, reason)


def test_it_raises_no_flag_on_a_plain_cited_claim(author: User) -> None:
    (claim,) = claims_of(import_claims(author, PLAIN))
    assert codes(claim) == set()


def test_it_flags_every_new_version(risky: Claim, author: User) -> None:
    risky.revise(
        text="Antidepressants may help some people feel better.", expected_version=1, reason="Hedge", by=author
    )
    assert codes(risky, 2) == {"no_citation"}
    assert "overreach" in codes(risky, 1)


def test_it_flags_the_sample_article_on_import(sample_article: Article) -> None:
    claims = claims_of(sample_article)
    assert len(claims) == 25
    assert codes(claims[14]) == {"absolute_language", "adverse_effect_minimisation", "no_citation"}  # claim 15
    assert codes(claims[5]) == {"extrapolation"}  # claim 6: REBUS
    assert "old_citation" in codes(claims[2])  # claim 3: 2001, 2006
    assert date.today().year - 2006 > triage.OLD_CITATION_YEARS


def test_it_never_blocks_a_flagged_claim(risky: Claim, author: User, reviewer: User) -> None:
    approve(risky, reviewer)
    risky.refresh_from_db()
    assert risky.status == ClaimStatus.APPROVED and codes(risky)


# --- In the claim JSON ----------------------------------------------------------------------------------------------


def test_it_lists_open_flags_of_the_current_version_in_the_claim_json(risky: Claim, author: User) -> None:
    body = client_for(author).get(reverse("api_claim", args=[risky.pk])).json()
    overreach = flag_of(risky, "overreach")
    expected = {"id": overreach.pk, "code": "overreach", "severity": "risk", "evidence": "repair", "why": overreach.why}
    assert expected in body["risk_flags"]
    assert {f["code"] for f in body["risk_flags"]} == {"absolute_language", "overreach", "causal_claim", "no_citation"}
    assert all(set(f) == {"id", "code", "severity", "evidence", "why"} for f in body["risk_flags"])


def test_it_leaves_dismissed_flags_and_older_versions_out_of_the_claim_json(
    risky: Claim, author: User, reviewer: User
) -> None:
    flag_of(risky, "no_citation").dismiss(by=reviewer, reason="Common knowledge for this audience.")
    risky.revise(text="Antidepressants always help.", expected_version=1, reason="Shorter", by=author)
    body = client_for(author).get(reverse("api_claim", args=[risky.pk])).json()
    assert {f["code"] for f in body["risk_flags"]} == {"absolute_language", "no_citation"}
    assert client_for(author).get(reverse("api_claims")).json()["results"][0]["risk_flags"] == body["risk_flags"]


# --- Dismissal: API -------------------------------------------------------------------------------------------------


def api_dismiss_url(claim: Claim, flag: ClaimFlag) -> str:
    return reverse("api_claim_flag_dismiss", args=[claim.pk, flag.pk])


def test_it_dismisses_a_flag_through_the_api(risky: Claim, reviewer: User) -> None:
    flag = flag_of(risky, "absolute_language")
    response = client_for(reviewer).post(
        api_dismiss_url(risky, flag), {"reason": "Quoted from a patient."}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["dismissed_by"], response.json()["dismissed_reason"]) == ("bob", "Quoted from a patient.")
    flag.refresh_from_db()
    assert flag.dismissed_at is not None and not flag.is_open


def test_it_records_the_dismissal_with_its_reason_in_history(risky: Claim, reviewer: User) -> None:
    flag = flag_of(risky, "absolute_language")
    client_for(reviewer).post(api_dismiss_url(risky, flag), {"reason": "Quoted."}, content_type="application/json")
    latest = flag.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        reviewer,
        "Dismissed absolute_language flag: Quoted.",
    )
    assert latest.dismissed_reason == "Quoted." and flag.history.count() == 2


def test_it_refuses_get_on_api_dismiss(risky: Claim, reviewer: User) -> None:
    assert client_for(reviewer).get(api_dismiss_url(risky, flag_of(risky, "overreach"))).status_code == 405


def test_it_hides_api_dismiss_from_outsiders(risky: Claim, outsider: User) -> None:
    url = api_dismiss_url(risky, flag_of(risky, "overreach"))
    assert client_for(outsider).post(url, {"reason": "x"}, content_type="application/json").status_code == 404


def test_it_refuses_api_dismiss_to_the_author(risky: Claim, author: User) -> None:
    url = api_dismiss_url(risky, flag_of(risky, "overreach"))
    assert client_for(author).post(url, {"reason": "x"}, content_type="application/json").status_code == 403
    assert flag_of(risky, "overreach").is_open


def test_it_refuses_to_dismiss_twice_through_the_api(risky: Claim, reviewer: User) -> None:
    client = client_for(reviewer)
    url = api_dismiss_url(risky, flag_of(risky, "overreach"))
    client.post(url, {"reason": "Fine."}, content_type="application/json")
    response = client.post(url, {"reason": "Again."}, content_type="application/json")
    assert response.status_code == 409 and response.json()["detail"] == "This flag is already dismissed."


def test_it_requires_a_reason_to_dismiss_through_the_api(risky: Claim, reviewer: User) -> None:
    response = client_for(reviewer).post(
        api_dismiss_url(risky, flag_of(risky, "overreach")), {"reason": "  "}, content_type="application/json"
    )
    assert response.status_code == 400 and "reason" in response.json()


def test_it_refuses_a_flag_of_another_claim(risky: Claim, author: User, reviewer: User) -> None:
    (other,) = claims_of(import_claims(author, "Green tea always cures colds.", title="Tea"))
    url = api_dismiss_url(other, flag_of(risky, "overreach"))
    assert client_for(reviewer).post(url, {"reason": "x"}, content_type="application/json").status_code == 404


# --- Dismissal: the review page -------------------------------------------------------------------------------------


def dismiss_url(claim: Claim, flag: ClaimFlag) -> str:
    return reverse("claim_flag_dismiss", args=[claim.pk, flag.pk])


def test_it_shows_flags_with_evidence_and_a_dismiss_form_to_reviewers(risky: Claim, reviewer: User) -> None:
    risky.submit(by=risky.article.owner)
    page = client_for(reviewer).get(reverse("claim_review", args=[risky.pk])).content.decode()
    assert "Causal or restorative overreach</strong>: “repair”" in page
    assert dismiss_url(risky, flag_of(risky, "overreach")) in page


def test_it_shows_flags_but_no_dismiss_form_to_the_author(risky: Claim, author: User) -> None:
    page = client_for(author).get(reverse("claim_detail", args=[risky.pk])).content.decode()
    assert "Absolute or certainty language" in page
    assert dismiss_url(risky, flag_of(risky, "overreach")) not in page


def test_it_dismisses_a_flag_from_the_review_page(risky: Claim, reviewer: User) -> None:
    flag = flag_of(risky, "overreach")
    back = reverse("claim_detail", args=[risky.pk])
    response = client_for(reviewer).post(dismiss_url(risky, flag), {"reason": "Figurative.", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    flag.refresh_from_db()
    assert (flag.dismissed_by, flag.dismissed_reason) == (reviewer, "Figurative.")


def test_it_shows_a_dismissed_flag_with_who_and_why(risky: Claim, reviewer: User) -> None:
    flag_of(risky, "overreach").dismiss(by=reviewer, reason="Figurative.")
    page = client_for(reviewer).get(reverse("claim_detail", args=[risky.pk])).content.decode()
    assert "Dismissed by Bob Reviewer" in page and "Figurative." in page


def test_it_refuses_get_on_dismiss(risky: Claim, reviewer: User) -> None:
    assert client_for(reviewer).get(dismiss_url(risky, flag_of(risky, "overreach"))).status_code == 405


def test_it_hides_dismiss_from_outsiders(risky: Claim, outsider: User) -> None:
    response = client_for(outsider).post(dismiss_url(risky, flag_of(risky, "overreach")), {"reason": "x"})
    assert response.status_code == 404


def test_it_refuses_dismiss_to_the_author(risky: Claim, author: User) -> None:
    response = client_for(author).post(dismiss_url(risky, flag_of(risky, "overreach")), {"reason": "x"})
    assert response.status_code == 403


def test_it_refuses_to_dismiss_twice(risky: Claim, reviewer: User) -> None:
    client = client_for(reviewer)
    client.post(dismiss_url(risky, flag_of(risky, "overreach")), {"reason": "Fine."})
    assert client.post(dismiss_url(risky, flag_of(risky, "overreach")), {"reason": "Again."}).status_code == 409


def test_it_requires_a_reason_to_dismiss(risky: Claim, reviewer: User) -> None:
    assert client_for(reviewer).post(dismiss_url(risky, flag_of(risky, "overreach")), {"reason": ""}).status_code == 400
    assert flag_of(risky, "overreach").is_open


# --- The queue sorted by risk ---------------------------------------------------------------------------------------


@pytest.fixture
def queued(author: User) -> list[Claim]:
    """Three claims in review, oldest first: plain (0 risk flags), mild (2) and risky (4)."""
    article = import_claims(author, PLAIN, "Walking helps mood.", RISKY)
    claims = claims_of(article)
    for claim in claims:
        claim.submit(by=author)
    return claims


def test_it_sorts_the_queue_by_open_risk_flags(queued: list[Claim], reviewer: User) -> None:
    body = client_for(reviewer).get(reverse("api_review_queue"), {"sort": "risk"}).json()
    assert [c["id"] for c in body["results"]] == [queued[2].pk, queued[1].pk, queued[0].pk]


def test_it_keeps_the_queue_oldest_first_by_default(queued: list[Claim], reviewer: User) -> None:
    body = client_for(reviewer).get(reverse("api_review_queue")).json()
    assert [c["id"] for c in body["results"]] == [c.pk for c in queued]


def test_it_stops_counting_dismissed_flags_in_the_risk_order(queued: list[Claim], reviewer: User) -> None:
    for flag in ClaimFlag.objects.filter(claim=queued[2]):
        flag.dismiss(by=reviewer, reason="Checked.")
    body = client_for(reviewer).get(reverse("api_review_queue"), {"sort": "risk"}).json()
    assert [c["id"] for c in body["results"]] == [queued[1].pk, queued[0].pk, queued[2].pk]


def test_it_rejects_an_unknown_queue_order(queued: list[Claim], reviewer: User) -> None:
    assert client_for(reviewer).get(reverse("api_review_queue"), {"sort": "newest"}).status_code == 400


def test_it_sorts_the_queue_page_by_risk_and_shows_the_count(queued: list[Claim], reviewer: User) -> None:
    page = client_for(reviewer).get(reverse("review_queue"), {"sort": "risk"}).content.decode()
    assert page.index(f"#{queued[2].pk} ") < page.index(f"#{queued[1].pk} ") < page.index(f"#{queued[0].pk} ")
    assert "4 risk flags" in page and "2 risk flags" in page


def test_it_backfills_flags_for_claims_written_before_triage(author: User) -> None:
    # A revision written as the app wrote it before triage existed: the version saved, no receiver.
    (claim,) = claims_of(import_claims(author, PLAIN))
    claim.text, claim.version, claim.content_hash = RISKY, 2, content_hash(RISKY, [])
    claim._save_as(author, "Before triage")
    claim.citations.clear()
    uid = "vetted_triage_new_version"
    post_save.disconnect(receivers.triage_new_version, sender=ClaimVersion, dispatch_uid=uid)
    try:
        ClaimVersion.record(claim, author, "Before triage")
    finally:
        post_save.connect(receivers.triage_new_version, sender=ClaimVersion, dispatch_uid=uid)
    assert codes(claim) == set()
    call_command("triage_claims", "--no-match", stdout=StringIO())
    assert codes(claim) == {"absolute_language", "overreach", "causal_claim", "no_citation"}
    assert flag_of(claim, "overreach").history.get().history_user.username == SYSTEM_USERNAME


# --- Severity -------------------------------------------------------------------------------------------------------

BACKGROUND = "Asthma is a condition of the airways."


def test_it_stores_the_severity_of_each_flag(author: User) -> None:
    (claim,) = claims_of(import_claims(author, BACKGROUND))
    assert flag_of(claim, "no_citation").severity == "info"


def test_it_gives_rows_written_before_severities_the_risk_default(risky: Claim) -> None:
    row = ClaimFlag.objects.create(claim=risky, version=1, code="hype", evidence="miracle", why="w", rules_version=1)
    row.refresh_from_db()
    assert row.severity == "risk"


def test_it_shows_the_severity_of_info_flags_in_the_claim_json(author: User) -> None:
    (claim,) = claims_of(import_claims(author, BACKGROUND))
    body = client_for(author).get(reverse("api_claim", args=[claim.pk])).json()
    assert [(f["code"], f["severity"]) for f in body["risk_flags"]] == [("no_citation", "info")]


def test_it_leaves_info_flags_out_of_the_risk_count(author: User) -> None:
    (claim,) = claims_of(import_claims(author, BACKGROUND))
    assert flagging.with_risk(Claim.objects.filter(pk=claim.pk)).get().risk == 0  # type: ignore[attr-defined]


# --- Article-level rules on import and revision ---------------------------------------------------------------------


def test_it_flags_benefit_claims_of_an_article_that_never_mentions_harms(author: User) -> None:
    claims = claims_of(import_claims(author, "Migraine is common.", "The new drug reduces migraine days."))
    assert "harms_omitted" in codes(claims[1]) and "harms_omitted" not in codes(claims[0])


def test_it_does_not_flag_benefits_when_the_article_mentions_side_effects(author: User) -> None:
    article = import_claims(author, "The new drug reduces migraine days.", "Side effects include dizziness.")
    assert not ClaimFlag.objects.filter(claim__article=article, code="harms_omitted").exists()


def test_it_flags_a_revision_that_claims_a_benefit_in_an_article_without_harms(author: User) -> None:
    (claim,) = claims_of(import_claims(author, "Migraine is common."))
    claim.revise(text="The new drug reduces migraine days.", expected_version=1, reason="Add result", by=author)
    assert "harms_omitted" in codes(claim, 2)


def test_it_measures_old_citations_from_the_articles_own_year(author: User) -> None:
    text = "Exercise and health\n\nPublished: May 4, 2012\n\nExercise lowers blood pressure (Ames, 2000).\n"
    article = import_article(text=text, fmt="text", author=author).article
    cited = [c for c in claims_of(article) if c.citations.exists()]
    assert cited and all("old_citation" not in codes(c) for c in cited)


# --- Rule statistics ------------------------------------------------------------------------------------------------


def test_it_counts_raised_and_dismissed_flags_per_rule(risky: Claim, reviewer: User) -> None:
    flag_of(risky, "absolute_language").dismiss(by=reviewer, reason="Quoted.")
    stats = {s.code: s for s in flagging.rule_stats()}
    assert (stats["absolute_language"].raised, stats["absolute_language"].dismissed) == (1, 1)
    assert stats["absolute_language"].share_dismissed == 1.0
    assert (stats["overreach"].raised, stats["overreach"].dismissed) == (1, 0)


def test_it_lists_every_rule_even_when_it_raised_nothing(db: None) -> None:
    stats = flagging.rule_stats()
    assert [s.code for s in stats] == [c.value for c in triage.Code]
    assert all(s.raised == 0 and s.share_dismissed is None for s in stats)


def test_it_counts_only_flags_raised_in_the_period(risky: Claim) -> None:
    later = timezone.now() + timedelta(days=1)
    assert all(s.raised == 0 for s in flagging.rule_stats(since=later))
    assert sum(s.raised for s in flagging.rule_stats(until=later)) == ClaimFlag.objects.count()


def test_it_serves_rule_statistics_to_reviewers(risky: Claim, reviewer: User) -> None:
    flag_of(risky, "overreach").dismiss(by=reviewer, reason="Fine in context.")
    body = client_for(reviewer).get(reverse("api_triage_rules")).json()
    row = next(r for r in body if r["code"] == "overreach")
    assert row == {
        "code": "overreach",
        "name": "Causal or restorative overreach",
        "raised": 1,
        "dismissed": 1,
        "share_dismissed": 1.0,
    }


def test_it_filters_rule_statistics_by_period(risky: Claim, reviewer: User) -> None:
    since = (timezone.now() + timedelta(days=1)).isoformat()
    body = client_for(reviewer).get(reverse("api_triage_rules"), {"since": since}).json()
    assert all(r["raised"] == 0 for r in body)


def test_it_rejects_a_malformed_period(reviewer: User) -> None:
    assert client_for(reviewer).get(reverse("api_triage_rules"), {"since": "last tuesday"}).status_code == 400


def test_it_refuses_rule_statistics_to_authors(author: User) -> None:
    assert client_for(author).get(reverse("api_triage_rules")).status_code == 403


def test_it_refuses_post_on_rule_statistics(reviewer: User) -> None:
    assert client_for(reviewer).post(reverse("api_triage_rules")).status_code == 405
