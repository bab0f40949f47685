"""Review assignments: who reviews what by when, hand-overs, and what happens when a task runs late.

A medical reviewer assigns a claim or a whole article in review to a named reviewer, or offers it
to the reviewers' group, where the first to accept takes it. The assignee can hand it on with a
note. Recording a review completes it. Overdue tasks escalate on the reminders' schedule: first
an e-mail to the assignee (or the group), then, `ESCALATE_AFTER` later, one to the person who
assigned it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from content.exceptions import InvalidTransition, NotAllowed
from content.locking import lock_chain
from content.models import Article, Claim, ClaimStatus
from content.roles import is_reviewer
from review.models import Assignment, AssignmentState, NotificationKind, Review
from review.notifications import deliver

ESCALATE_AFTER = timedelta(days=2)


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def default_due(now: datetime) -> datetime:
    """`VETTED_ASSIGNMENT_DAYS` working days from now (Saturdays and Sundays do not count)."""
    due, left = now, settings.VETTED_ASSIGNMENT_DAYS
    while left > 0:
        due += timedelta(days=1)
        if due.weekday() < 5:
            left -= 1
    return due


def _save(assignment: Assignment, by: Any, reason: str) -> None:
    assignment._history_user = by  # type: ignore[attr-defined]
    assignment._change_reason = reason  # type: ignore[attr-defined]
    assignment.save()


def assign(
    *,
    by: Any,
    claim: Claim | None = None,
    article: Article | None = None,
    assignee: Any = None,
    group: Group | None = None,
    due: datetime | None = None,
    note: str = "",
) -> Assignment:
    """Create a task (400 on bad input, 403 for a non-reviewer, 409 when it is not in review or already assigned)."""
    if not is_reviewer(by):
        raise NotAllowed("Only medical reviewers assign reviews.")
    errors: dict[str, str] = {}
    if (claim is None) == (article is None):
        errors["claim"] = "Give a claim or an article, not both."
    if (assignee is None) == (group is None):
        errors["assignee"] = "Give an assignee or a group, not both."
    if assignee is not None and not (assignee.is_active and is_reviewer(assignee)):
        errors["assignee"] = f"{_name(assignee)} is not an active medical reviewer."
    if (
        group is not None
        and not group.permissions.filter(codename="add_review", content_type__app_label="review").exists()
    ):
        errors["group"] = f"The group {group.name} does not review claims."
    now = timezone.now()
    due = due or default_due(now)
    if due <= now:
        errors["due"] = "The due date must be in the future."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        lock_chain()
        if claim is not None:
            locked = Claim.objects.select_for_update().get(pk=claim.pk)
            if locked.status != ClaimStatus.IN_REVIEW:
                raise InvalidTransition("assign", locked.status, "only a claim in review can be assigned")
            taken = Assignment.objects.open().filter(claim=locked).select_related("assignee").first()
        else:
            assert article is not None
            if not article.claims.filter(status=ClaimStatus.IN_REVIEW).exists():
                raise InvalidTransition("assign", "draft", "the article has no claim in review")
            taken = Assignment.objects.open().filter(article=article).select_related("assignee").first()
        if taken is not None:
            who = _name(taken.assignee) if taken.assignee else "a group"
            raise InvalidTransition(
                "assign", ClaimStatus.IN_REVIEW, f"already assigned to {who}, due {taken.due:%Y-%m-%d}; hand it over"
            )
        assignment = Assignment(
            claim=claim,
            article=article,
            assignee=assignee,
            group=group,
            due=due,
            note=note.strip(),
            assigned_by=by,
            created_at=now,
            accepted_at=now if assignee is not None else None,
        )
        target = f"claim #{claim.pk}" if claim else f"article #{article.pk if article else ''}"
        _save(assignment, by, f"Assigned {target} to {_name(assignee) if assignee else group}, due {due:%Y-%m-%d}")
        transaction.on_commit(lambda: send_assignment_notice.enqueue(assignment.pk, "assigned"))
    return assignment


def accept(assignment: Assignment, *, by: Any) -> Assignment:
    """A member of the group takes an offered task; the first to accept has it (409 after)."""
    with transaction.atomic():
        lock_chain()
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.state != AssignmentState.OPEN:
            raise InvalidTransition("accept", locked.state, "the task is closed")
        if locked.assignee_id is not None:
            raise InvalidTransition("accept", locked.state, f"{_name(locked.assignee)} already has it")
        if locked.group is None or not by.groups.filter(pk=locked.group_id).exists() or not is_reviewer(by):
            raise NotAllowed("This task is offered to another group.")
        locked.assignee = by
        locked.accepted_at = timezone.now()
        _save(locked, by, f"Accepted by {_name(by)}")
    return locked


def handover(assignment: Assignment, *, by: Any, to: Any, note: str) -> Assignment:
    """The assignee (or the person who assigned it) hands the task to another reviewer, with a note."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say why you are handing it over, and what is left."})
    if not (to.is_active and is_reviewer(to)):
        raise ValidationError({"to": f"{_name(to)} is not an active medical reviewer."})
    with transaction.atomic():
        lock_chain()
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.state != AssignmentState.OPEN:
            raise InvalidTransition("hand over", locked.state, "the task is closed")
        if by.pk not in {locked.assignee_id, locked.assigned_by_id}:
            raise NotAllowed("Only the assignee or the person who assigned it hands it over.")
        if to.pk == locked.assignee_id:
            raise ValidationError({"to": f"{_name(to)} already has it."})
        previous = _name(locked.assignee) if locked.assignee else str(locked.group)
        locked.assignee, locked.note, locked.accepted_at = to, note, timezone.now()
        locked.reminded_at = locked.escalated_at = None  # the new assignee starts with a clean slate
        _save(locked, by, f"Handed over from {previous} to {_name(to)}: {note}")
        transaction.on_commit(lambda: send_assignment_notice.enqueue(locked.pk, "handed over"))
    return locked


