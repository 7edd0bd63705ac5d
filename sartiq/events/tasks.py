"""Celery tasks of webhooks to clients (queue "default"): each takes ids and calls the worker code
of sartiq/events/delivery.py."""
from celery import shared_task


@shared_task(name="events.fan_out", acks_late=True)
def fan_out(event_ids: list[int]) -> int:
    """Create and enqueue the deliveries of committed events (a repeated message creates none)."""
    from sartiq.events.delivery import fan_out_events

    return len(fan_out_events(event_ids))


@shared_task(bind=True, name="events.deliver_webhook", acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver_webhook(self, delivery_id: str) -> str:
    """One attempt of a delivery; the next one is this task again when it is due soon, else the sweeper's."""
    from sartiq.events.delivery import REQUEUE_WITHIN, delivery_run

    outcome = delivery_run(delivery_id=delivery_id)
    if outcome.state in ("busy", "waiting", "transient") and outcome.retry_in <= REQUEUE_WITHIN:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@shared_task(name="events.sweep_webhooks")
def sweep_webhooks() -> int:
    """Send again the fan-outs and deliveries whose messages were lost or whose workers died."""
    from sartiq.events.delivery import sweep

    return sweep()
