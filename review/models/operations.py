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
    recipients = models.TextField(help_text="The addresses it went to, one per line.")
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
