"""The event feed: `GET /api/v1/events` (docs/events.md)."""
from __future__ import annotations

from sartiq.api.views import ApiViewSet
from sartiq.events import selectors
from sartiq.events.api import requests as r
from sartiq.events.api import serializers as s
from sartiq.events.models import Event


class EventViewSet(ApiViewSet):
    """Events the caller may read, in commit order, with a cursor to catch up after downtime."""

    not_found = "Event"
    queryset = Event.objects.none()
    serializer_class = s.EventPublicSerializer
    organization_scoped = True
    query_models = {"feed": r.EventFeedQuery}
    response_serializers = {"feed": s.EventFeedSerializer}
    operation_ids = {"feed": "events_list"}

    def feed(self, request):
        query = self.query
        events = list(selectors.feed(request.user, organization_id=self.organization_id, after=query.get("after"),
                                     types=query.get("types") or None, shooting_id=query.get("shooting_id"))
                      [:query.get("limit", 100) + 1])
        limit = query.get("limit", 100)
        page, has_more = events[:limit], len(events) > limit
        return self.respond({"data": page, "has_more": has_more,
                             "next_cursor": selectors.cursor_of(page[-1]) if page else query.get("after")})


class HistoryMixin:
    """`GET /{objects}/{id}/history`: the object's events, newest first (skip/limit), once the
    caller may read the object (404 unknown, 403 not visible, as the object itself).

    A view adds "history" to its `list_actions`, names the event column of its object in
    `history_field` ("shot_id"), and EventsPublic as the action's list component."""

    history_field = ""

    def get_filterset_class(self):
        return None if self.action == "history" else super().get_filterset_class()

    def history(self, request, **kwargs):
        obj = self.get_object(self.lookup_queryset)
        page = self.paginate_queryset(selectors.history(**{self.history_field: obj.pk}))
        return self.get_paginated_response(s.EventPublicSerializer(page, many=True).data)
