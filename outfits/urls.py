from outfits.api.views import OutfitViewSet
from sartiq.api.routes import COLLECTION, endpoint

urlpatterns = [
    endpoint("outfits", OutfitViewSet, COLLECTION),
    endpoint("outfits/{outfit_id}", OutfitViewSet, {"get": "retrieve"}),
]
