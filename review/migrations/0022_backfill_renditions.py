"""Render what each live publication serves, for publications written before renditions existed.

This runs the app's own renderer (review.publishing.renditions.backfill) rather than a copy, so
the stored bytes are exactly what publishing writes, with their history rows and chained audit
events. On a new database there are no publications and it does nothing.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    from django.utils import timezone

    from review.audit.chain import system_user
    from review.publishing.renditions import backfill as render_live

    Publication = apps.get_model("review", "Publication")
    if Publication.objects.filter(withdrawn_at__isnull=True, rendition__isnull=True).exists():
        render_live(by=system_user(), now=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0021_publication_renditions"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
