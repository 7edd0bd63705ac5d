"""Celery tasks of the shots app. Each takes an id and calls a service (shots/generation.py)."""
from celery import shared_task
from django.conf import settings


def backoff(retries: int) -> float:
    """Exponential backoff: base, 2x base, 4x base... capped at one hour."""
    return min(3600.0, settings.WORK_RETRY_BACKOFF_SECONDS * (2 ** retries))


@shared_task(bind=True, name="shots.run_generation", acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_generation(self, generation_id: str) -> str:
    from shots.generation import generation_give_up, generation_run

    outcome = generation_run(generation_id=generation_id)
    if outcome.state == "busy":
        # Another worker holds a live lease: look again when it ends (taking over if it died).
        raise self.retry(countdown=outcome.retry_in)
    if outcome.state == "transient":
        if self.request.retries >= settings.WORK_MAX_RETRIES:
            generation_give_up(generation_id, f"Gave up after {self.request.retries + 1} attempts: {outcome.error}")
            return "failed"
        raise self.retry(countdown=backoff(self.request.retries))
    return outcome.state


@shared_task(name="shots.sweep_generations")
def sweep_generations() -> int:
    """Re-send generations whose message was lost or whose worker died; claims make repeats harmless."""
    from shots.generation import generations_stale

    ids = list(generations_stale())
    for pk in ids:
        run_generation.delay(str(pk))
    return len(ids)
