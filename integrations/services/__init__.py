"""Writes of the integrations app, by area: `connections` (integrations and product mappings),
`exports` (push records of approved revisions, re-pushes), `callbacks` (retailers' confirmations), `downloads` (a shot's image in the user's export
configuration, named by the look's mapping).
The push itself runs in a worker: integrations/pushing.py. Callers import them from here.

Exports to retailers: push records, the push itself, confirmations, re-pushes.

A push moves PENDING → IN_PROGRESS → AWAITING_CONFIRMATION → COMPLETED, or FAILED. Workers claim
pushes as they claim generations (docs/async.md): a token and a lease in one UPDATE, every write
fenced by the token, so a push redelivered, retried or swept is uploaded by one worker at a time,
and always with the same idempotency key, so the retailer files it once.

A look's images go only to integrations of the look's own tenant (`selectors.look_mappings`);
integrations and mappings are changed by the organization's admins and owners (members read
them); confirmation callbacks are Standard Webhooks messages, each applied once.
"""
from integrations.pushing import (  # the worker's, for the callers of old
    push_claim,
    push_confirm,
    push_give_up,
    push_poll,
    push_run,
    pushes_awaiting,
    pushes_stale,
)
from integrations.services.callbacks import (
    CALLBACK_TOLERANCE,
    CallbackRefused,
    callback_apply,
    callback_messages_prune,
    callback_verify,
)
from integrations.services.connections import (
    INTEGRATION_FIELDS,
    MAPPING_FIELDS,
    can_manage,
    integration_check,
    integration_create,
    integration_delete,
    integration_rotate_callback_secret,
    integration_update,
    mapping_check,
    mapping_create,
    mapping_delete,
    mapping_update,
)
from integrations.services.downloads import shot_download
from integrations.services.exports import ExportCount, LookExportCount, look_export, push_retry, revision_export

__all__ = [
    "CALLBACK_TOLERANCE", "INTEGRATION_FIELDS", "MAPPING_FIELDS", "CallbackRefused", "ExportCount", "LookExportCount",
    "callback_apply", "callback_messages_prune", "callback_verify", "can_manage", "integration_check",
    "integration_create", "integration_delete", "integration_rotate_callback_secret", "integration_update", "look_export", "mapping_check", "mapping_create",
    "mapping_delete", "mapping_update", "push_claim", "push_confirm", "push_give_up", "push_poll", "push_retry",
    "push_run", "pushes_awaiting", "pushes_stale", "revision_export", "shot_download",
]
