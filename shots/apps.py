from django.apps import AppConfig


class ShotsConfig(AppConfig):
    name = "shots"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Every process (web, worker, manage.py) refuses an engine input map it cannot read, at
        # start-up rather than at its first generation.
        from shots.providers.replicate import check_input_maps

        check_input_maps()
