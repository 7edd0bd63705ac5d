"""The one Celery app. Queues: generation, styling, integrations (see docs/architecture.md)."""
import os

from celery import Celery, signals

from sartiq import metrics, request_log

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sartiq.settings")

app = Celery("sartiq")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id of the request that enqueued a task, into its headers and the worker's log lines.
signals.before_task_publish.connect(request_log.add_request_id_header, weak=False)
signals.task_prerun.connect(request_log.task_started, weak=False)
signals.task_postrun.connect(request_log.task_finished, weak=False)
# Task outcomes and durations for /metrics (sartiq/metrics.py).
signals.task_prerun.connect(metrics.task_started, weak=False)
signals.task_postrun.connect(metrics.task_finished, weak=False)
