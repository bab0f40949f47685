"""What the public pages say about a person beside their name."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from content.governance import GovernedQuerySet


class Profile(models.Model):
    """A person's credentials, shown with their name where patients see that they reviewed something."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="profile")
    credentials = models.CharField(
        max_length=200,
        blank=True,
        help_text="Shown after their name on public pages, e.g. “MD, consultant psychiatrist”.",
    )

    history = HistoricalRecords()
    objects = GovernedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"profile of user {self.user_id}"


def credentials_of(user_ids: set[int]) -> dict[int, str]:
    """User id -> credentials, for the people who have any (one query)."""
    rows = Profile.objects.filter(user_id__in=user_ids).exclude(credentials="")
    return dict(rows.values_list("user_id", "credentials"))
