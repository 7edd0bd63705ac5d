"""Downloads of a shot's current image rendered in the user's export configuration. Here, above
shots, because the OVS adapter names the file by the look's OVS mapping (an integration's data)."""
from __future__ import annotations

from integrations.choices import IntegrationType
from integrations.selectors import look_mappings
from sartiq.accounts import tenancy
from sartiq.errors import BusinessRuleError
from shots.choices import MetadataAdapter
from shots.exporting import export_revision
from shots.models import ShotRevision
from shots.selectors import export_configuration_for


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
