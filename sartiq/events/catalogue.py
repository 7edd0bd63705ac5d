"""Every event type the services record, with what records it (docs/events.md, "Catalogue", says
more and shows a payload of each), and what a webhook endpoint may subscribe to: a type
(`shot.approved`), the prefix of a group (`shot.*`) or everything (`*`). A new type is added here
and there."""
from __future__ import annotations

TYPES = {
    "shooting.created": "a shooting was created",
    "shooting.updated": "a shooting's fields changed, or it moved to another organization",
    "shooting.deleted": "a shooting was deleted, with everything under it",
    "look.created": "a look was created (one event per look of a look-creation request)",
    "look.updated": "a look's fields changed (its shots follow its shot types)",
    "look.deleted": "a look was deleted, with its shots",
    "look.outfit_proposed": "an outfit proposal is ready: the stylist's, or one a person added",
    "look.outfit_finalized": "an outfit became THE outfit of the look (the stylist's other proposals were deleted)",
    "shot.created": "a shot was added to a look",
    "shot.updated": "a shot's shot type, rework counters or current revision were changed directly",
    "shot.deleted": "a shot was deleted",
    "shot.approved": "a reviewer approved the shot's current revision",
    "shot.rejected": "a reviewer rejected the shot's current revision, using one rework",
    "shot.status_changed": "the shot's status changed by another way than approve or reject",
    "revision.created": "a revision was added to the shot and became current",
    "revision.deleted": "a revision was deleted",
    "revision.restored": "a revision became current again and the revisions after it were deleted",
    "revision.set_current": "another revision became the shot's current one",
    "revision.quality_checked": "a new revision's images went through the automatic quality checks (a FAILED "
                                "generated one may start an automatic regeneration)",
    "generation.started": "a worker took up a generation for the first time",
    "generation.completed": "a generation stored its images (and its revision)",
    "generation.failed": "a generation failed",
    "generation.canceled": "a user canceled a generation",
    "export.started": "an export created pushes to retailers (or pushed a failed one again)",
    "push.completed": "the image was uploaded to the retailer",
    "push.failed": "a push failed (the upload, or the retailer rejected the image)",
    "push.confirmed": "the retailer confirmed the image",
}

# Sent to one endpoint on request ("send test event"), never recorded in the log.
EVENT_TYPES = (*TYPES, "webhook.test")
TEST_EVENT = "webhook.test"
GROUPS = tuple(dict.fromkeys(name.split(".", 1)[0] for name in EVENT_TYPES))
EVERYTHING = "*"
# Everything an endpoint may subscribe to, as the API documents it.
SUBSCRIPTIONS = (*EVENT_TYPES, *(f"{group}.*" for group in GROUPS), EVERYTHING)


def check_subscription(item: str) -> str:
    """`item` if it names something of the catalogue; ValueError (saying what is accepted) otherwise."""
    if item in SUBSCRIPTIONS:
        return item
    raise ValueError(f"{item!r} is not an event type: use a type ({', '.join(EVENT_TYPES[:2])}...), a group's "
                     f"prefix ({', '.join(g + '.*' for g in GROUPS)}) or *")


def subscribed(patterns: list[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to `patterns` receives events of `event_type` (the feed's rule:
    selectors.matching_types)."""
    for item in patterns:
        if item == EVERYTHING or item == event_type or (item.endswith(".*") and event_type.startswith(item[:-1])):
            return True
    return False
