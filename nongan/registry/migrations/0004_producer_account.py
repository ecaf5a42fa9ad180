import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def links_to_accounts(apps, schema_editor):
    """Every account that belonged to a producer keeps it (core.User.producer → registry.ProducerAccount)."""
    User = apps.get_model("core", "User")
    ProducerAccount = apps.get_model("registry", "ProducerAccount")
    rows = [
        ProducerAccount(user_id=user_id, producer_id=producer_id)
        for user_id, producer_id in User.objects.filter(producer__isnull=False).values_list("pk", "producer_id")
    ]
    ProducerAccount.objects.bulk_create(rows, batch_size=1000)


def accounts_to_links(apps, schema_editor):
    User = apps.get_model("core", "User")
    ProducerAccount = apps.get_model("registry", "ProducerAccount")
    for user_id, producer_id in ProducerAccount.objects.values_list("user_id", "producer_id"):
        User.objects.filter(pk=user_id).update(producer_id=producer_id)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_ledger_entry_region"),
        ("registry", "0003_producer_search_trigram"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProducerAccount",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="producer_account",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="account",
                    ),
                ),
                (
                    "producer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="accounts",
                        to="registry.producer",
                        verbose_name="producer",
                    ),
                ),
            ],
            options={
                "verbose_name": "producer account",
                "verbose_name_plural": "producer accounts",
            },
        ),
        migrations.RunPython(links_to_accounts, accounts_to_links),
    ]
