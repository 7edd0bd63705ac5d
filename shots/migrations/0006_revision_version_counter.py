from django.db import migrations, models

# Existing shots continue after the highest version they have now. Versions deleted before this
# migration (above the current highest) cannot be known any more; from here on none is reused.
FROM_EXISTING = """
UPDATE shots_shot AS shot SET last_revision_version = latest.version
FROM (SELECT shot_id, MAX(version) AS version FROM shots_shotrevision GROUP BY shot_id) AS latest
WHERE latest.shot_id = shot.id
"""


class Migration(migrations.Migration):

    dependencies = [
        ("shots", "0005_direct_uploads"),
    ]

    operations = [
        migrations.AddField(
            model_name="shot",
            name="last_revision_version",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunSQL(FROM_EXISTING, migrations.RunSQL.noop),
    ]
