"""Reading the event log: an object's history (newest first) and the feed (in commit order, with
a cursor that loses nothing across concurrent writes)."""
from __future__ import annotations

import re
import uuid

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from sartiq.accounts import tenancy
from sartiq.errors import BusinessRuleError
from sartiq.events.models import Event, WebhookDelivery, WebhookEndpoint

CURSOR = re.compile(r"^(\d{1,19})_(\d{1,19})$")
# The oldest transaction still running when the query's snapshot was taken: every event of an
# older transaction is committed (or rolled back) by now, so none can appear behind the cursor.
SETTLED = RawSQL("pg_snapshot_xmin(pg_current_snapshot())::text::bigint", [])


def history(**subject) -> QuerySet:
    """The events of one object (`shot_id=...` or `shooting_id=...`), newest first; the caller
    checked that the user may read the object."""
    return Event.objects.filter(**subject).order_by("-id")


def cursor_of(event: Event) -> str:
    return f"{event.transaction_id}_{event.pk}"


def parse_cursor(text: str) -> tuple[int, int]:
    match = CURSOR.match(text or "")
    if not match:
        raise BusinessRuleError("after: not a cursor this API gave (use the next_cursor of an earlier page)")
    return int(match.group(1)), int(match.group(2))


def matching_types(queryset: QuerySet, types: list[str]) -> QuerySet:
    """`types`: event types (`shot.approved`) or prefixes (`shot.*`, `*`)."""
    wanted = Q()
    for item in types:
        if item in ("*", "**"):
            return queryset
        wanted |= Q(type__startswith=item[:-1]) if item.endswith(".*") else Q(type=item)
    return queryset.filter(wanted)


def feed(user, *, organization_id: uuid.UUID | None = None, after: str | None = None,
         types: list[str] | None = None, shooting_id: uuid.UUID | None = None) -> QuerySet:
    """Events the caller may read (as lists: an organization's with `organization_id`, else the
    personal ones), in commit order, after the cursor; only events no running transaction can
    still precede (a slow writer delays the feed, it never makes it skip)."""
    events = tenancy.scope(Event.objects.all(), user, organization_id).filter(transaction_id__lt=SETTLED)
    if after:
        transaction_id, event_id = parse_cursor(after)
        events = events.filter(Q(transaction_id__gt=transaction_id) | Q(transaction_id=transaction_id,
                                                                        id__gt=event_id))
    if types:
        events = matching_types(events, types)
    if shooting_id is not None:
        events = events.filter(shooting_id=shooting_id)
    return events.order_by("transaction_id", "id")


# --- webhooks -------------------------------------------------------------------------------------
def webhook_endpoints() -> QuerySet:
    return WebhookEndpoint.objects.order_by("created_at", "id")


def webhook_deliveries(endpoint_id) -> QuerySet:
    """An endpoint's deliveries, newest first, each with its attempts (one more query per page)."""
    return (WebhookDelivery.objects.filter(endpoint_id=endpoint_id).order_by("-created_at", "-id")
            .prefetch_related("attempt_log"))
