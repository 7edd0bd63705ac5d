"""The event types the system records (docs/events.md) and what a webhook endpoint may subscribe to:
a type (`shot.approved`), the prefix of a group (`shot.*`) or everything (`*`)."""
from __future__ import annotations

EVENT_TYPES = (
    "shooting.created", "shooting.updated", "shooting.deleted",
    "look.created", "look.deleted", "look.outfit_proposed", "look.outfit_finalized",
    "generation.started", "generation.completed", "generation.failed", "generation.canceled",
    "revision.created", "revision.deleted", "revision.restored", "revision.set_current",
    "shot.approved", "shot.rejected", "shot.status_changed",
    "export.started",
    "push.completed", "push.failed", "push.confirmed",
    # Sent to one endpoint on request ("send test event"), never recorded in the log.
    "webhook.test",
)
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
