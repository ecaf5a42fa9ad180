"""Start the registry-number counters (nongan.core.numbering) after the highest number stored per township."""

import re

from django.db import migrations

from nongan.core.numbering import seed_counters

CODE = re.compile(r"(\d{9})(\d{6,})")  # township code (9 digits) + serial


def seed(apps, schema_editor):
    Producer = apps.get_model("registry", "Producer")
    Counter = apps.get_model("core", "NumberCounter")
    codes = Producer._base_manager.values_list("code", flat=True).iterator(chunk_size=5000)
    seed_counters(Counter, "producer", ((m[1], int(m[2])) for m in map(CODE.fullmatch, codes) if m))


def unseed(apps, schema_editor):
    apps.get_model("core", "NumberCounter").objects.filter(series="producer").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_number_counter"),
        ("registry", "0004_producer_account"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
