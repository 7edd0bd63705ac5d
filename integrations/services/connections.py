"""Retailer integrations and product mappings: who may change them, what is valid, CRUD."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.models import ExternalIntegration, ExternalProductMapping
from integrations.secrets import check_callback_secret, check_credentials, new_callback_secret, seal
from integrations.selectors import same_tenant
from sartiq.accounts import tenancy
from sartiq.catalog.models import Product
from sartiq.errors import BusinessRuleError, InvalidInput, NotFound, PermissionDenied
from sartiq.services import model_update

INTEGRATION_FIELDS = ("name", "integration_type", "endpoint_url", "enabled", "settings")
MAPPING_FIELDS = ("external_id", "style_code", "colour_code", "extra")


def can_manage(user, obj) -> bool:
    """Integrations and their mappings are the tenant's configuration (and hold its retailer token):
    in an organization its admins and owners change them, members only read them; a personal one
    is its owner's. `obj` is an integration or a mapping."""
    if not tenancy.can_change(user, obj):
        return False
    organization_id = tenancy.tenant_of(obj).organization_id
    return organization_id is None or tenancy.is_admin_of(user, organization_id)


def _require_manager(user, obj) -> None:
    if not can_manage(user, obj):
        raise PermissionDenied()


def _checked(check, value, name: str) -> None:
    """A check of secrets.py as the service's 422 (never repeating the value: it is a secret)."""
    try:
        check(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), (name,))


def integration_check(*, user, data: dict, instance: ExternalIntegration | None = None,
                      organization_id=None) -> None:
    """Everything that refuses a create (`instance` None) or an update, before anything is written;
    the admin's form asks it too."""
    if instance is None:
        tenancy.require_member(user, organization_id)
        if organization_id is not None and not tenancy.is_admin_of(user, organization_id):
            raise PermissionDenied()
    else:
        _require_manager(user, instance)
    _checked(check_credentials, data.get("credentials"), "credentials")
    _checked(check_callback_secret, data.get("callback_secret"), "callback_secret")
    # The stored token goes only to the address it was given for: a new address needs it again.
    if (instance is not None and instance.credentials and "credentials" not in data
            and data.get("endpoint_url", instance.endpoint_url) != instance.endpoint_url):
        raise InvalidInput("Changing endpoint_url requires the credentials again", ("credentials",))


def _with_secret(integration: ExternalIntegration, secret: str | None) -> ExternalIntegration:
    integration.revealed_callback_secret = secret  # for this one answer (creation, rotation); stored sealed
    return integration


def _replace_callback_secret(integration: ExternalIntegration, secret: str) -> None:
    """A new callback secret; the one before is still accepted for WEBHOOK_SECRET_GRACE, so callbacks
    the retailer signed before it was given the new one still count. A change within the grace
    ends the grace of the secret before."""
    if integration.callback_secret:
        integration.previous_callback_secret = integration.callback_secret
        integration.previous_callback_secret_expires_at = (
            timezone.now() + timedelta(seconds=settings.WEBHOOK_SECRET_GRACE))
    integration.callback_secret = seal(secret)


@transaction.atomic
def integration_create(*, user, organization_id, data: dict) -> ExternalIntegration:
    """A new integration. A callback secret the client did not give is made here and put in
    `revealed_callback_secret`, to be shown once (one the client gave is never repeated)."""
    integration_check(user=user, data=data, organization_id=organization_id)
    integration = ExternalIntegration(owner=user, organization_id=organization_id,
                                      **{k: data[k] for k in INTEGRATION_FIELDS if k in data})
    integration.credentials = seal(data.get("credentials"))
    generated = None if data.get("callback_secret") else new_callback_secret()
    integration.callback_secret = seal(data.get("callback_secret") or generated)
    integration.save()
    return _with_secret(integration, generated)


@transaction.atomic
def integration_update(*, user, instance: ExternalIntegration, data: dict) -> ExternalIntegration:
    integration_check(user=user, data=data, instance=instance)
    instance = _locked(instance)
    model_update(instance, data, INTEGRATION_FIELDS)
    if "credentials" in data:
        instance.credentials = seal(data["credentials"])
    if data.get("callback_secret"):
        _replace_callback_secret(instance, data["callback_secret"])
    instance.save()
    return instance


@transaction.atomic
def integration_rotate_callback_secret(*, user, integration: ExternalIntegration) -> ExternalIntegration:
    """A new callback secret (`revealed_callback_secret`, shown once); the current one is still
    accepted beside it for WEBHOOK_SECRET_GRACE."""
    _require_manager(user, integration)
    integration = _locked(integration)
    secret = new_callback_secret()
    _replace_callback_secret(integration, secret)
    integration.save()
    return _with_secret(integration, secret)


def _locked(integration: ExternalIntegration) -> ExternalIntegration:
    """The row again, locked: two changes of its secrets run one after the other."""
    found = ExternalIntegration.objects.select_for_update(of=("self",), no_key=True).filter(pk=integration.pk).first()
    if found is None:  # deleted by another request meanwhile
        raise NotFound("Integration")
    return found


@transaction.atomic
def integration_delete(*, user, instance: ExternalIntegration) -> None:
    _require_manager(user, instance)
    instance.delete()


def mapping_check(*, user, data: dict, instance: ExternalProductMapping | None = None):
    """Refusals of a mapping create (`instance` None: returns its integration and product) or update.

    The product must be usable by the integration's audience: public, or of the integration's own
    tenant (for everyone, superusers included: a mapping shows its product to the integration's
    readers). A mapping only ever affects exports of its integration's tenant (selectors.look_mappings).
    """
    if instance is not None:
        _require_manager(user, instance)
        return None
    integration = tenancy.get_visible(ExternalIntegration.objects.all(), data["integration_id"], user,
                                      "Integration", change=True)
    _require_manager(user, integration)
    product = tenancy.get_usable(Product.objects, data["product_id"], user, integration.organization_id, "Product")
    if not product.public and not same_tenant(product, integration):
        raise BusinessRuleError(tenancy.not_shared("Product", product.organization_id, integration.organization_id))
    return integration, product


@transaction.atomic
def mapping_create(*, user, organization_id, data: dict) -> ExternalProductMapping:
    integration, product = mapping_check(user=user, data=data)
    already = BusinessRuleError("The product is already mapped for this integration")
    if ExternalProductMapping.objects.filter(product=product, integration=integration).exists():
        raise already
    try:
        with transaction.atomic():  # the same mapping created at the same moment
            return ExternalProductMapping.objects.create(product=product, integration=integration,
                                                         **{k: data[k] for k in MAPPING_FIELDS if k in data})
    except IntegrityError:
        raise already


@transaction.atomic
def mapping_update(*, user, instance: ExternalProductMapping, data: dict) -> ExternalProductMapping:
    mapping_check(user=user, data=data, instance=instance)
    model_update(instance, data, MAPPING_FIELDS)
    instance.save()
    return instance


@transaction.atomic
def mapping_delete(*, user, instance: ExternalProductMapping) -> None:
    mapping_check(user=user, data={}, instance=instance)
    instance.delete()
