"""The image engines: the one package that talks to whatever generates images (docs/providers.md).

One module per engine: `local` (Pillow, offline: the default), `fashn` (FASHN's hosted API),
`replicate` (Replicate's prediction API, and the same API of a self-hosted Cog container).
`get_provider(config)` returns the engine a generation runs on; `shots/engines.py` says which
(the server's settings, or an organization's override). Every remote engine is reached through
the guarded outbound client (sartiq/outbound.py): an engine on the internal network (a Cog fleet)
is listed in OUTBOUND_ALLOWED_HOSTS.
"""
from __future__ import annotations

import hashlib

from django.core.exceptions import ImproperlyConfigured

from shots.providers.base import (
    CANCELED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    EngineConfig,
    GeneratedImage,
    GenerationRequest,
    JobState,
    PermanentProviderError,
    ProviderError,
    RateLimited,
    RemoteProvider,
    TransientProviderError,
    WebhookRefused,
    webhook_token_valid,
    webhook_url,
)
from shots.providers.fashn import FashnProvider
from shots.providers.local import LocalImageProvider
from shots.providers.replicate import CogProvider, ReplicateProvider

# The values of the IMAGE_PROVIDER setting (its accepted values, `settings.IMAGE_PROVIDERS`, are these).
PROVIDERS = {"local": LocalImageProvider, "fashn": FashnProvider, "replicate": ReplicateProvider, "cog": CogProvider}

__all__ = [
    "CANCELED", "FAILED", "QUEUED", "RUNNING", "SUCCEEDED", "EngineConfig", "GeneratedImage", "GenerationRequest",
    "JobState", "LocalImageProvider", "PROVIDERS", "PermanentProviderError", "ProviderError", "RateLimited",
    "RemoteProvider", "TransientProviderError", "WebhookRefused", "get_provider", "stable_seed",
    "webhook_token_valid", "webhook_url",
]


def get_provider(config: EngineConfig):
    """The engine `config` names; a name no engine has is refused, never served by another."""
    if config.engine not in PROVIDERS:
        raise ImproperlyConfigured(f"IMAGE_PROVIDER={config.engine!r} is not understood: "
                                   f"accepted values are {', '.join(PROVIDERS)}.")
    if config.engine == "local":
        return LocalImageProvider()
    return PROVIDERS[config.engine](config)


def stable_seed(*parts) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)
