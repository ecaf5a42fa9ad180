"""On PostgreSQL, a trigram index makes the producer search (LIKE '%term%' on search_text) use an index.
Other databases keep the plain scan; nothing else depends on the index."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS producer_search_trgm_idx ON registry_producer USING gin (search_text gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS producer_search_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_certification_labels")]

    operations = [migrations.RunPython(create, drop)]
