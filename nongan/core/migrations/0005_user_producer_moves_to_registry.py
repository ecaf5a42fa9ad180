from django.db import migrations


class Migration(migrations.Migration):
    """The account ↔ producer link now lives in registry.ProducerAccount (filled from this column first)."""

    dependencies = [
        ("core", "0004_number_counter"),
        ("registry", "0004_producer_account"),
    ]

    operations = [
        migrations.RemoveField(model_name="user", name="producer"),
    ]
