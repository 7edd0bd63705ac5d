"""Celery tasks of the integrations app (queue "integrations"). Each takes an id and calls a service."""
from celery import shared_task
from django.conf import settings

from shots.tasks import backoff


@shared_task(bind=True, name="integrations.push_image", acks_late=True, reject_on_worker_lost=True, max_retries=None)
def push_image(self, push_id: str) -> str:
    from integrations.services import push_give_up, push_run

    outcome = push_run(push_id=push_id)
    if outcome.state == "busy":
        raise self.retry(countdown=outcome.retry_in)
    if outcome.state == "transient":
        if self.request.retries >= settings.WORK_MAX_RETRIES:
            push_give_up(push_id, f"Gave up after {self.request.retries + 1} attempts: {outcome.error}")
            return "failed"
        raise self.retry(countdown=backoff(self.request.retries))
    return outcome.state


@shared_task(name="integrations.poll_confirmation", acks_late=True)
def poll_confirmation(push_id: str) -> str:
    from integrations.services import push_poll

    return push_poll(push_id=push_id)


@shared_task(name="integrations.poll_confirmations")
def poll_confirmations() -> int:
    """Ask retailers about every push awaiting their confirmation."""
    from integrations.services import pushes_awaiting

    ids = list(pushes_awaiting())
    for pk in ids:
        poll_confirmation.delay(str(pk))
    return len(ids)


@shared_task(name="integrations.sweep_pushes")
def sweep_pushes() -> int:
    """Re-send pushes whose message was lost or whose worker died (the claim makes repeats harmless)."""
    from integrations.services import pushes_stale

    ids = list(pushes_stale())
    for pk in ids:
        push_image.delay(str(pk))
    return len(ids)
