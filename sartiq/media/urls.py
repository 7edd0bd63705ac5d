from sartiq.api.routes import crud
from sartiq.media.api.views import MediaResourceViewSet

urlpatterns = [*crud("media-resources", MediaResourceViewSet)]
