"""Which engine and model a generation runs on: the server's settings (IMAGE_PROVIDER and the
engine's variables), unless the shooting's organization set an override (`OrganizationEngine`,
docs/providers.md).

An organization's override names an engine, a model, and optionally the organization's own
credentials for that engine. The engine's host is always the server's setting (FASHN_BASE_URL,
REPLICATE_BASE_URL, COG_URL): a tenant never points the server at a host of its choosing, and the
server's key only ever goes to the server's hosts.

- **With its own key** (`api_key`), the organization runs `fashn` or `replicate` with any model,
  on its own account (its money). Replicate's webhooks are signed by the organization's account:
  its `whsec_` (`webhook_secret`) verifies them; without one its jobs are polled.
- **Without a key**, the server's credentials are used, and only for the server's own engine
  (IMAGE_PROVIDER): an organization cannot make the server spend on an engine it does not run.
  The model is a cost decision too: on the server's account an organization runs the server's
  model, or one the operator lists in IMAGE_PROVIDER_TENANT_MODELS.
- `local` needs nothing and costs nothing; `cog` is the server's own containers (no key, no
  model: the container serves one model).

An override that no longer applies (the server stopped running the engine a keyless override
names, or stopped offering its model) is ignored: the server's engine serves the organization.
"""
from __future__ import annotations

import re

from django.conf import settings
from django.db.models import Subquery

from sartiq.errors import BusinessRuleError, InvalidInput
from sartiq.secrets import check_webhook_secret, reveal
from shots.choices import Engine
from shots.models import Generation, OrganizationEngine
from shots.providers import EngineConfig, PermanentProviderError
from shots.providers.fashn import MODELS as FASHN_MODELS

# The engines an organization may run with its own key (`local` and `cog` take none).
KEYED_ENGINES = (Engine.FASHN, Engine.REPLICATE)
# What a model name may be: FASHN's `model_name` (tryon-v1.6, product-to-model); Replicate's
# `owner/name`, `owner/name:<version>` or a version id. The name goes into a URL path at
# Replicate, so it is held to these characters.
MODEL_NAMES = {
    Engine.FASHN: re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
    Engine.REPLICATE: re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
                                 r"(?::[0-9a-f]{64})?|[0-9a-f]{64})$"),
}


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


def server_models(engine: str) -> set[str]:
    """The models an organization without its own key may choose for `engine`: the server's own
    and those IMAGE_PROVIDER_TENANT_MODELS lists ("" stands for the server's)."""
    listed = {entry.partition(":")[2] for entry in settings.IMAGE_PROVIDER_TENANT_MODELS
              if entry.partition(":")[0] == engine}
    return {"", server_engine(engine).model, *listed}


def _revealed(stored: str) -> str:
    """An organization's secret, for the engine: one no key opens fails the generation with a
    reason its admins can act on (a 400 elsewhere; here the worker's permanent error)."""
    try:
        return reveal(stored)
    except BusinessRuleError:
        raise PermanentProviderError("The organization's engine credentials cannot be decrypted: an admin of "
                                     "the organization must enter them again") from None


def _own(override: OrganizationEngine) -> EngineConfig:
    """The override on the organization's own account: its key and webhook secret, the server's host."""
    server = server_engine(override.engine)
    return EngineConfig(override.engine, override.model or server.model, _revealed(override.api_key),
                        server.base_url, _revealed(override.webhook_secret), account="organization")


def _applies(override: OrganizationEngine) -> tuple[str, str] | None:
    """The engine and model an override runs new generations on, or None when it no longer
    applies. Reads no secret."""
    if override.engine == Engine.LOCAL:
        return "local", ""
    if override.api_key and override.engine in KEYED_ENGINES:
        return override.engine, override.model or server_engine(override.engine).model
    if override.engine != settings.IMAGE_PROVIDER:
        return None
    model = override.model if override.model in server_models(override.engine) else ""
    return override.engine, model or server_engine(override.engine).model


def override_config(override: OrganizationEngine) -> EngineConfig | None:
    """What new generations of the organization run on, or None when the override no longer
    applies (the server's engine serves them)."""
    applies = _applies(override)
    if applies is None:
        return None
    engine, model = applies
    if engine == Engine.LOCAL:
        return EngineConfig("local")
    if override.api_key and engine in KEYED_ENGINES:
        return _own(override)
    server = server_engine(engine)
    return EngineConfig(engine, model, server.api_key, server.base_url, server.webhook_secret)


