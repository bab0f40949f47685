"""The audit trail's own rows: chained events and verification runs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from content.exceptions import NotAllowed
from content.models import Claim
from review.models.channels import Channel


class AuditEvent(models.Model):
    """Append-only business event, chained by hash so tampering is detectable.

    Rows are written only by review.audit: ids are allocated there as
    previous id + 1 under a lock, so the chain is gap-free and starts at 1;
    `hash` is HMAC-SHA256 (under AUDIT_KEY) over the row's canonical content plus `prev_hash`.
    Database triggers refuse UPDATE and DELETE on this table.
    """

    # `id` is allocated by review.audit (previous + 1), never by the sequence: a gap means a deleted row.
    at = models.DateTimeField(default=timezone.now)
    # db_index off on the FKs below: the composite (fk, id) indexes in Meta serve both filter and order.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    # The username at the time, part of the hash: a later rename changes no sealed event.
    actor_username = models.CharField(max_length=150)
    type = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60, blank=True)
    # The row this event seals (None for business events such as logins): a simple-history row's
    # history_id, or a ClaimVersion's id; object_type names the model.
    history_id = models.BigIntegerField(null=True, blank=True)
    # SHA-256 of that row's columns (review.audit.rows), so the event's seal covers the row.
    digest = models.CharField(max_length=64, blank=True, default="", db_default="")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    article = models.ForeignKey(
        "content.Article", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    changes = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # Timeline and dossier of one claim, in chain order (?claim=).
            models.Index(fields=["claim", "id"], name="auditevent_claim_id_idx"),
            # Everything that happened to or inside one article (?article=).
            models.Index(fields=["article", "id"], name="auditevent_article_id_idx"),
            # A channel's configuration and publications (?channel=).
            models.Index(fields=["channel", "id"], name="auditevent_channel_id_idx"),
            # What one person did (?actor=).
            models.Index(fields=["actor", "id"], name="auditevent_actor_id_idx"),
            # One kind of event, e.g. every status change or failed login (?type=).
            models.Index(fields=["type", "id"], name="auditevent_type_id_idx"),
            # Date ranges (?since=&until=); with the id, a page of one day is cut from the index alone.
            models.Index(fields=["at", "id"], name="auditevent_at_idx"),
        ]
        constraints = [
            # Two events naming the same predecessor would fork the chain: the lock in
            # review.audit prevents it, this makes the database refuse it as well.
            models.UniqueConstraint(fields=["prev_hash"], name="auditevent_one_successor"),
            models.CheckConstraint(condition=~Q(type=""), name="auditevent_type_present"),
            # Exactly one event per sealed row; also the (object_type, history_id) order verify reads in.
            models.UniqueConstraint(
                fields=["object_type", "history_id"],
                condition=Q(history_id__isnull=False),
                name="auditevent_one_per_row",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise NotAllowed("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise NotAllowed("Audit events are append-only.")


class AuditVerification(models.Model):
    """One run of the chain verification, for the integrity page."""

    at = models.DateTimeField(default=timezone.now)
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ok = models.BooleanField()
    events_checked = models.PositiveBigIntegerField()
    first_broken = models.BigIntegerField(null=True, blank=True)
    head = models.CharField(max_length=64, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{'intact' if self.ok else 'BROKEN'}: {self.events_checked} events at {self.at:%Y-%m-%d %H:%M} UTC"
