"""Review assignments: assigning, offering to a group, hand-over, completion, the queue order and overdue escalation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.utils import timezone

from content.exceptions import InvalidTransition, NotAllowed
from content.models import Claim
from review.models import Assignment, AssignmentState, AuditEvent, Notification
from review.operations.assignments import accept, assign, escalate_overdue, handover
from review.queue import queue_queryset
from tests.conftest import client_for
from tests.review_helpers import approve, immediate_tasks, make_reviewer, request_changes
from tests.test_publishing import make_article

__all__ = ["immediate_tasks"]

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture
def two(author: User) -> list[Claim]:
    """Two claims of one article, both in review (the first submitted first)."""
    article = make_article(author, ("Exercise helps mild depression.", "Sleep affects mood."))
    claims = list(article.claims.order_by("position"))
    for claim in claims:
        claim.submit(by=author)
        claim.refresh_from_db()
    return claims


@pytest.fixture
def reviewers_group(groups: None) -> Group:
    return Group.objects.get(name="Medical reviewers")


def in_days(n: float) -> datetime:
    return timezone.now() + n * DAY


def test_a_named_assignment_puts_the_claim_first_in_the_assignees_queue(
    two: list[Claim], reviewer: User, second_reviewer: User
) -> None:
    assert [c.pk for c in queue_queryset(second_reviewer, {})] == [two[0].pk, two[1].pk]
    assign(by=reviewer, claim=two[1], assignee=second_reviewer, due=in_days(3))
    queue = list(queue_queryset(second_reviewer, {}))
    assert [c.pk for c in queue] == [two[1].pk, two[0].pk]
    assert queue[0].assigned_to_me  # type: ignore[attr-defined]
    assert [c.pk for c in queue_queryset(reviewer, {})] == [two[0].pk, two[1].pk]  # not the assigner's


def test_an_article_assignment_covers_its_claims(two: list[Claim], reviewer: User, second_reviewer: User) -> None:
    assign(by=reviewer, article=two[0].article, assignee=second_reviewer, due=in_days(3))
    assert all(c.assigned_to_me for c in queue_queryset(second_reviewer, {}))  # type: ignore[attr-defined]


def test_the_first_member_to_accept_takes_an_offered_task(
    two: list[Claim], reviewer: User, second_reviewer: User, reviewers_group: Group
) -> None:
    third = make_reviewer("tess")
    offered = assign(by=reviewer, claim=two[0], group=reviewers_group, due=in_days(3))
    assert offered.assignee is None
    taken = accept(offered, by=second_reviewer)
    assert taken.assignee == second_reviewer and taken.accepted_at is not None
    with pytest.raises(InvalidTransition, match="already has it"):
        accept(offered, by=third)


def test_hand_over_needs_a_note_and_the_right_person(
    two: list[Claim], reviewer: User, second_reviewer: User, author: User
) -> None:
    third = make_reviewer("tess")
    task = assign(by=reviewer, claim=two[0], assignee=second_reviewer, due=in_days(3))
    with pytest.raises(Exception, match="Say why"):
        handover(task, by=second_reviewer, to=third, note=" ")
    with pytest.raises(NotAllowed):
        handover(task, by=third, to=third, note="Mine now")
    handed = handover(task, by=second_reviewer, to=third, note="On leave from Monday; tags checked")
    assert handed.assignee == third
    assert handed.history.count() == 2  # type: ignore[attr-defined]
    assert queue_queryset(third, {})[0].pk == two[0].pk


def test_a_review_completes_the_task(two: list[Claim], reviewer: User, second_reviewer: User) -> None:
    claim_task = assign(by=reviewer, claim=two[0], assignee=second_reviewer, due=in_days(3))
    request_changes(two[0], second_reviewer)
    claim_task.refresh_from_db()
    assert claim_task.state == AssignmentState.DONE and claim_task.completed_at is not None


def test_an_article_task_is_done_when_every_claim_in_review_has_the_review(
    two: list[Claim], reviewer: User, second_reviewer: User
) -> None:
    task = assign(by=reviewer, article=two[0].article, assignee=second_reviewer, due=in_days(3))
    approve(two[0], second_reviewer)
    task.refresh_from_db()
    assert task.state == AssignmentState.OPEN
    approve(two[1], second_reviewer)
    task.refresh_from_db()
    assert task.state == AssignmentState.DONE


def test_it_refuses_what_cannot_be_assigned(
    two: list[Claim], reviewer: User, second_reviewer: User, author: User, publisher: User
) -> None:
    with pytest.raises(NotAllowed):
        assign(by=author, claim=two[0], assignee=second_reviewer)
    with pytest.raises(Exception, match="not an active medical reviewer"):
        assign(by=reviewer, claim=two[0], assignee=publisher)
    with pytest.raises(Exception, match="future"):
        assign(by=reviewer, claim=two[0], assignee=second_reviewer, due=in_days(-1))
    assign(by=reviewer, claim=two[0], assignee=second_reviewer)
    with pytest.raises(InvalidTransition, match="already assigned"):
        assign(by=reviewer, claim=two[0], assignee=reviewer)
    draft = make_article(author).claims.get()
    with pytest.raises(InvalidTransition, match="in review"):
        assign(by=reviewer, claim=draft, assignee=second_reviewer)


def test_the_default_due_date_skips_weekends(two: list[Claim], reviewer: User, second_reviewer: User) -> None:
    task = assign(by=reviewer, claim=two[0], assignee=second_reviewer)
    assert 5 <= (task.due - task.created_at).days <= 7
    assert task.due.weekday() < 5


def test_overdue_tasks_escalate_once_each_step(
    two: list[Claim],
    reviewer: User,
    second_reviewer: User,
    django_capture_on_commit_callbacks: Any,
    immediate_tasks: None,
) -> None:
    task = assign(by=reviewer, claim=two[0], assignee=second_reviewer, due=in_days(1))
    run: Callable[[datetime], list[tuple[Assignment, str]]] = escalate_overdue
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert run(in_days(0.5)) == []
        assert [s for _, s in run(in_days(1.5))] == ["overdue"]
        assert run(in_days(1.6)) == []
        assert [s for _, s in run(in_days(3.5))] == ["escalated"]
        assert run(in_days(9)) == []
    assert [m.to for m in mail.outbox] == [[second_reviewer.email], [reviewer.email]]
    assert f"/claims/{task.claim_id}/review/" in mail.outbox[0].body
    assert Notification.objects.filter(kind="assignment", recipient=reviewer).count() == 1  # the escalation


def test_assignments_are_on_the_audit_chain(two: list[Claim], reviewer: User, second_reviewer: User) -> None:
    assign(by=reviewer, claim=two[0], assignee=second_reviewer, due=in_days(2))
    assert AuditEvent.objects.filter(type="assignment.created").count() == 1


# --- API -----------------------------------------------------------------------------------------


def test_the_api_assigns_lists_accepts_and_hands_over(
    two: list[Claim], reviewer: User, second_reviewer: User, reviewers_group: Group
) -> None:
    lead = client_for(reviewer)
    due = in_days(4).isoformat()
    made = lead.post(
        "/api/v1/assignments/",
        {"claim": two[0].pk, "group": "Medical reviewers", "due": due},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["claim"], body["assignee"], body["group"], body["state"]) == (
        two[0].pk,
        None,
        "Medical reviewers",
        "open",
    )

    other = client_for(second_reviewer)
    took = other.post(f"/api/v1/assignments/{body['id']}/accept/")
    assert took.status_code == 200 and took.json()["assignee"] == second_reviewer.pk
    assert other.post(f"/api/v1/assignments/{body['id']}/accept/").status_code == 409

    mine = other.get("/api/v1/assignments/?assignee=me&state=open").json()["results"]
    assert [a["id"] for a in mine] == [body["id"]]
    assert lead.get("/api/v1/assignments/?assignee=me&state=open").json()["results"] == []

    handed = other.post(
        f"/api/v1/assignments/{body['id']}/handover/",
        {"to": reviewer.pk, "note": "Back to you"},
        content_type="application/json",
    )
    assert handed.status_code == 200 and handed.json()["assignee"] == reviewer.pk


def test_the_api_refuses_bad_input_with_reasons(two: list[Claim], reviewer: User, author: User) -> None:
    lead = client_for(reviewer)
    post = lambda body: lead.post("/api/v1/assignments/", body, content_type="application/json")  # noqa: E731
    assert post({"claim": two[0].pk}).status_code == 400
    assert post({"claim": two[0].pk, "article": two[0].article_id, "assignee": reviewer.pk}).status_code == 400
    assert post({"claim": two[0].pk, "group": "Nobody"}).status_code == 404
    assert post({"claim": two[0].pk, "assignee": 999999}).status_code == 404
    assert post({"claim": two[0].pk, "assignee": reviewer.pk, "due": "soon"}).status_code == 400
    assert lead.get("/api/v1/assignments/?state=late").status_code == 400
    assert lead.get("/api/v1/assignments/?assignee=x1").status_code == 400
    assert client_for(author).get("/api/v1/assignments/").status_code == 403


# --- pages ---------------------------------------------------------------------------------------


def test_the_claim_page_assigns_and_hands_over(two: list[Claim], reviewer: User, second_reviewer: User) -> None:
    lead = client_for(reviewer)
    page = lead.get(f"/claims/{two[0].pk}/")
    assert b"Assign this review" in page.content
    due = in_days(4).date().isoformat()
    response = lead.post(f"/claims/{two[0].pk}/assign/", {"to": f"user:{second_reviewer.pk}", "due": due})
    assert response.status_code == 302
    task = Assignment.objects.get()
    assert task.assignee == second_reviewer
    page = client_for(second_reviewer).get(f"/claims/{two[0].pk}/")
    assert b"Assigned to" in page.content and b"Hand over" in page.content
    bad = lead.post(f"/claims/{two[1].pk}/assign/", {"to": "everyone", "due": due}, follow=True)
    assert b"Choose who reviews it." in bad.content
    assert Assignment.objects.count() == 1
