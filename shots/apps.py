from django.apps import AppConfig


class ShotsConfig(AppConfig):
    name = "shots"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Every process (web, worker, manage.py) refuses an engine input map it cannot read, at
        # start-up rather than at its first generation.
        from shots.providers.replicate import check_input_maps

        check_input_maps()

        from sartiq import metrics
        from shots.selectors import generation_counts_by_status

        metrics.count_by_status("sartiq_generations", "Generations by status", generation_counts_by_status)
