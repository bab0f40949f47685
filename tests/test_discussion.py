"""Comments on a claim's words, threads following new versions, blocking threads, signed suggestions."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from content.models import Claim, ClaimStatus
from review import audit
from review.actions import intact_approvals
from review.audit import reconcile, run_verification
from review.discussion import actions
from review.discussion.anchoring import relocate
from review.models import AuditEvent, Comment, Review, Signature, Suggestion, SuggestionStatus
from tests import review_helpers
from tests.conftest import PASSWORD, client_for, import_text

TEXT = "Regular exercise greatly reduces the risk of heart disease in older adults (Smith, 2019)."
WORDS = "greatly reduces"  # at 17..32
ACCURATE = "accurate"


@pytest.fixture
def claim(author: User) -> Claim:
    """A one-claim article at v1, in review."""
    article = import_text(author, f"Exercise\n\n{TEXT}\n")
    c = article.claims.get()
    c.submit(by=author)
    return review_helpers.fresh(c)


def span(words: str, text: str = TEXT) -> dict[str, int]:
    start = text.index(words)
    return {"start": start, "end": start + len(words)}


def post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data or {}, content_type="application/json")


def thread_on(claim: Claim, by: User, words: str = WORDS, **extra: Any) -> Comment:
    c = review_helpers.fresh(claim)
    return actions.comment(claim=c, by=by, version=c.version, body="Overstated.", **span(words, c.text), **extra)


def send_back(claim: Claim, reviewer: User) -> None:
    review_helpers.request_changes(review_helpers.fresh(claim), reviewer)


def rewrite(claim: Claim, author: User, text: str) -> Claim:
    return review_helpers.revise(claim, author, text)


def signed_suggestion(claim: Claim, reviewer: User, words: str = WORDS, text: str = "may reduce") -> Suggestion:
    c = review_helpers.fresh(claim)
    sign = actions.Signing(password=PASSWORD, signature_meaning=ACCURATE, evidence_grade="high")
    return actions.suggest(claim=c, by=reviewer, version=c.version, text=text, sign=sign, **span(words, c.text))


# --- the anchoring rule (pure) ----------------------------------------------------------------------


def test_it_finds_the_same_words_exactly_nearest_to_where_they_were() -> None:
    old = "the risk and the risk"
    found = relocate("the risk", old.rindex("the risk"), old, "Lower: the risk and the risk")
    assert found is not None and (found.start, found.how) == (20, "exact")


def test_it_does_not_take_words_inside_a_longer_word_as_an_exact_match() -> None:
    found = relocate("reduce", 8, "It will reduce it.", "It reduces it.")
    assert found is not None and found.how == "fuzzy"


def test_it_finds_reworded_words_by_a_fuzzy_match_over_the_threshold() -> None:
    found = relocate("greatly reduce", 17, "Exercise may greatly reduce risk.", "Exercise greatly reduces risk.")
    assert found is not None and ("fuzzy", "greatly reduces") == (
        found.how,
        "Exercise greatly reduces risk."[found.start : found.end],
    )


def test_it_finds_nothing_when_the_words_are_gone() -> None:
    assert (
        relocate("greatly reduce", 13, "Exercise may greatly reduce risk.", "Exercise is linked to lower risk.") is None
    )


# --- comments ---------------------------------------------------------------------------------------


def test_it_comments_on_three_words_of_a_version(claim: Claim, reviewer: User) -> None:
    url = f"/api/v1/claims/{claim.pk}/comments/"
    r = post(client_for(reviewer), url, {"version": 1, **span("of heart disease"), "body": "Which outcome?"})
    assert r.status_code == 201 and r.json()["quote"] == "of heart disease"


def test_it_refuses_a_quote_that_is_not_the_words_at_that_span(claim: Claim, reviewer: User) -> None:
    data = {"version": 1, **span(WORDS), "quote": "greatly lowers", "body": "x"}
    r = post(client_for(reviewer), f"/api/v1/claims/{claim.pk}/comments/", data)
    assert r.status_code == 400 and "quote" in r.json()


def test_it_refuses_a_span_past_the_end_of_the_text(claim: Claim, reviewer: User) -> None:
    data = {"version": 1, "start": 10, "end": len(TEXT) + 1, "body": "x"}
    assert post(client_for(reviewer), f"/api/v1/claims/{claim.pk}/comments/", data).status_code == 400


def test_it_refuses_a_comment_on_an_old_version(claim: Claim, author: User, reviewer: User) -> None:
    send_back(claim, reviewer)
    rewrite(claim, author, TEXT.replace("Regular", "Daily"))
    data = {"version": 1, **span(WORDS), "body": "x"}
    assert post(client_for(reviewer), f"/api/v1/claims/{claim.pk}/comments/", data).status_code == 409


def test_it_replies_in_a_thread_and_lists_the_reply_under_it(claim: Claim, author: User, reviewer: User) -> None:
    thread = thread_on(claim, reviewer)
    post(
        client_for(author), f"/api/v1/claims/{claim.pk}/comments/", {"body": "Fixed wording soon.", "parent": thread.pk}
    )
    listed = client_for(reviewer).get(f"/api/v1/claims/{claim.pk}/comments/?version=1").json()
    assert [r["body"] for r in listed[0]["replies"]] == ["Fixed wording soon."]


def test_it_gives_outsiders_404_and_compliance_403(claim: Claim, outsider: User, compliance: User) -> None:
    url = f"/api/v1/claims/{claim.pk}/comments/"
    data = {"version": 1, **span(WORDS), "body": "x"}
    assert (post(client_for(outsider), url, data).status_code, post(client_for(compliance), url, data).status_code) == (
        404,
        403,
    )


def test_it_lets_only_reviewers_mark_a_comment_blocking(claim: Claim, author: User) -> None:
    data = {"version": 1, **span(WORDS), "body": "x", "blocking": True}
    assert post(client_for(author), f"/api/v1/claims/{claim.pk}/comments/", data).status_code == 403


def test_it_refuses_get_on_resolve(claim: Claim, reviewer: User) -> None:
    thread = thread_on(claim, reviewer)
    assert client_for(reviewer).get(f"/api/v1/comments/{thread.pk}/resolve/").status_code == 405


def test_it_resolves_a_thread_once(claim: Claim, author: User, reviewer: User) -> None:
    thread = thread_on(claim, reviewer)
    first = post(client_for(author), f"/api/v1/comments/{thread.pk}/resolve/")
    again = post(client_for(author), f"/api/v1/comments/{thread.pk}/resolve/")
    assert (first.status_code, first.json()["resolved"], again.status_code) == (200, True, 409)


# --- blocking threads -------------------------------------------------------------------------------


def test_it_refuses_to_approve_while_a_blocking_thread_is_open(claim: Claim, reviewer: User) -> None:
    thread_on(claim, reviewer, blocking=True)
    with pytest.raises(Exception, match="blocking comment on “greatly reduces” is open"):
        review_helpers.approve(claim, reviewer)


def test_it_approves_once_a_reviewer_resolved_the_blocking_thread(claim: Claim, reviewer: User) -> None:
    thread = thread_on(claim, reviewer, blocking=True)
    thread.resolve(by=reviewer)
    review_helpers.approve(claim, reviewer)
    assert review_helpers.fresh(claim).status == ClaimStatus.APPROVED


def test_it_refuses_the_author_resolving_a_blocking_thread(claim: Claim, author: User, reviewer: User) -> None:
    thread = thread_on(claim, reviewer, blocking=True)
    assert post(client_for(author), f"/api/v1/comments/{thread.pk}/resolve/").status_code == 403


def test_it_answers_the_blocked_approval_with_409_and_the_reason(claim: Claim, reviewer: User) -> None:
    thread_on(claim, reviewer, blocking=True)
    data = {"version": 1, "decision": "approve", "evidence_grade": "high", "password": PASSWORD}
    data |= {"username": reviewer.username, "signature_meaning": ACCURATE}
    r = post(client_for(reviewer), f"/api/v1/claims/{claim.pk}/reviews/", data)
    assert r.status_code == 409 and "blocking" in r.json()["detail"]


# --- carry-forward ----------------------------------------------------------------------------------


def test_it_moves_an_open_thread_to_the_same_words_in_the_new_version(
    claim: Claim, author: User, reviewer: User
) -> None:
    thread = thread_on(claim, reviewer)
    send_back(claim, reviewer)
    new = "In older adults, regular exercise greatly reduces the risk of heart disease (Smith, 2019)."
    rewrite(claim, author, new)
    thread.refresh_from_db()
    assert (thread.claim_version, new[thread.start : thread.end], thread.outdated) == (2, WORDS, False)


def test_it_moves_a_thread_to_reworded_words_by_fuzzy_match(claim: Claim, author: User, reviewer: User) -> None:
    thread = thread_on(claim, reviewer)
    send_back(claim, reviewer)
    new = TEXT.replace("greatly reduces", "greatly reduce")
    rewrite(claim, author, new)
    thread.refresh_from_db()
    assert (thread.claim_version, new[thread.start : thread.end]) == (2, "greatly reduce")


def test_it_marks_a_thread_outdated_with_its_old_words_when_they_are_gone(
    claim: Claim, author: User, reviewer: User
) -> None:
    thread = thread_on(claim, reviewer)
    send_back(claim, reviewer)
    rewrite(claim, author, "Regular exercise is linked to fewer heart attacks in older adults (Smith, 2019).")
    thread.refresh_from_db()
    assert (thread.claim_version, thread.outdated, thread.start, thread.quote) == (2, True, None, WORDS)


def test_it_leaves_a_resolved_thread_on_its_version(claim: Claim, author: User, reviewer: User) -> None:
    thread = thread_on(claim, reviewer)
    thread.resolve(by=reviewer)
    send_back(claim, reviewer)
    rewrite(claim, author, TEXT.replace("Regular", "Daily"))
    thread.refresh_from_db()
    assert thread.claim_version == 1


def test_it_records_the_move_with_how_the_words_were_found(claim: Claim, author: User, reviewer: User) -> None:
    thread = thread_on(claim, reviewer)
    send_back(claim, reviewer)
    rewrite(claim, author, TEXT.replace("Regular", "Daily"))
    event = AuditEvent.objects.filter(object_type="comment", object_id=str(thread.pk)).order_by("-id").first()
    assert event is not None and (event.reason, event.claim_id) == ("Moved to version 2 (exact match)", claim.pk)


def test_it_keeps_an_outdated_blocking_thread_blocking(claim: Claim, author: User, reviewer: User) -> None:
    thread_on(claim, reviewer, blocking=True)
    send_back(claim, reviewer)
    rewrite(claim, author, "Regular exercise is linked to fewer heart attacks (Smith, 2019).").submit(by=author)
    with pytest.raises(Exception, match="blocking comment"):
        review_helpers.approve(review_helpers.fresh(claim), reviewer)


# --- suggestions ------------------------------------------------------------------------------------


def test_it_accepts_a_suggestion_as_a_new_version_with_exactly_that_text(
    claim: Claim, author: User, reviewer: User
) -> None:
    suggestion = actions.suggest(claim=claim, by=reviewer, version=1, text="may reduce", **span(WORDS))
    send_back(claim, reviewer)
    after = actions.accept(suggestion=suggestion, by=author)
    latest = after.versions.order_by("-version").first()
    assert latest is not None and (latest.text, latest.change_reason, after.status) == (
        TEXT.replace(WORDS, "may reduce"),
        "accepted suggestion from Bob Reviewer",
        ClaimStatus.DRAFT,
    )


def test_it_counts_a_signed_suggestion_accepted_unchanged_as_the_approval(
    claim: Claim, author: User, reviewer: User
) -> None:
    suggestion = signed_suggestion(claim, reviewer)
    send_back(claim, reviewer)
    after = actions.accept(suggestion=suggestion, by=author)
    assert (after.status, after.version, after.approved_version, intact_approvals(after)) == (
        ClaimStatus.APPROVED,
        2,
        2,
        1,
    )


def test_it_seals_the_counted_signature_to_the_hash_signed_before_the_version_existed(
    claim: Claim, author: User, reviewer: User
) -> None:
    suggestion = signed_suggestion(claim, reviewer)
    send_back(claim, reviewer)
    after = actions.accept(suggestion=suggestion, by=author)
    signature = Signature.objects.get(review__claim=after, review__version=2)
    assert (signature.content_hash, signature.signed_at, signature.is_intact()) == (
        after.content_hash,
        suggestion.signed_at,
        True,
    )


def test_it_voids_a_signed_suggestion_when_the_author_writes_other_words(
    claim: Claim, author: User, reviewer: User
) -> None:
    suggestion = signed_suggestion(claim, reviewer)
    send_back(claim, reviewer)
    rewrite(claim, author, TEXT.replace(WORDS, "may reduce,"))
    suggestion.refresh_from_db()
    counted = Review.objects.filter(claim=claim, version=2).exists()
    assert (suggestion.status, counted) == (SuggestionStatus.SUPERSEDED, False)


def test_it_does_not_count_a_signature_from_before_a_new_review_round(
    claim: Claim, author: User, reviewer: User
) -> None:
    suggestion = signed_suggestion(claim, reviewer)
    review_helpers.fresh(claim).start_new_round(by=reviewer, reason="A cited work was retracted")
    send_back(claim, reviewer)
    after = actions.accept(suggestion=suggestion, by=author)
    assert (after.version, after.status, intact_approvals(after)) == (2, ClaimStatus.DRAFT, 0)


def test_it_refuses_to_accept_a_superseded_suggestion(claim: Claim, author: User, reviewer: User) -> None:
    suggestion = signed_suggestion(claim, reviewer)
    send_back(claim, reviewer)
    rewrite(claim, author, TEXT.replace("Regular", "Daily"))
    assert post(client_for(author), f"/api/v1/suggestions/{suggestion.pk}/accept/").status_code == 409


def test_it_keeps_a_second_reviewers_bar_after_a_signed_suggestion(claim: Claim, author: User, reviewer: User) -> None:
    c = review_helpers.fresh(claim)
    sign = actions.Signing(password=PASSWORD, signature_meaning=ACCURATE, evidence_grade="low")
    suggestion = actions.suggest(claim=c, by=reviewer, version=1, text="may reduce", sign=sign, **span(WORDS))
    send_back(claim, reviewer)
    after = actions.accept(suggestion=suggestion, by=author)
    assert (after.status, after.approvals_needed) == (ClaimStatus.IN_REVIEW, 2)


def test_it_refuses_a_signed_suggestion_with_the_wrong_password(claim: Claim, reviewer: User) -> None:
    data = {
        "version": 1,
        **span(WORDS),
        "text": "may reduce",
        "sign": {"password": "nope", "signature_meaning": ACCURATE, "evidence_grade": "high"},
    }
    r = post(client_for(reviewer), f"/api/v1/claims/{claim.pk}/suggestions/", data)
    assert (r.status_code, Suggestion.objects.count()) == (403, 0)


def test_it_asks_for_a_grade_when_the_signer_has_not_graded_the_claim(claim: Claim, reviewer: User) -> None:
    data = {"version": 1, **span(WORDS), "text": "may", "sign": {"password": PASSWORD, "signature_meaning": ACCURATE}}
    r = post(client_for(reviewer), f"/api/v1/claims/{claim.pk}/suggestions/", data)
    assert r.status_code == 400 and "evidence_grade" in r.json()


def test_it_lets_only_reviewers_suggest(claim: Claim, author: User) -> None:
    data = {"version": 1, **span(WORDS), "text": "may reduce"}
    assert post(client_for(author), f"/api/v1/claims/{claim.pk}/suggestions/", data).status_code == 403


def test_it_lets_only_the_author_accept(claim: Claim, reviewer: User, second_reviewer: User) -> None:
    suggestion = actions.suggest(claim=claim, by=reviewer, version=1, text="may reduce", **span(WORDS))
    assert post(client_for(second_reviewer), f"/api/v1/suggestions/{suggestion.pk}/accept/").status_code == 403


def test_it_declines_a_suggestion_with_a_reason(claim: Claim, author: User, reviewer: User) -> None:
    suggestion = actions.suggest(claim=claim, by=reviewer, version=1, text="may reduce", **span(WORDS))
    r = post(client_for(author), f"/api/v1/suggestions/{suggestion.pk}/decline/", {"reason": "The trial was large."})
    assert (r.status_code, r.json()["status"], r.json()["reason"]) == (200, "declined", "The trial was large.")


def test_it_refuses_a_decline_without_a_reason(claim: Claim, author: User, reviewer: User) -> None:
    suggestion = actions.suggest(claim=claim, by=reviewer, version=1, text="may reduce", **span(WORDS))
    assert post(client_for(author), f"/api/v1/suggestions/{suggestion.pk}/decline/", {"reason": " "}).status_code == 400


def test_it_refuses_to_accept_a_signed_suggestion_over_an_open_blocking_thread(
    claim: Claim, author: User, reviewer: User
) -> None:
    thread_on(claim, reviewer, words="heart disease", blocking=True)
    suggestion = signed_suggestion(claim, reviewer)
    send_back(claim, reviewer)
    r = post(client_for(author), f"/api/v1/suggestions/{suggestion.pk}/accept/")
    assert (r.status_code, review_helpers.fresh(claim).version) == (409, 1)


# --- the audit trail --------------------------------------------------------------------------------


def test_it_chains_an_event_for_every_comment_reply_resolution_and_suggestion(
    claim: Claim, author: User, reviewer: User
) -> None:
    thread = thread_on(claim, reviewer)
    actions.comment(claim=claim, by=author, body="Agreed.", parent=thread.pk)
    thread.resolve(by=author)
    suggestion = signed_suggestion(claim, reviewer)
    send_back(claim, reviewer)
    actions.accept(suggestion=suggestion, by=author)
    types = set(AuditEvent.objects.filter(claim_id=claim.pk).values_list("type", flat=True))
    assert {"comment.created", "comment.resolved", "suggestion.created", "suggestion.status.open->accepted"} <= types


def test_it_verifies_the_trail_and_history_of_every_new_record(claim: Claim, author: User, reviewer: User) -> None:
    thread = thread_on(claim, reviewer)
    thread_on(claim, reviewer, words="older adults")
    actions.comment(claim=claim, by=author, body="Agreed.", parent=thread.pk)
    suggestion = signed_suggestion(claim, reviewer)
    send_back(claim, reviewer)
    actions.accept(suggestion=suggestion, by=author)
    audit.write_anchor()  # as after each commit
    result, _ = run_verification()
    assert (result.ok, result.detail, list(reconcile())) == (True, "", [])


def test_it_shows_an_altered_signed_suggestion_in_verification(claim: Claim, reviewer: User) -> None:
    suggestion = signed_suggestion(claim, reviewer)
    Suggestion._base_manager.filter(pk=suggestion.pk).update(proposed_hash="0" * 64)  # around the app
    audit.write_anchor()
    result, _ = run_verification()
    assert not result.ok and f"Suggestion #{suggestion.pk}" in result.detail


@pytest.mark.parametrize("model", [Comment, Suggestion])
def test_it_refuses_to_change_discussion_history_in_the_database(claim: Claim, reviewer: User, model: Any) -> None:
    thread_on(claim, reviewer)
    actions.suggest(claim=claim, by=reviewer, version=1, text="may reduce", **span(WORDS))
    with pytest.raises(DatabaseError), transaction.atomic():
        model.history.model.objects.all()._raw_delete(model.history.model.objects.db)


# --- the pages --------------------------------------------------------------------------------------


def test_it_comments_from_the_claim_page_and_shows_the_thread(claim: Claim, reviewer: User) -> None:
    client = client_for(reviewer)
    data = {"version": 1, **span("older adults"), "quote": "older adults", "body": "Which ages?"}
    r = client.post(f"/claims/{claim.pk}/comments/", {**data, "next": f"/claims/{claim.pk}/review/"})
    page = client.get(f"/claims/{claim.pk}/").content.decode()
    assert (r.status_code, r["Location"]) == (302, f"/claims/{claim.pk}/review/") and "Which ages?" in page


def test_it_marks_the_commented_words_in_the_text(claim: Claim, reviewer: User) -> None:
    thread_on(claim, reviewer)
    page = client_for(reviewer).get(f"/claims/{claim.pk}/").content.decode()
    assert f"<mark>{WORDS}</mark>" in page


def test_it_refuses_a_page_comment_without_selected_words(claim: Claim, reviewer: User) -> None:
    r = client_for(reviewer).post(f"/claims/{claim.pk}/comments/", {"version": 1, "body": "x"})
    assert r.status_code == 400 and b"Select the words" in r.content


def test_it_refuses_a_page_comment_without_the_csrf_token(claim: Claim, reviewer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    r = client.post(f"/claims/{claim.pk}/comments/", {"version": 1, **span(WORDS), "body": "x"})
    assert (r.status_code, Comment.objects.count()) == (403, 0)


def test_it_refuses_get_on_the_page_forms(claim: Claim, reviewer: User) -> None:
    assert client_for(reviewer).get(f"/claims/{claim.pk}/suggestions/").status_code == 405


def test_it_accepts_a_signed_suggestion_from_the_claim_page(claim: Claim, author: User, reviewer: User) -> None:
    form = {"version": 1, **span(WORDS), "text": "may reduce", "sign": "on", "evidence_grade": "high"}
    client_for(reviewer).post(f"/claims/{claim.pk}/suggestions/", {**form, "password": PASSWORD})
    send_back(claim, reviewer)
    client_for(author).post(f"/suggestions/{Suggestion.objects.get().pk}/accept/")
    assert review_helpers.fresh(claim).status == ClaimStatus.APPROVED


def test_it_gives_an_outsider_404_on_a_suggestion(claim: Claim, reviewer: User, outsider: User) -> None:
    suggestion = actions.suggest(claim=claim, by=reviewer, version=1, text="may reduce", **span(WORDS))
    assert client_for(outsider).post(f"/suggestions/{suggestion.pk}/decline/", {"reason": "x"}).status_code == 404


def test_it_reads_a_claims_discussion_in_a_fixed_number_of_queries(claim: Claim, author: User, reviewer: User) -> None:
    client = client_for(reviewer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(f"/api/v1/claims/{claim.pk}/comments/")
            client.get(f"/claims/{claim.pk}/")
        return len(captured)

    thread = thread_on(claim, reviewer)
    actions.comment(claim=claim, by=author, body="Noted.", parent=thread.pk)
    one = queries()
    for words in ("heart disease", "older adults"):
        thread = thread_on(claim, reviewer, words=words)
        actions.comment(claim=claim, by=reviewer, body="Noted.", parent=thread.pk)
    assert queries() == one


def test_it_refuses_a_reply_to_a_thread_id_past_any_id_with_400(claim: Claim, reviewer: User) -> None:
    r = client_for(reviewer).post(f"/claims/{claim.pk}/comments/", {"body": "x", "parent": str(10**30)})
    assert r.status_code == 400
