"""Reminders before approvals fall due: the slots, once per slot whatever the number of runs, and the e-mail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from content.models import Claim
from review.actions import record_review
from review.models import DEFAULT_MEANING, ApprovalReminder, AuditEvent, Channel, Notification, Publication
from review.operations.recertification import recertify
from review.operations.reminders import current_slot, send_due_reminders
from review.publishing.actions import publish_claim, withdraw_publication
from tests.conftest import PASSWORD
from tests.review_helpers import immediate_tasks
from tests.test_publishing import approve, claims_of, load_channels, make_article

__all__ = ["immediate_tasks"]

DAY = timedelta(days=1)
Run = Callable[[datetime], list[ApprovalReminder]]


@pytest.mark.parametrize(
    ("days_left", "slot"),
    [
        (20, None),
        (14, "14d"),
        (10, "14d"),
        (3.5, "14d"),
        (3, "3d"),
        (2.5, "3d"),
        (1.2, "2d"),
        (0.5, "1d"),
        (0, "due"),
        (-4, "due"),
    ],
)
def test_the_slot_follows_the_offsets_then_goes_daily(days_left: float, slot: str | None) -> None:
    due = datetime(2027, 6, 30, 12, 0)
    assert current_slot(due, due - days_left * DAY, [3, 14]) == slot


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Callable[[datetime], list[ApprovalReminder]]:
    """One scheduler run at a moment, its e-mails sent as the commit would send them."""

    def run_at(now: datetime) -> list[ApprovalReminder]:
        with django_capture_on_commit_callbacks(execute=True):
            return send_due_reminders(now)

    return run_at


@pytest.fixture
def channels(groups: None) -> dict[str, Channel]:
    return load_channels()


@pytest.fixture
def live(author: User, reviewer: User, publisher: User, channels: dict[str, Channel], immediate_tasks: None) -> Claim:
    """Live on the website (365-day interval), approved 355 days ago: due in 10 days."""
    now = timezone.now()
    claim = approve(claims_of(make_article(author))[0], reviewer, at=now - 355 * DAY)
    publish_claim(claim, channels["website"], by=publisher, now=now - 354 * DAY)
    mail.outbox.clear()
    return claim


def test_it_sends_each_slot_once_however_often_it_runs(live: Claim, reviewer: User, publisher: User, run: Run) -> None:
    now = timezone.now()
    assert [r.slot for r in run(now)] == ["14d"]
    assert run(now) == []
    assert run(now + timedelta(hours=5)) == []
    [message] = mail.outbox
    assert sorted(message.to) == sorted([reviewer.email, publisher.email])
    assert f"claim #{live.pk} version 1" in message.body
    assert f"/claims/{live.pk}/" in message.body
    assert "Website" in message.subject
    # The same notice waits in each person's inbox, pointing at the claim.
    assert Notification.objects.filter(kind="approval_due", claim=live).count() == 2


def test_it_goes_on_to_the_next_slots_and_the_due_date(live: Claim, run: Run) -> None:
    now = timezone.now()
    slots = []
    for day in range(0, 14):
        for _ in range(2):  # twice a day: nothing twice
            slots += [r.slot for r in run(now + day * DAY)]
    assert slots == ["14d", "3d", "2d", "1d", "due"]
    assert len(mail.outbox) == 5
    assert "has expired" in mail.outbox[-1].subject
    assert ApprovalReminder.objects.count() == 5


def test_a_withdrawn_publication_gets_no_reminder(live: Claim, publisher: User, run: Run) -> None:
    withdraw_publication(Publication.objects.get(), by=publisher, reason="No longer needed")
    assert run(timezone.now()) == []


def test_a_new_approval_starts_the_slots_again(live: Claim, second_reviewer: User, run: Run) -> None:
    now = timezone.now()
    assert len(run(now)) == 1
    recertify(live, by=second_reviewer)
    live.refresh_from_db()
    record_review(
        claim=live,
        version=live.version,
        reviewer=second_reviewer,
        decision="approve",
        evidence_grade="moderate",
        password=PASSWORD,
        signature_meaning=DEFAULT_MEANING,
    )
    # Due in a year now: nothing until 14 days before the new date.
    assert run(now + DAY) == []
    [again] = run(now + 352 * DAY)
    assert again.slot == "14d"


def test_the_command_reports_and_refuses_a_bad_interval(live: Claim) -> None:
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert out.getvalue().startswith("Queued 1 reminders: publication")
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert out.getvalue() == "Queued 0 reminders.\nQueued 0 overdue notices.\n"
    with pytest.raises(CommandError, match="--every"):
        call_command("send_reminders", "--every", "0")


def test_reminders_are_on_the_audit_chain(live: Claim, run: Run) -> None:
    run(timezone.now())
    assert AuditEvent.objects.filter(type="approvalreminder.created").count() == 1
