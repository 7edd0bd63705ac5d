"""Celery tasks of the shots app. Each takes an id and calls a service (shots/generation.py)."""
from celery import shared_task
from django.db import OperationalError

from sartiq.work import finish, sweep


@shared_task(bind=True, name="shots.run_generation", acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_generation(self, generation_id: str) -> str:
    from shots.generation import generation_give_up, generation_run

    # Another worker holding it: look again when its lease ends. Transient errors: backoff. A job
    # awaiting its engine's webhook, or an engine's 429: a fresh message after the delay (neither
    # counts against WORK_MAX_RETRIES).
    outcome = generation_run(generation_id=generation_id)
    if outcome.state in ("awaiting", "rate_limited"):
        run_generation.apply_async((generation_id,), countdown=outcome.retry_in)
        return outcome.state
    return finish(self, outcome, lambda reason: generation_give_up(generation_id, reason))


@shared_task(bind=True, name="shots.cancel_provider_job", max_retries=5, default_retry_delay=30)
def cancel_provider_job(self, generation_id: str) -> bool:
    """Stop the engine's job of a cancelled generation (its worker also stops at its next report)."""
    from shots.generation import generation_cancel_job
    from shots.providers import TransientProviderError

    try:
        return generation_cancel_job(generation_id)
    except TransientProviderError as exc:
        raise self.retry(exc=exc)


@shared_task(name="shots.prune_provider_webhook_messages")
def prune_provider_webhook_messages() -> int:
    from shots.generation import provider_webhook_messages_prune

    return provider_webhook_messages_prune()


@shared_task(name="shots.sweep_generations")
def sweep_generations() -> int:
    """Re-send generations whose message was lost or whose worker died; claims make repeats harmless."""
    from shots.generation import generations_stale

    return sweep(run_generation, generations_stale())


@shared_task(name="shots.check_revision_quality", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OSError, OperationalError), retry_backoff=10, retry_backoff_max=600, max_retries=5)
def check_revision_quality(revision_id: str) -> str:
    """Run a new revision's quality checks (docs/quality.md). A duplicate message, or a revision
    checked or deleted meanwhile, changes nothing. Storage and database hiccups retry with backoff;
    after the last retry the sweeper sends it again."""
    from shots.checking import revision_quality_check

    return revision_quality_check(revision_id=revision_id) or "skipped"


@shared_task(name="shots.sweep_quality_checks")
def sweep_quality_checks() -> int:
    """Re-send the checks of revisions still PENDING after a while (a lost message, a dead worker)."""
    from shots.services.quality import revisions_quality_stale

    return sweep(check_revision_quality, revisions_quality_stale())


@shared_task(name="shots.sweep_uploads")
def sweep_uploads() -> int:
    """Remove direct uploads that expired unregistered, with their files."""
    from shots.uploads import uploads_sweep

    return uploads_sweep()
