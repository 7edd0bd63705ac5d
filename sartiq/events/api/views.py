"""The event feed: `GET /api/v1/events`, and the webhook endpoints (docs/events.md)."""
from __future__ import annotations

from sartiq.api.serializers import MessageSerializer
from sartiq.api.views import ApiViewSet, CrudViewSet
from sartiq.events import selectors, webhooks
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


class WebhookEndpointViewSet(CrudViewSet):
    """Where a tenant receives its events (docs/events.md, "Webhooks"): members read the endpoints and
    their deliveries, admins and owners (a user for personal ones) manage them. The secret is in the
    answer of a creation and of a rotation only."""

    not_found = "Webhook endpoint"
    lookup_url_kwarg = "webhook_endpoint_id"
    queryset = selectors.webhook_endpoints()
    serializer_class = s.WebhookEndpointPublicSerializer
    list_actions = ("list", "deliveries")
    list_component_name = {"list": "WebhookEndpointsPublic", "deliveries": "WebhookDeliveriesPublic"}
    body_models = {"create": r.WebhookEndpointCreate, "update": r.WebhookEndpointUpdate,
                   "partial_update": r.WebhookEndpointUpdate}
    response_serializers = {
        "destroy": MessageSerializer, "create": s.WebhookEndpointWithSecretSerializer,
        "rotate_secret": s.WebhookEndpointWithSecretSerializer, "deliveries": s.WebhookDeliveryPublicSerializer,
        "retry": s.WebhookDeliveryPublicSerializer, "test": s.WebhookDeliveryPublicSerializer,
    }
    create_service = staticmethod(webhooks.endpoint_create)
    update_service = staticmethod(webhooks.endpoint_update)
    delete_service = staticmethod(webhooks.endpoint_delete)

    def create(self, request, *args, **kwargs):
        endpoint = webhooks.endpoint_create(user=request.user, organization_id=self.organization_id, data=self.body)
        return self.respond(endpoint)  # not re-read: the answer carries the secret, once

    def rotate_secret(self, request, **kwargs):
        return self.respond(webhooks.endpoint_rotate_secret(user=request.user, endpoint=self.get_object()))

    def deliveries(self, request, **kwargs):
        endpoint = self.get_object()
        page = self.paginate_queryset(selectors.webhook_deliveries(endpoint.pk))
        return self.get_paginated_response(s.WebhookDeliveryPublicSerializer(page, many=True).data)

    def retry(self, request, **kwargs):
        delivery = webhooks.delivery_retry(user=request.user, endpoint=self.get_object(),
                                           delivery_id=self.path["delivery_id"])
        return self.respond(delivery)

    def test(self, request, **kwargs):
        return self.respond(webhooks.endpoint_test(user=request.user, endpoint=self.get_object()))
