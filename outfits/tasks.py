"""Celery tasks of the outfits app (the stylist). Each takes an id and calls a service."""
from celery import shared_task
from django.conf import settings

from shots.tasks import backoff


@shared_task(bind=True, name="outfits.style_outfit_proposal", acks_late=True, reject_on_worker_lost=True,
             max_retries=None)
def style_outfit_proposal(self, outfit_id: str) -> str:
    from outfits.styling import proposal_give_up, proposal_style

    outcome = proposal_style(outfit_id=outfit_id)
    if outcome.state == "busy":
        raise self.retry(countdown=outcome.retry_in)
    if outcome.state == "transient":
        if self.request.retries >= settings.WORK_MAX_RETRIES:
            proposal_give_up(outfit_id, f"Gave up after {self.request.retries + 1} attempts: {outcome.error}")
            return "failed"
        raise self.retry(countdown=backoff(self.request.retries))
    return outcome.state


@shared_task(name="outfits.sweep_proposals")
def sweep_proposals() -> int:
    """Re-send proposals whose message was lost or whose worker died."""
    from outfits.styling import proposals_stale

    ids = list(proposals_stale())
    for pk in ids:
        style_outfit_proposal.delay(str(pk))
    return len(ids)
