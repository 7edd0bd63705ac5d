"""Integrations' say in a shooting's transfer (`shootings.transfer.transfer_requested`).

Pushes and their attempt logs belong to the integration they went to, that is to the tenant that
owns it: a shooting whose revisions were pushed to its current tenant's retailer integrations
cannot move to a tenant that does not see those integrations.
"""
from __future__ import annotations

from integrations.models import ExternalImagePush
from sartiq.accounts import tenancy
from sartiq.errors import BusinessRuleError
from shootings.models import Shooting


def pushes_stay_with_their_tenant(sender, *, shooting: Shooting, target, **kwargs) -> None:
    pushes = ExternalImagePush.objects.filter(revision__shot__shooting_look__shooting=shooting).select_related(
        "integration")
    for push in pushes:
        if not tenancy.in_audience(push.integration, target, shooting.owner_id):
            raise BusinessRuleError("The shooting has exports to its current tenant's integrations; it cannot be moved")
