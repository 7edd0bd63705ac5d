from sartiq.api.routes import crud, endpoint
from sartiq.events.api.views import EventViewSet, WebhookEndpointViewSet

WEBHOOK_ENDPOINT = "webhook-endpoints/{webhook_endpoint_id}"

urlpatterns = [
    endpoint("events", EventViewSet, {"get": "feed"}),
    *crud("webhook-endpoints", WebhookEndpointViewSet),
    endpoint(f"{WEBHOOK_ENDPOINT}/rotate-secret", WebhookEndpointViewSet, {"post": "rotate_secret"}),
    endpoint(f"{WEBHOOK_ENDPOINT}/deliveries", WebhookEndpointViewSet, {"get": "deliveries"}),
    endpoint(f"{WEBHOOK_ENDPOINT}/deliveries/{{delivery_id}}/retry", WebhookEndpointViewSet, {"post": "retry"}),
    endpoint(f"{WEBHOOK_ENDPOINT}/test", WebhookEndpointViewSet, {"post": "test"}),
]
