"""Certificate numbers and batch codes move onto nongan.core.numbering: start the "certificate" counters after
the last serial of each district/year sequence and the highest certificate number stored (whichever is
higher), start the "batch" counters after the highest batch code stored, then drop NumberSequence."""

import re

from django.db import migrations

from nongan.core.numbering import seed_counters

# district (6), year (2), serial (8 or more), check character
NUMBER = re.compile(r"(\d{6})(\d{2})(\d{8,})[0-9A-Z]")
# B, the producer's last 8 digits, year (2), serial (4 or more)
BATCH = re.compile(r"B(\d{8})(\d{2})(\d{4,})")


def _numbers(Certificate):
    numbers = Certificate._base_manager.values_list("number", flat=True).iterator(chunk_size=5000)
    for m in map(NUMBER.fullmatch, numbers):
        if m:
            yield f"{m[1]}:{2000 + int(m[2])}", int(m[3])


def seed(apps, schema_editor):
    Counter = apps.get_model("core", "NumberCounter")
    NumberSequence = apps.get_model("certificates", "NumberSequence")
    Certificate = apps.get_model("certificates", "Certificate")
    ProductionBatch = apps.get_model("certificates", "ProductionBatch")
    sequences = ((f"{d}:{y}", last) for d, y, last in NumberSequence.objects.values_list("district", "year", "last"))
    seed_counters(Counter, "certificate", [*sequences, *_numbers(Certificate)])
    codes = ProductionBatch._base_manager.values_list("code", flat=True).iterator(chunk_size=5000)
    seed_counters(
        Counter,
        "batch",
        ((f"{m[1]}:{2000 + int(m[2])}", int(m[3])) for m in map(BATCH.fullmatch, codes) if m),
    )


def unseed(apps, schema_editor):
    """Back to NumberSequence: one row per district/year at its counter."""
    Counter = apps.get_model("core", "NumberCounter")
    NumberSequence = apps.get_model("certificates", "NumberSequence")
    for key, last in Counter.objects.filter(series="certificate").values_list("key", "last"):
        district, year = key.split(":")
        NumberSequence.objects.update_or_create(district=district, year=int(year), defaults={"last": last})
    Counter.objects.filter(series__in=["certificate", "batch"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_number_counter"),
        ("certificates", "0004_certificate_basis_records"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
        migrations.DeleteModel(name="NumberSequence"),
    ]
