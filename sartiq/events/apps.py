from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "sartiq.events"
    label = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from sartiq.events import delivery, services

        # Committed events go to the webhook endpoints that subscribe to them (docs/events.md).
        services.on_recorded(delivery.events_recorded)
