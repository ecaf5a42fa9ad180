"""The shared cache's table (rate limits across workers), made by ``migrate`` so no extra step is needed."""

from django.core.management import call_command
from django.db import migrations


def forwards(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0011_import_pipeline")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
