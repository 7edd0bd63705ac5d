"""A user's export configuration. Downloads of a shot's current image rendered in it are
integrations.services.downloads (the OVS adapter names a file by the look's OVS mapping)."""
from __future__ import annotations

from django.db import transaction

from sartiq.services import model_update
from shots.models import ExportConfiguration


@transaction.atomic
def export_configuration_update(*, user, data: dict):
    configuration, _ = ExportConfiguration.objects.select_for_update().get_or_create(user=user)
    model_update(configuration, data)
    configuration.save()
    return configuration
