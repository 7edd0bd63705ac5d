"""Catalog endpoints: one declaration per resource (selector, serializers, filters, services)."""
from __future__ import annotations

from sartiq.api.serializers import update_serializer
from sartiq.api.views import CrudViewSet
from sartiq.catalog import filters, selectors, services
from sartiq.catalog.api import serializers as s


def catalog_viewset(name, *, thing, lookup, selector, public, create, filterset, prefix, list_name):
    """The viewset of one catalog resource: CRUD with tenancy, filters and services."""
    update = update_serializer(create)
    return type(
        name,
        (CrudViewSet,),
        {
            "__doc__": f"{thing}s: list (filterable), create, read, update (PUT/PATCH), delete.",
            "not_found": thing,
            "lookup_url_kwarg": lookup,
            "get_queryset": lambda self: selector(),
            "serializer_class": public,
            "filterset_class": filterset,
            "list_component_name": list_name,
            "body_serializers": {"create": create, "update": update, "partial_update": update},
            "services": services,
            "service_prefix": prefix,
        },
    )


_ProductViewSet = catalog_viewset(
    "ProductViewSet", thing="Product", lookup="product_id", selector=selectors.products,
    public=s.ProductPublicSerializer, create=s.ProductCreateSerializer, filterset=filters.ProductFilterSet,
    prefix="product", list_name="ProductsPublic",
)


class ProductViewSet(_ProductViewSet):
    queryset = selectors.products().none()  # the schema generator's model; requests use products_for
    def get_queryset(self):
        # The computed fields (latest look's status, its shots, exports) depend on the caller.
        from integrations.selectors import products_for

        return products_for(self.request.user)


SubjectViewSet = catalog_viewset(
    "SubjectViewSet", thing="Subject", lookup="subject_id", selector=selectors.subjects,
    public=s.SubjectPublicSerializer, create=s.SubjectCreateSerializer, filterset=filters.SubjectFilterSet,
    prefix="subject", list_name="SubjectsPublic",
)
ShotTypeViewSet = catalog_viewset(
    "ShotTypeViewSet", thing="Shot type", lookup="shot_type_id", selector=selectors.shot_types,
    public=s.ShotTypePublicSerializer, create=s.ShotTypeCreateSerializer, filterset=filters.ShotTypeFilterSet,
    prefix="shot_type", list_name="ShotTypesPublic",
)
PosePresetViewSet = catalog_viewset(
    "PosePresetViewSet", thing="Pose preset", lookup="pose_preset_id", selector=selectors.pose_presets,
    public=s.PosePresetPublicSerializer, create=s.PosePresetCreateSerializer,
    filterset=filters.PosePresetFilterSet, prefix="pose_preset", list_name="PosePresetsPublic",
)
SetDesignViewSet = catalog_viewset(
    "SetDesignViewSet", thing="Set design", lookup="set_design_id", selector=selectors.set_designs,
    public=s.SetDesignPublicSerializer, create=s.SetDesignCreateSerializer, filterset=filters.SetDesignFilterSet,
    prefix="set_design", list_name="SetDesignsPublic",
)
ShootingGuidelinesViewSet = catalog_viewset(
    "ShootingGuidelinesViewSet", thing="Guidelines", lookup="guidelines_id", selector=selectors.guidelines,
    public=s.ShootingGuidelinesPublicSerializer, create=s.ShootingGuidelinesCreateSerializer,
    filterset=filters.ShootingGuidelinesFilterSet, prefix="guidelines", list_name="ShootingGuidelinesListPublic",
)
StyleViewSet = catalog_viewset(
    "StyleViewSet", thing="Style", lookup="style_id", selector=selectors.styles,
    public=s.StylePublicSerializer, create=s.StyleCreateSerializer, filterset=filters.StyleFilterSet,
    prefix="style", list_name="StylesPublic",
)
ResolutionPresetViewSet = catalog_viewset(
    "ResolutionPresetViewSet", thing="Resolution preset", lookup="resolution_preset_id",
    selector=selectors.resolution_presets, public=s.ResolutionPresetPublicSerializer,
    create=s.ResolutionPresetCreateSerializer, filterset=filters.ResolutionPresetFilterSet,
    prefix="resolution_preset", list_name="ResolutionPresetsPublic",
)
BackgroundPresetViewSet = catalog_viewset(
    "BackgroundPresetViewSet", thing="Background preset", lookup="background_preset_id",
    selector=selectors.background_presets, public=s.BackgroundPresetPublicSerializer,
    create=s.BackgroundPresetCreateSerializer, filterset=filters.BackgroundPresetFilterSet,
    prefix="background_preset", list_name="BackgroundPresetsPublic",
)
