"""SQLite: FTS5 indexes of article titles and claim texts (content.search.install_fts_index).

PostgreSQL needs nothing here: it searches with to_tsvector at query time.
"""

from django.db import migrations


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    from content.search import install_fts_index

    install_fts_index(schema_editor.connection)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in ("content_article", "content_claim"):
            for suffix in ("insert", "delete", "update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            cursor.execute(f"DROP TABLE IF EXISTS {table}_fts")


class Migration(migrations.Migration):
    dependencies = [("content", "0010_article_archive")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
