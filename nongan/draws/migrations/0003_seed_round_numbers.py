"""Start the round-number counters (nongan.core.numbering) after the highest round number stored per year."""

import re

from django.db import migrations

from nongan.core.numbering import seed_counters

CODE = re.compile(r"SJ(\d{4})-(\d+)")  # SJ, year, hyphen, serial


def seed(apps, schema_editor):
    DrawRound = apps.get_model("draws", "DrawRound")
    Counter = apps.get_model("core", "NumberCounter")
    codes = DrawRound._base_manager.values_list("code", flat=True).iterator(chunk_size=5000)
    seed_counters(Counter, "draw_round", ((m[1], int(m[2])) for m in map(CODE.fullmatch, codes) if m))


def unseed(apps, schema_editor):
    apps.get_model("core", "NumberCounter").objects.filter(series="draw_round").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_number_counter"),
        ("draws", "0002_inspector_labels"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
