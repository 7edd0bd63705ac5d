"""Writes for shots, revisions and generations, and the status machine (contract §3), by area:
`shots` (shots, approve, reject), `revisions` (the chain), `images` (a revision request's images
and the release of stored ones), `generations` (requests for the workers), `exports` (the export
configuration; downloads rendered in it are `integrations.services.shot_download`, since the OVS
adapter names a file by the look's mapping), `engines` (an organization's engine override). Callers
import them from here.

A shot's status is its current revision's `shot_status`, so every operation that changes either
(revision creation, set-current, restore, delete, approve, reject) runs here, in a transaction,
with the shot row locked (`select_for_update`): two requests on one shot are serialized, and a
revision's `version` is never given twice, not even after a deletion (`Shot.last_revision_version`
only grows; the unique constraint is the backstop).
"""
from shots.selectors import export_configuration_for, generatable_shots  # reads, for the callers of old
from shots.services.engines import organization_engine_check, organization_engine_delete, organization_engine_set
from shots.services.exports import export_configuration_update
from shots.services.generations import (
    base_image_generations_request,
    generations_request,
    look_generations_start,
    shot_generations_start,
)
from shots.services.images import media_released_after
from shots.services.revisions import (
    FOLLOW_CURRENT,
    revision_create,
    revision_delete,
    revision_restore,
    revision_set_current,
)
from shots.services.shots import (
    shot_approve,
    shot_create,
    shot_delete,
    shot_reject,
    shot_update,
    shots_create_for_looks,
    shots_match_shot_types,
)

__all__ = [
    "FOLLOW_CURRENT", "base_image_generations_request", "export_configuration_for", "export_configuration_update",
    "generatable_shots", "generations_request", "look_generations_start", "media_released_after",
    "organization_engine_check", "organization_engine_delete", "organization_engine_set", "revision_create",
    "revision_delete", "revision_restore", "revision_set_current", "shot_approve", "shot_create", "shot_delete",
    "shot_generations_start", "shot_reject", "shot_update", "shots_create_for_looks",
    "shots_match_shot_types",
]
