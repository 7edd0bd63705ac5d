"""Celery tasks of the outfits app (the stylist). Each takes an id and calls a service."""
from celery import shared_task

from sartiq.work import finish, sweep


@shared_task(bind=True, name="outfits.style_outfit_proposal", acks_late=True, reject_on_worker_lost=True,
             max_retries=None)
def style_outfit_proposal(self, outfit_id: str) -> str:
    from outfits.styling import proposal_give_up, proposal_style

    return finish(self, proposal_style(outfit_id=outfit_id), lambda reason: proposal_give_up(outfit_id, reason))


@shared_task(name="outfits.sweep_proposals")
def sweep_proposals() -> int:
    """Re-send proposals whose message was lost or whose worker died."""
    from outfits.styling import proposals_stale

    return sweep(style_outfit_proposal, proposals_stale())