def effective(override: OrganizationEngine | None) -> tuple[str, str]:
    """The engine and model new generations of the override's organization run on (the server's
    when there is no override, or it no longer applies)."""
    applies = _applies(override) if override is not None else None
    if applies is None:
        server = server_engine()
        return server.engine, server.model
    return applies


def engine_for(shooting) -> EngineConfig:
    """The engine of a new generation of `shooting`: its organization's override, else the
    server's (personal shootings: always the server's)."""
    if shooting.organization_id is None:
        return server_engine()
    override = OrganizationEngine.objects.filter(organization_id=shooting.organization_id).first()
    return (override_config(override) if override is not None else None) or server_engine()


def engine_of(generation) -> EngineConfig:
    """The engine a generation was submitted to (its recorded engine and model), on the account it
    was submitted on (`provider_account`): a job submitted before an override changed is
    followed, cancelled and verified where it runs. On the organization's account, the
    organization's current key for that engine (a key rotated within the account keeps working);
    if the organization no longer holds one, the job cannot be followed."""
    account, override = generation.provider_account, None
    if generation.provider and account != "server":
        organization = Generation.objects.filter(pk=generation.pk).values("shot__shooting_look__shooting__organization_id")
        override = OrganizationEngine.objects.filter(organization_id=Subquery(organization[:1])).first()
    own = override is not None and override.api_key and override.engine == generation.provider
    if account == "organization" and not own:
        raise PermanentProviderError(f"The organization's own {generation.provider} key, on whose account this job "
                                     f"runs, was removed or changed engine: the job cannot be followed")
    config = _own(override) if own else server_engine(generation.provider or None)
    return EngineConfig(config.engine, generation.model or config.model, config.api_key, config.base_url,
                        config.webhook_secret, account=config.account)


# --- what an organization may set -----------------------------------------------------------------
def check_override(*, engine: str, model: str, has_api_key: bool, has_webhook_secret: bool,
                   webhook_secret: str | None = None) -> None:
    """Refuse an override that could not run, or would spend the server's money on a choice the
    operator did not offer (InvalidInput, located at the field to change; never repeating a
    secret). `has_api_key` / `has_webhook_secret`: what the override will hold once saved."""
    if engine in (Engine.LOCAL, Engine.COG):
        what = "the local renderer" if engine == Engine.LOCAL else "the server's Cog containers"
        if has_api_key:
            raise InvalidInput(f"The {engine} engine takes no api_key: it runs on {what}", ("api_key",))
        if model:
            raise InvalidInput(f"The {engine} engine takes no model: it runs on {what}", ("model",))
    if has_webhook_secret and engine != Engine.REPLICATE:
        raise InvalidInput("webhook_secret is only for the replicate engine", ("webhook_secret",))
    if has_webhook_secret and not has_api_key:
        raise InvalidInput("webhook_secret is the organization's own Replicate account's: it needs the "
                           "organization's api_key (on the server's account, the server's secret is used)",
                           ("webhook_secret",))
    try:
        check_webhook_secret(webhook_secret or None, "webhook_secret")
    except ValueError as exc:
        raise InvalidInput(str(exc), ("webhook_secret",)) from None
    if model and engine in MODEL_NAMES and not MODEL_NAMES[engine].match(model):
        expected = ("a FASHN model_name (tryon-v1.6, product-to-model, ...)" if engine == Engine.FASHN
                    else "owner/name, owner/name:<version id> or a version id")
        raise InvalidInput(f"model must be {expected}", ("model",))
    if model and engine == Engine.FASHN and model not in FASHN_MODELS:
        raise InvalidInput(f"model must be one of FASHN's models this server maps: {', '.join(FASHN_MODELS)}",
                           ("model",))
    if engine == Engine.LOCAL or has_api_key:
        if has_api_key and engine == Engine.REPLICATE and not (model or settings.REPLICATE_MODEL):
            raise InvalidInput("The replicate engine needs a model (owner/name or a version id)", ("model",))
        return
    if engine != settings.IMAGE_PROVIDER:
        if engine == Engine.COG:
            raise InvalidInput("The server runs no Cog containers (its engine is another): cog cannot be chosen",
                               ("engine",))
        raise InvalidInput(f"The server's credentials serve only its own engine ({settings.IMAGE_PROVIDER}): "
                           f"give the organization's own api_key for {engine}", ("api_key",))
    if model not in server_models(engine):
        raise InvalidInput("On the server's account only the server's model (or those its operator offers) may "
                           "be chosen: give the organization's own api_key to run another model", ("model",))
