"""Append-only in the database: triggers refuse UPDATE and DELETE on history, version and audit tables.

Written by hand. The trigger installer lives in review.audit so that the
post_migrate receiver can run it again for history tables added later; it is
idempotent (CREATE OR REPLACE on PostgreSQL, IF NOT EXISTS on SQLite) and
skips tables that do not exist yet.
"""

from django.db import migrations


def install(apps, schema_editor):
    from review.audit import install_append_only_triggers

    install_append_only_triggers(schema_editor.connection)


def drop(apps, schema_editor):
    from review.audit import drop_append_only_triggers

    drop_append_only_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0002_history_reason_text"),
        ("review", "0003_audit_chain"),
    ]

    operations = [migrations.RunPython(install, drop, elidable=False)]
