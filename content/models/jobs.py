"""Background imports: a large article is imported by the task worker, and this row says how it went.

An operational record like a webhook delivery, not a governed one: what the import writes
(the article, its claims and references) has history and audit events of its own, attributed
to the author who asked for it. The row holds the text only until the worker has stored it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ImportJobStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the worker"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=300, blank=True)
    format = models.CharField(max_length=10)
    force = models.BooleanField(default=False)
    source_text = models.TextField()
    status = models.CharField(max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.PENDING)
    # Claims the parser found; known once the worker has parsed the text, before it writes them.
    claims_total = models.PositiveIntegerField(null=True, blank=True)
    article = models.ForeignKey("content.Article", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.TextField(blank=True, help_text="Why the import failed, in words for its author.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ImportJobStatus.values), name="importjob_status_valid"),
            # A finished import names its article; nothing else does.
            models.CheckConstraint(
                condition=Q(status=ImportJobStatus.DONE, article__isnull=False)
                | (~Q(status=ImportJobStatus.DONE) & Q(article__isnull=True)),
                name="importjob_done_has_article",
            ),
        ]

    def __str__(self) -> str:
        return f"import {self.pk} by user {self.owner_id}: {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in {ImportJobStatus.DONE, ImportJobStatus.FAILED}
