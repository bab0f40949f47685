"""The in-app inbox: one notification per person told about something, beside (or instead of) an e-mail.

A notification is governed like every other record here: created and read through
`save_as`, so each has its history rows and chained audit events ("notification.created",
"notification.read"), and `reconcile_history` and `verify_audit` cover it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from content.governance import GovernedQuerySet, save_as
from content.locking import lock_chain
from content.models import Article, Claim


class NotificationKind(models.TextChoices):
    DECISION = "decision", "Review decision"
    SENT_BACK = "sent_back", "Claim sent back"
    RESUBMITTED = "resubmitted", "Revision waiting for review"
    RETRACTION = "retraction", "Cited work retracted or superseded"
    APPROVAL_DUE = "approval_due", "Approval falling due"
    ASSIGNMENT = "assignment", "Review assignment"


class NotificationQuerySet(GovernedQuerySet["Notification"]):
    def for_user(self, user: Any) -> NotificationQuerySet:
        return self.filter(recipient=user) if user.is_authenticated else self.none()

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    subject = models.CharField(max_length=200)
    text = models.TextField()
    # The site path of the thing it is about; e-mails carry it as an absolute URL.
    link = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The header's unread count and the inbox list, on every page load.
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for user {self.recipient_id}: {self.subject}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def mark_read(self, *, by: Any) -> Notification:
        """Mark it read (again: nothing changes). The caller fetched it through `for_user(by)`."""
        with transaction.atomic():
            lock_chain()
            row = Notification.objects.select_for_update().get(pk=self.pk, recipient=by)
            if row.read_at is None:
                row.read_at = timezone.now()
                save_as(row, by, "Read")
        self.read_at = row.read_at
        return row


def mark_all_read(user: Any) -> int:
    """Mark every unread notification of `user` read, in one transaction; how many."""
    with transaction.atomic():
        lock_chain()
        notes = list(
            Notification.objects.select_for_update().filter(recipient=user, read_at__isnull=True).order_by("pk")
        )
        now = timezone.now()
        for note in notes:
            note.read_at = now
            save_as(note, user, "Read")
    return len(notes)


def notify(
    recipients: list[Any],
    *,
    kind: str,
    subject: str,
    text: str,
    link: str,
    claim: Claim | None = None,
    article: Article | None = None,
) -> list[Notification]:
    """One notification per active recipient (duplicates once), in one writing transaction.

    The history rows name the person acting in the request, else (a background task) the system user.
    """
    people = {u.pk: u for u in recipients if u is not None and u.is_active}
    created = []
    with transaction.atomic():
        lock_chain()
        for pk in sorted(people):
            note = Notification(
                recipient=people[pk], kind=kind, claim=claim, article=article, subject=subject, text=text, link=link
            )
            note.save()
            created.append(note)
    return created
