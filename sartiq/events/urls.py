from sartiq.api.routes import endpoint
from sartiq.events.api.views import EventViewSet

urlpatterns = [endpoint("events", EventViewSet, {"get": "feed"})]
