"""A user's export configuration, and downloads of a shot's current image rendered in it."""
from __future__ import annotations

from django.db import transaction

from integrations.choices import IntegrationType
from integrations.selectors import look_mappings
from sartiq.accounts import tenancy
from sartiq.errors import BusinessRuleError
from sartiq.services import model_update
from shots.choices import MetadataAdapter
from shots.exporting import export_revision
from shots.models import ExportConfiguration, ShotRevision
from shots.selectors import export_configuration_for


@transaction.atomic
def export_configuration_update(*, user, data: dict):
    configuration, _ = ExportConfiguration.objects.select_for_update().get_or_create(user=user)
    model_update(configuration, data)
    configuration.save()
    return configuration


def shot_download(*, user, shot) -> tuple[bytes, str, str]:
    """The shot's current image rendered in the user's export configuration."""
    tenancy.check_view(user, shot)
    revision = ShotRevision.objects.select_related("shot__shot_type", "shot__shooting_look__product",
                                                   "shot__shooting_look__shooting").filter(
        pk=shot.current_revision_id).first()
    if revision is None:
        raise BusinessRuleError("The shot has no current revision")
    configuration = export_configuration_for(user)
    mapping = None
    if configuration.adapter == MetadataAdapter.OVS:  # named by an OVS mapping of the look's own tenant
        mapping = look_mappings(revision.shot.shooting_look).filter(
            integration__integration_type=IntegrationType.OVS).first()
    rendered = export_revision(revision, export_format=configuration.format, quality=configuration.quality,
                               adapter=configuration.adapter, copyright=configuration.copyright, mapping=mapping)
    if rendered is None:
        raise BusinessRuleError("The current revision has no image")
    return rendered
