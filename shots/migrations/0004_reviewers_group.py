"""The "Reviewers" group: what staff need to work the review queue (grant it in the admin)."""
from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = [
    ("shootings", "shooting"), ("shootings", "shootinglook"), ("shots", "shot"), ("shots", "shotrevision"),
    ("shots", "generation"), ("catalog", "product"), ("catalog", "subject"), ("integrations", "externalimagepush"),
    ("media", "mediaresource"), ("outfits", "outfit"),
]
CHANGE = [("shots", "reviewshot"), ("shots", "shot"), ("integrations", "externalimagepush")]


def create_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Reviewers")
    wanted = [(app, f"view_{model}") for app, model in VIEW + CHANGE] + [(app, f"change_{model}") for app, model in CHANGE]
    for app_label, codename in wanted:
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is not None:
            group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Reviewers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("shots", "0003_review_shot"),
        ("shootings", "0001_initial"),
        ("catalog", "0001_initial"),
        ("integrations", "0003_push_claims"),
        ("media", "0001_initial"),
        ("outfits", "0003_claims"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_group, remove_group)]
