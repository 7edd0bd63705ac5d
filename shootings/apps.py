from django.apps import AppConfig


class ShootingsConfig(AppConfig):
    name = "shootings"
    default_auto_field = "django.db.models.BigAutoField"
