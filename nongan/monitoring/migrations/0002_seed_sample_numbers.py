"""Start the sample-number counters (nongan.core.numbering) after the highest sample number stored per year."""

import re

from django.db import migrations

from nongan.core.numbering import seed_counters

CODE = re.compile(r"CY(\d{4})(\d{5,})")  # CY, year, serial


def seed(apps, schema_editor):
    Sample = apps.get_model("monitoring", "Sample")
    Counter = apps.get_model("core", "NumberCounter")
    codes = Sample._base_manager.values_list("code", flat=True).iterator(chunk_size=5000)
    seed_counters(Counter, "sample", ((m[1], int(m[2])) for m in map(CODE.fullmatch, codes) if m))


def unseed(apps, schema_editor):
    apps.get_model("core", "NumberCounter").objects.filter(series="sample").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_number_counter"),
        ("monitoring", "0001_monitoring_initial"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