def complete_for_review(review: Review) -> None:
    """A recorded review completes its reviewer's task on the claim, and on the article once every
    claim of it in review has their review in its current round (call inside the review's transaction)."""
    claim = review.claim
    now = timezone.now()
    for task_ in Assignment.objects.open().filter(assignee=review.reviewer_id, claim=claim):
        task_.state, task_.completed_at = AssignmentState.DONE, now
        _save(task_, review.reviewer, f"Done: reviewed version {review.version}")
    # Reviews of each claim's current version in its current round, whatever the decision.
    reviewed_now = Review.objects.filter(
        reviewer=review.reviewer_id, version=F("claim__version"), round=F("claim__review_round")
    )
    for task_ in Assignment.objects.open().filter(assignee=review.reviewer_id, article=claim.article_id):
        waiting = (
            Claim.objects.filter(article=claim.article_id, status=ClaimStatus.IN_REVIEW)
            .exclude(pk=claim.pk)
            .exclude(pk__in=reviewed_now.values("claim"))
        )
        if not waiting.exists():
            task_.state, task_.completed_at = AssignmentState.DONE, now
            _save(task_, review.reviewer, "Done: every claim in review has this reviewer's review")


def escalate_overdue(now: datetime | None = None) -> list[tuple[Assignment, str]]:
    """Tell the assignee of each overdue task, then (ESCALATE_AFTER later) the person who assigned it; once each."""
    now = now or timezone.now()
    sent: list[tuple[Assignment, str]] = []
    for pending in Assignment.objects.open().filter(due__lte=now):
        step = "overdue" if pending.reminded_at is None else "escalated" if pending.escalated_at is None else ""
        if not step or (step == "escalated" and now < pending.due + ESCALATE_AFTER):
            continue
        with transaction.atomic():
            lock_chain()
            locked = Assignment.objects.select_for_update().get(pk=pending.pk)
            if locked.state != AssignmentState.OPEN or (locked.reminded_at, locked.escalated_at) != (
                pending.reminded_at,
                pending.escalated_at,
            ):
                continue  # another run got here first
            if step == "overdue":
                locked.reminded_at = now
            else:
                locked.escalated_at = now
            _save(locked, None, f"{step.title()}: due {locked.due:%Y-%m-%d}")
            transaction.on_commit(partial(send_assignment_notice.enqueue, locked.pk, step))
        sent.append((locked, step))
    return sent


def _recipients(assignment: Assignment, event: str) -> list[Any]:
    if event == "escalated":
        return [assignment.assigned_by]
    if assignment.assignee is not None:
        return [assignment.assignee]
    return list(assignment.group.user_set.filter(is_active=True)) if assignment.group else []


@task()
def send_assignment_notice(assignment_id: int, event: str) -> int:
    """E-mail about a task: assigned, handed over, overdue (to the assignee) or escalated (to the assigner)."""
    assignment = Assignment.objects.select_related("claim", "article", "assignee", "group", "assigned_by").get(
        pk=assignment_id
    )
    if assignment.claim is not None:
        what, path = f"claim #{assignment.claim_id}", reverse("claim_review", args=[assignment.claim_id])
    else:
        what, path = f"the article #{assignment.article_id}", reverse("article_detail", args=[assignment.article_id])
    who = _name(assignment.assignee) if assignment.assignee else f"the {assignment.group} group"
    lines = {
        "assigned": f"{_name(assignment.assigned_by)} asked {who} to review {what} by {assignment.due:%Y-%m-%d}.",
        "handed over": f"The review of {what} was handed over to {who}: {assignment.note}",
        "overdue": f"The review of {what} was due on {assignment.due:%Y-%m-%d} and is still open.",
        "escalated": f"The review of {what} you assigned to {who} was due on {assignment.due:%Y-%m-%d}; it is open.",
    }
    return deliver(
        _recipients(assignment, event),
        kind=NotificationKind.ASSIGNMENT,
        subject=f"[Vetted] Review {event}: {what}, due {assignment.due:%Y-%m-%d}",
        body=lines.get(event, lines["assigned"]) + "\n",
        link=path,
        claim=assignment.claim,
        article=assignment.article or (assignment.claim.article if assignment.claim else None),
    )
