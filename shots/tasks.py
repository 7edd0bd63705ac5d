"""Celery tasks of the shots app (generations). Each takes an id and calls a service."""
from celery import shared_task


@shared_task(name="shots.run_generation", acks_late=True, reject_on_worker_lost=True)
def run_generation(generation_id: str) -> None:
    """Run one generation (implemented by the asynchronous-work issue)."""
    from shots.generation import generation_run

    generation_run(generation_id=generation_id)
