"""The one Celery app. Queues: generation, styling, integrations (see docs/architecture.md)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sartiq.settings")

app = Celery("sartiq")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
