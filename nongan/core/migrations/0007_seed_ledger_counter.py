"""Ledger sequence numbers come from nongan.core.numbering: start its counter at the last entry stored."""

from django.db import migrations
from django.db.models import Max

from nongan.core.numbering import seed_counters


def seed(apps, schema_editor):
    LedgerEntry = apps.get_model("core", "LedgerEntry")
    head = LedgerEntry.objects.aggregate(head=Max("seq"))["head"]
    if head:
        seed_counters(apps.get_model("core", "NumberCounter"), "ledger", [("", head)])


def unseed(apps, schema_editor):
    apps.get_model("core", "NumberCounter").objects.filter(series="ledger").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0006_workflow_event")]

    operations = [migrations.RunPython(seed, unseed)]
