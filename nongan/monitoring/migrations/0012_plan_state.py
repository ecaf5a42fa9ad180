# The plan's publishing becomes a workflow state (services.PLAN_WORKFLOW); plans published before carry it.

from django.db import migrations, models


def published_plans(apps, schema_editor):
    Plan = apps.get_model("monitoring", "MonitoringPlan")
    Plan.objects.filter(published__isnull=False).update(state="published")


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0011_sample_species_tissue"),
    ]

    operations = [
        migrations.AddField(
            model_name="monitoringplan",
            name="state",
            field=models.CharField(
                choices=[("draft", "Not published"), ("published", "Published")],
                default="draft",
                max_length=16,
                verbose_name="state",
            ),
        ),
        migrations.RunPython(published_plans, migrations.RunPython.noop),
    ]
