"""Existing import files move to random names (they were stored under the name the uploader gave)."""

from django.db import migrations

from nongan.core.files import move_to_random_name


def forwards(apps, schema_editor):
    ImportJob = apps.get_model("core", "ImportJob")
    for job in ImportJob.objects.iterator():
        new = move_to_random_name(job.file, allowed={"xlsx", "csv"})
        if new:
            ImportJob.objects.filter(pk=job.pk).update(file=new)


class Migration(migrations.Migration):
    dependencies = [("core", "0009_hash_existing_api_tokens")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
