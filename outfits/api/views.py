from integrations import selectors as integration_selectors
from outfits import services
from outfits.api.requests import OutfitCreate
from outfits.api.serializers import ShootingLookOutfitPublicSerializer
from outfits.models import Outfit
from sartiq.accounts import tenancy
from sartiq.api.filters import FilterSet, UUIDFilter
from sartiq.api.views import ApiViewSet, ListMixin, RetrieveMixin
from shootings.models import ShootingLook


class OutfitFilterSet(FilterSet):
    shooting_look_id = UUIDFilter()

    class Meta:
        model = Outfit
        fields = []


class OutfitViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """Outfits of looks: the selected one and the proposals, listable by look."""

    not_found = "Outfit"
    lookup_url_kwarg = "outfit_id"
    queryset = Outfit.objects.none()
    serializer_class = ShootingLookOutfitPublicSerializer
    filterset_class = OutfitFilterSet
    list_component_name = "ShootingLookOutfitsPublic"
    organization_scoped = True
    body_models = {"create": OutfitCreate}

    def get_queryset(self):
        return integration_selectors.outfits(self.request.user)

    def create(self, request):
        data = dict(self.body)
        look = tenancy.get_visible(ShootingLook.objects.all(), data.pop("shooting_look_id"),
                                   request.user, "Look", change=True)
        return self.respond(self.refetch(services.outfit_create(user=request.user, look=look, data=data)))
