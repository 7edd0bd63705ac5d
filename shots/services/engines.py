"""An organization's image engine override (shots/engines.py): its admins and owners set or remove
it, its members read it (selectors.organization_engine_view). The key and the webhook secret are
sealed (sartiq/secrets.py) and never returned."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from sartiq.accounts import tenancy
from sartiq.accounts.models import Organization
from sartiq.errors import InvalidInput, NotFound, PermissionDenied
from sartiq.secrets import seal
from shots.engines import KEYED_ENGINES, check_override
from shots.models import OrganizationEngine


def _locked_for_admin(user, organization: Organization) -> Organization:
    """The organization's row locked (as membership changes lock it), for one of its admins or
    owners as of the lock."""
    locked = Organization.objects.select_for_update().filter(pk=organization.pk).first()
    if locked is None:  # deleted meanwhile
        raise NotFound("Organization")
    tenancy.forget_organization_roles(user)
    if not tenancy.is_admin_of(user, locked.pk):
        raise PermissionDenied()
    return locked


@dataclass(frozen=True)
class EngineChange:
    """A PUT resolved over the stored override: what will be saved."""

    engine: str
    model: str
    keeps_key: bool
    keeps_secret: bool


def organization_engine_check(*, current: OrganizationEngine | None, data: dict) -> EngineChange:
    """Refusals of `data` (a partial PUT: a field left out keeps its value; the model resets when
    the engine changes; api_key / webhook_secret null or "" remove the stored one) over `current`."""
    engine = data.get("engine") or (current.engine if current is not None else None)
    if engine is None:
        raise InvalidInput("engine is required: the organization has no engine of its own yet", ("engine",))
    changes_engine = current is not None and current.engine != engine
    if "model" in data:
        model = data["model"] or ""
    else:
        model = current.model if current is not None and not changes_engine else ""
    keeps_key = current is not None and bool(current.api_key) and "api_key" not in data
    if keeps_key and changes_engine:
        # A key is for one engine's account: it never follows to another engine.
        if engine in KEYED_ENGINES:
            raise InvalidInput("Changing the engine requires its api_key again (null: the server's credentials)",
                               ("api_key",))
        keeps_key = False  # local and cog take none
    has_key = keeps_key or bool(data.get("api_key"))
    # The webhook secret is the account's: kept with its key, dropped with it or with the engine.
    keeps_secret = (current is not None and bool(current.webhook_secret) and "webhook_secret" not in data
                    and has_key and not changes_engine)
    check_override(engine=engine, model=model, has_api_key=has_key,
                   has_webhook_secret=keeps_secret or bool(data.get("webhook_secret")),
                   webhook_secret=data.get("webhook_secret"))
    return EngineChange(engine, model, keeps_key, keeps_secret)


@transaction.atomic
def organization_engine_set(*, user, organization: Organization, data: dict) -> OrganizationEngine:
    """Set the organization's engine override (a partial PUT over the one it had)."""
    organization = _locked_for_admin(user, organization)
    current = OrganizationEngine.objects.filter(organization=organization).first()
    change = organization_engine_check(current=current, data=data)
    override = current or OrganizationEngine(organization=organization)
    override.engine, override.model = change.engine, change.model
    if not change.keeps_key:
        override.api_key = seal(data.get("api_key"))
    if not change.keeps_secret:
        override.webhook_secret = seal(data.get("webhook_secret"))
    override.updated_by = user
    override.save()
    return override


@transaction.atomic
def organization_engine_delete(*, user, organization: Organization) -> None:
    """Back to the server's engine (nothing to remove is no error)."""
    organization = _locked_for_admin(user, organization)
    OrganizationEngine.objects.filter(organization=organization).delete()
