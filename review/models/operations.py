"""Review operations: re-certifying an approved version unchanged, and the reminders sent before approvals fall due."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from content.governance import GovernedQuerySet
from content.models import Claim, ClaimStatus
from review.models.channels import Publication


class RecertificationOutcome(models.TextChoices):
    OPEN = "open", "Open"
    APPROVED = "approved", "Approved again"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Rejected"


class Recertification(models.Model):
    """A review round on a version that is already approved, started because its approval falls due.

    Until the round approves the version again, the approvals of the round before keep its live
    publications served up to their expiry (`serving_rounds`); the new approval then extends them.
    A request for changes or a rejection leaves them to expire on their old date.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="recertifications")
    version = models.PositiveIntegerField()
    round = models.PositiveIntegerField(help_text="The claim's review round this re-certification opened.")
    reason = models.TextField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(
        max_length=20, choices=RecertificationOutcome.choices, default=RecertificationOutcome.OPEN
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "round"], name="recertification_one_per_round"),
            models.CheckConstraint(
                condition=Q(outcome__in=RecertificationOutcome.values), name="recertification_outcome_valid"
            ),
            # Closed exactly when decided.
            models.CheckConstraint(
                condition=Q(outcome=RecertificationOutcome.OPEN, closed_at__isnull=True)
                | (~Q(outcome=RecertificationOutcome.OPEN) & Q(closed_at__isnull=False)),
                name="recertification_closed_when_decided",
            ),
        ]

    def __str__(self) -> str:
        return f"Re-certification of claim {self.claim_id} v{self.version} (round {self.round}): {self.outcome}"

    def close(self, claim_status: str, *, by: Any, at: datetime) -> None:
        """Record how the round ended, from the status the decision left the claim in."""
        self.outcome = {
            ClaimStatus.APPROVED: RecertificationOutcome.APPROVED,
            ClaimStatus.CHANGES_REQUESTED: RecertificationOutcome.CHANGES_REQUESTED,
            ClaimStatus.REJECTED: RecertificationOutcome.REJECTED,
        }[ClaimStatus(claim_status)]
        self.closed_at = at
        self._history_user = by  # type: ignore[attr-defined]
        self._change_reason = f"Re-certification of version {self.version}: {self.get_outcome_display().lower()}"  # type: ignore[attr-defined]
        self.save(update_fields=["outcome", "closed_at"])

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.pk,
            "claim": self.claim_id,
            "version": self.version,
            "round": self.round,
            "reason": self.reason,
            "started_by": self.started_by_id,
            "started_at": self.started_at.isoformat(),
            "outcome": self.outcome,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
        }


def open_recertification(claim: Claim) -> Recertification | None:
    """The re-certification the claim's current round is, while it is undecided."""
    return Recertification.objects.filter(
        claim=claim, round=claim.review_round, version=claim.version, outcome=RecertificationOutcome.OPEN
    ).first()


def held_by_recertification() -> Exists:
    """For a Review queryset: is the review in a re-certification round that has not approved again?"""
    return Exists(
        Recertification.objects.filter(
            claim=OuterRef("claim_id"), version=OuterRef("version"), round=OuterRef("round")
        ).exclude(outcome=RecertificationOutcome.APPROVED)
    )


class ApprovalReminder(models.Model):
    """One reminder sent before (or when) a live publication's approval falls due.

    Unique per publication, approval time and slot, so running the scheduler twice sends nothing
    twice; a new approval moves `approved_at`, which starts the slots again for the new due date.
    """

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="reminders")
    approved_at = models.DateTimeField(help_text="The approval whose expiry this reminder is about.")
    due = models.DateTimeField()
    slot = models.CharField(max_length=20, help_text='Days before the due date ("14d", "1d") or "due".')
    recipients = models.TextField(help_text="The usernames of the people it went to, one per line.")
    sent_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "approved_at", "slot"], name="approval_reminder_once_per_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.slot} for publication {self.publication_id} (due {self.due:%Y-%m-%d})"


class AssignmentState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class AssignmentQuerySet(GovernedQuerySet["Assignment"]):
    def open(self) -> AssignmentQuerySet:
        return self.filter(state=AssignmentState.OPEN)

    def for_claims_of(self, user: Any) -> AssignmentQuerySet:
        """Open tasks of this person: named, on a claim (`OuterRef("pk")` is the claim) or its article."""
        return self.open().filter(assignee=user.pk).filter(Q(claim=OuterRef("pk")) | Q(article=OuterRef("article_id")))


class Assignment(models.Model):
    """A review task: a claim or a whole article, for a named reviewer or offered to a group, by a date.

    Offered to a group, it has no assignee until one member accepts it (the first to accept takes
    it). Handing it on changes the assignee with a note (the history keeps who had it). It is done
    once the assignee records a review of the claim, or of every claim of the article in review.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments")
    article = models.ForeignKey(
        "content.Article", on_delete=models.PROTECT, null=True, blank=True, related_name="assignments"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments"
    )
    group = models.ForeignKey(
        "auth.Group", on_delete=models.PROTECT, null=True, blank=True, help_text="Offered to its members."
    )
    due = models.DateTimeField()
    state = models.CharField(max_length=20, choices=AssignmentState.choices, default=AssignmentState.OPEN)
    note = models.TextField(blank=True, help_text="The latest hand-over note, or the assigner's.")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Overdue escalation: first the assignee (or the group), then the person who assigned it.
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["due", "id"]
        indexes = [models.Index(fields=["state", "assignee", "due"], name="assignment_open_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(claim__isnull=False, article__isnull=True) | Q(claim__isnull=True, article__isnull=False),
                name="assignment_claim_xor_article",
            ),
            models.CheckConstraint(
                condition=Q(assignee__isnull=False) | Q(group__isnull=False), name="assignment_has_someone"
            ),
            models.CheckConstraint(condition=Q(state__in=AssignmentState.values), name="assignment_state_valid"),
        ]

    def __str__(self) -> str:
        what = f"claim {self.claim_id}" if self.claim_id else f"article {self.article_id}"
        return f"Assignment {self.pk}: {what} due {self.due:%Y-%m-%d} ({self.state})"

    @property
    def overdue(self) -> bool:
        return self.state == AssignmentState.OPEN and timezone.now() >= self.due

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.pk,
            "claim": self.claim_id,
            "article": self.article_id,
            "assignee": self.assignee_id,
            "group": self.group.name if self.group_id and self.group else None,
            "due": self.due.isoformat(),
            "state": self.state,
            "overdue": self.overdue,
            "note": self.note,
            "assigned_by": self.assigned_by_id,
            "created_at": self.created_at.isoformat(),
            "accepted_at": self.accepted_at.isoformat() if self.accepted_at else None,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
        }
