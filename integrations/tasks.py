"""Celery tasks of the integrations app (queue "integrations"). Each takes an id and calls a service
(the push worker: integrations/pushing.py)."""
from celery import shared_task

from sartiq.work import finish, sweep


@shared_task(bind=True, name="integrations.push_image", acks_late=True, reject_on_worker_lost=True, max_retries=None)
def push_image(self, push_id: str) -> str:
    from integrations.pushing import push_give_up, push_run

    return finish(self, push_run(push_id=push_id), lambda reason: push_give_up(push_id, reason))


@shared_task(name="integrations.poll_confirmation", acks_late=True)
def poll_confirmation(push_id: str) -> str:
    from integrations.pushing import push_poll

    return push_poll(push_id=push_id)


@shared_task(name="integrations.poll_confirmations")
def poll_confirmations() -> int:
    """Ask retailers about every push awaiting their confirmation."""
    from integrations.pushing import pushes_awaiting

    return sweep(poll_confirmation, pushes_awaiting())


@shared_task(name="integrations.sweep_pushes")
def sweep_pushes() -> int:
    """Re-send pushes whose message was lost or whose worker died (the claim makes repeats harmless)."""
    from integrations.pushing import pushes_stale

    return sweep(push_image, pushes_stale())


@shared_task(name="integrations.prune_callback_messages")
def prune_callback_messages() -> int:
    """Forget callback message ids past the replay window (docs: Standard Webhooks tolerance)."""
    from integrations.services.callbacks import callback_messages_prune

    return callback_messages_prune()
