"""Existing sample photos move to random names (they were stored as <sample code>-<n>.<ext>, guessable)."""

from django.db import migrations

from nongan.core.files import move_to_random_name


def forwards(apps, schema_editor):
    SamplePhoto = apps.get_model("monitoring", "SamplePhoto")
    for photo in SamplePhoto.objects.iterator():
        new = move_to_random_name(photo.image, allowed={"jpg", "jpeg", "png", "webp"})
        if new:
            SamplePhoto.objects.filter(pk=photo.pk).update(image=new)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_seed_sample_numbers")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
