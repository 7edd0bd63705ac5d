from rest_framework import parsers

from sartiq.api.filters import ChoiceFilter, FilterSet
from sartiq.api.parsers import MultiPartParser
from sartiq.api.views import CrudViewSet
from sartiq.media import services
from sartiq.media.api import requests as r
from sartiq.media.api import serializers as s
from sartiq.media.choices import MediaResourceType
from sartiq.media.models import MediaResource


class MediaResourceFilterSet(FilterSet):
    resource_type = ChoiceFilter(MediaResourceType)

    class Meta:
        model = MediaResource
        fields = []


class MediaResourceViewSet(CrudViewSet):
    """Files in the project's storage. Create is a multipart upload with `file`."""

    not_found = "Media resource"
    lookup_url_kwarg = "media_resource_id"
    queryset = MediaResource.objects.order_by("-created_at", "id")
    serializer_class = s.MediaResourcePublicSerializer
    filterset_class = MediaResourceFilterSet
    list_component_name = "MediaResourcesPublic"
    parser_classes = [MultiPartParser, parsers.FormParser, *CrudViewSet.parser_classes]
    body_models = {
        "create": r.MediaResourceCreate,
        "update": r.MediaResourceUpdate,
        "partial_update": r.MediaResourceUpdate,
    }
    create_service = staticmethod(services.media_create)
    update_service = staticmethod(services.media_update)
    delete_service = staticmethod(services.media_delete)
