"""Celery tasks of the outfits app (the stylist). Each takes an id and calls a service."""
from celery import shared_task


@shared_task(name="outfits.style_outfit_proposal", acks_late=True, reject_on_worker_lost=True)
def style_outfit_proposal(outfit_id: str) -> None:
    """Ask the stylist for one outfit proposal (implemented by the asynchronous-work issue)."""
    from outfits.styling import proposal_style

    proposal_style(outfit_id=outfit_id)
