"""Celery tasks of the shots app. Each takes an id and calls a service (shots/generation.py)."""
from celery import shared_task

from sartiq.work import finish, sweep


@shared_task(bind=True, name="shots.run_generation", acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_generation(self, generation_id: str) -> str:
    from shots.generation import generation_give_up, generation_run

    # Another worker holding it: look again when its lease ends. Transient errors: backoff.
    return finish(self, generation_run(generation_id=generation_id),
                  lambda reason: generation_give_up(generation_id, reason))


@shared_task(name="shots.sweep_generations")
def sweep_generations() -> int:
    """Re-send generations whose message was lost or whose worker died; claims make repeats harmless."""
    from shots.generation import generations_stale

    return sweep(run_generation, generations_stale())


@shared_task(name="shots.sweep_uploads")
def sweep_uploads() -> int:
    """Remove direct uploads that expired unregistered, with their files."""
    from shots.uploads import uploads_sweep

    return uploads_sweep()
