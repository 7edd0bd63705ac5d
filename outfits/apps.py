from django.apps import AppConfig


class OutfitsConfig(AppConfig):
    name = "outfits"
    default_auto_field = "django.db.models.BigAutoField"
