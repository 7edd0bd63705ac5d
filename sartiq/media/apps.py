from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "sartiq.media"
    label = "media"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from sartiq.media.images import sync_pillow_limit

        sync_pillow_limit()
