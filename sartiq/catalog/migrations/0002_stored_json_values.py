"""Issue #11: JSON columns refuse what a later read cannot render, and rows stored before are
repaired (a number beyond ±(2^53 − 1) becomes its decimal text, a part nested too deep its JSON
text: sartiq/json_values.py), so that every object reads again."""
from django.db import migrations

import sartiq.models
from sartiq.json_values import repair_stored


def repair(apps, schema_editor):
    repair_stored(apps, "catalog")


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='product',
            name='brand_metadata',
            field=sartiq.models.JSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='product',
            name='data_image_urls',
            field=sartiq.models.JSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name='product',
            name='reference_images',
            field=sartiq.models.JSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name='shottype',
            name='margins',
            field=sartiq.models.JSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='subject',
            name='data_image_urls',
            field=sartiq.models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(repair, migrations.RunPython.noop),
    ]
