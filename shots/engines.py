"""Which engine and model a generation runs on: the server's settings (IMAGE_PROVIDER and the
engine's variables), unless the shooting's organization set an override (see docs/providers.md)."""
from __future__ import annotations

from django.conf import settings

from shots.providers import EngineConfig


def server_engine(engine: str | None = None) -> EngineConfig:
    """The server's configuration of `engine` (IMAGE_PROVIDER's by default)."""
    engine = engine or settings.IMAGE_PROVIDER
    if engine == "fashn":
        return EngineConfig("fashn", settings.FASHN_MODEL, settings.FASHN_API_KEY, settings.FASHN_BASE_URL)
    if engine == "replicate":
        return EngineConfig("replicate", settings.REPLICATE_MODEL, settings.REPLICATE_API_TOKEN,
                            settings.REPLICATE_BASE_URL, settings.REPLICATE_WEBHOOK_SECRET)
    if engine == "cog":
        return EngineConfig("cog", "", "", settings.COG_URL)
    return EngineConfig(engine)


def engine_for(shooting) -> EngineConfig:
    """The engine of a new generation of `shooting`."""
    return server_engine()


def engine_of(generation) -> EngineConfig:
    """The engine a generation was submitted to (its recorded engine and model), with today's
    credentials: a job submitted before an override changed is finished where it runs."""
    config = server_engine(generation.provider or None)
    return EngineConfig(config.engine, generation.model or config.model, config.api_key, config.base_url,
                        config.webhook_secret)
