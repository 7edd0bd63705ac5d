"""Issue #11: JSON columns refuse what a later read cannot render, and rows stored before are
repaired (a number beyond ±(2^53 − 1) becomes its decimal text, a part nested too deep its JSON
text: sartiq/json_values.py), so that every object reads again."""
from django.db import migrations

import sartiq.models
from sartiq.json_values import repair_stored


def repair(apps, schema_editor):
    repair_stored(apps, "integrations")


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0005_security_issue_10'),
    ]

    operations = [
        migrations.AlterField(
            model_name='externalintegration',
            name='settings',
            field=sartiq.models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name='externalproductmapping',
            name='extra',
            field=sartiq.models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(repair, migrations.RunPython.noop),
    ]
