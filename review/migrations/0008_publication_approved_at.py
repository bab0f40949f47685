"""Publication.approved_at: the feed's expiry filter reads the row instead of joining signatures.

Existing publications get their pinned version's latest approving signature, the value the feed
computed at read time until now, in one UPDATE. Historical rows keep NULL: they record what was
saved then, and the column did not exist.
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_approved_at(apps: Any, schema_editor: Any) -> None:
    Publication = apps.get_model("review", "Publication")
    Signature = apps.get_model("review", "Signature")
    latest = (
        Signature.objects.filter(
            review__claim_id=OuterRef("claim_id"),
            review__version=OuterRef("version"),
            review__decision="approve",
        )
        .order_by("-signed_at")
        .values("signed_at")[:1]
    )
    # A derived column filled once, not a change anyone made: no history row or audit event, so
    # the plain base manager (GovernedQuerySet refuses update() on the live model).
    Publication._base_manager.using(schema_editor.connection.alias).update(approved_at=Subquery(latest))


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0005_review_round"),
        ("review", "0007_webhook_attempt_started_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="publication",
            name="publication_feed_idx",
        ),
        migrations.AddField(
            model_name="historicalpublication",
            name="approved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="publication",
            name="approved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(fill_approved_at, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="publication",
            index=models.Index(
                condition=models.Q(("withdrawn_at__isnull", True)),
                fields=["channel", "-published_at", "-id", "approved_at", "claim", "withdrawn_at"],
                name="publication_live_feed_idx",
            ),
        ),
    ]
