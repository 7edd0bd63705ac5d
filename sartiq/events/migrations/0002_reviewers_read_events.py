"""Reviewers (shots/migrations/0004_reviewers_group.py) read the event log: the history on the
review page links to it."""
from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name="Reviewers").first()
    permission = apps.get_model("auth", "Permission").objects.filter(content_type__app_label="events",
                                                                     codename="view_event").first()
    if group is not None and permission is not None:
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="Reviewers").first()
    if group is not None:
        group.permissions.remove(*group.permissions.filter(content_type__app_label="events"))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("shots", "0004_reviewers_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
