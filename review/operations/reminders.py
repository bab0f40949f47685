"""Reminders before a live publication's approval falls due, sent once per slot however often the scheduler runs.

Each live publication's due date (its approval time plus its channel's review interval) has
slots: one per configured offset (`VETTED_REMINDER_DAYS`, say 14 and 3 days before), then one a
day from the last offset to the due date, then "due" itself. A run sends the slot a publication
is in now, unless an ApprovalReminder row already holds it: the row's unique constraint is the
idempotency, so two schedulers at once, or a run every minute, send nothing twice. A new
approval (a re-certification) moves `approved_at`, which starts the slots again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from content.locking import lock_chain
from review.models import ApprovalReminder, Decision, NotificationKind, Publication, Review
from review.notifications import deliver
from review.publishing.feeds import DueItem, falling_due

DAY = timedelta(days=1)


def current_slot(due: datetime, now: datetime, offsets: Sequence[int]) -> str | None:
    """The slot `now` is in before `due`: "14d", "3d", "2d", "1d", "due", or None (too early)."""
    if now >= due:
        return "due"
    days_left = (due - now) / DAY
    last = min(offsets)
    if days_left <= last:
        return f"{math.ceil(days_left)}d"  # daily from the last offset on
    reached = [d for d in offsets if days_left <= d]
    return f"{min(reached)}d" if reached else None


def recipients_for(pub: Publication) -> list[Any]:
    """Who acts on a falling-due approval: the reviewers who approved the version, and its publisher."""
    signer_ids = Review.objects.filter(claim_id=pub.claim_id, version=pub.version, decision=Decision.APPROVE).values(
        "reviewer_id"
    )
    people = get_user_model().objects.filter(Q(pk__in=signer_ids) | Q(pk=pub.published_by_id), is_active=True)
    return list(people.order_by("username"))


def send_due_reminders(now: datetime | None = None) -> list[ApprovalReminder]:
    """Record and queue every reminder due now that was not sent before; returns the new ones."""
    now = now or timezone.now()
    offsets = settings.VETTED_REMINDER_DAYS
    items = falling_due(Publication.objects.all(), now, within_days=max(offsets))
    sent = set(
        ApprovalReminder.objects.filter(publication__in=[i.publication.pk for i in items]).values_list(
            "publication_id", "approved_at", "slot"
        )
    )
    created: list[ApprovalReminder] = []
    for item in items:
        slot = current_slot(item.due, now, offsets)
        if slot is None or (item.publication.pk, item.approved_at, slot) in sent:
            continue
        reminder = _record(item, slot, now)
        if reminder is not None:
            created.append(reminder)
    return created


def _record(item: DueItem, slot: str, now: datetime) -> ApprovalReminder | None:
    """One reminder row, and its e-mail queued when the row commits; None if another run wrote it first."""
    pub = item.publication
    reminder = ApprovalReminder(
        publication=pub,
        approved_at=item.approved_at,
        due=item.due,
        slot=slot,
        recipients="\n".join(u.get_username() for u in recipients_for(pub)),
        sent_at=now,
    )
    reminder._change_reason = f"Reminder {slot}: approval due {item.due:%Y-%m-%d} on {pub.channel.name}"  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            lock_chain()
            reminder.save()
            transaction.on_commit(lambda: send_approval_reminder.enqueue(reminder.pk))
    except IntegrityError:
        return None
    return reminder


@task()
def send_approval_reminder(reminder_id: int) -> int:
    """The reminder, in the inbox and by e-mail, of the people recorded on it."""
    reminder = ApprovalReminder.objects.select_related("publication__claim__article", "publication__channel").get(
        pk=reminder_id
    )
    people = list(get_user_model().objects.filter(username__in=reminder.recipients.splitlines()))
    pub = reminder.publication
    claim = pub.claim
    when = "has expired" if reminder.slot == "due" else f"expires on {reminder.due:%Y-%m-%d}"
    body = (
        f"The approval of claim #{claim.pk} version {pub.version} in “{claim.article.title}” on "
        f"{pub.channel.name} {when}"
        + (" and the channel no longer serves it" if reminder.slot == "due" else "")
        + ".\n\nRe-certify it unchanged, or revise it, from the claim's page. "
        + f"Everything falling due: {settings.SITE_URL}{reverse('publish_due')}\n"
    )
    return deliver(
        people,
        kind=NotificationKind.APPROVAL_DUE,
        subject=f"[Vetted] Approval {when}: claim #{claim.pk} v{pub.version} on {pub.channel.name}",
        body=body,
        link=reverse("claim_detail", args=[claim.pk]),
        claim=claim,
        article=claim.article,
    )
