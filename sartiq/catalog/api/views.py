"""Catalog endpoints: one declaration per resource (selector, serializers, request models, filters,
services). Each lists (filterable), creates, reads, updates (PUT/PATCH) and deletes."""
from __future__ import annotations

from integrations.selectors import products_for
from sartiq.api.views import CrudViewSet
from sartiq.catalog import filters, selectors, services
from sartiq.catalog.api import requests as r
from sartiq.catalog.api import serializers as s
from shootings.api.products import ProductPublicSerializer
from shootings.product_filters import ProductFilterSet


class ProductViewSet(CrudViewSet):
    """Products."""

    not_found = "Product"
    lookup_url_kwarg = "product_id"
    serializer_class = ProductPublicSerializer
    list_component_name = "ProductsPublic"
    filterset_class = ProductFilterSet
    body_models = {"create": r.ProductCreate, "update": r.ProductUpdate, "partial_update": r.ProductUpdate}
    create_service = staticmethod(services.product_create)
    update_service = staticmethod(services.product_update)
    delete_service = staticmethod(services.product_delete)
    queryset = selectors.products().none()  # the schema generator's model; requests use products_for

    def get_queryset(self):
        # The computed fields (latest look's status, its shots, exports) depend on the caller.
        return products_for(self.request.user)


class SubjectViewSet(CrudViewSet):
    """Subjects."""

    not_found = "Subject"
    lookup_url_kwarg = "subject_id"
    serializer_class = s.SubjectPublicSerializer
    list_component_name = "SubjectsPublic"
    filterset_class = filters.SubjectFilterSet
    body_models = {"create": r.SubjectCreate, "update": r.SubjectUpdate, "partial_update": r.SubjectUpdate}
    create_service = staticmethod(services.subject_create)
    update_service = staticmethod(services.subject_update)
    delete_service = staticmethod(services.subject_delete)

    def get_queryset(self):
        return selectors.subjects()


class ShotTypeViewSet(CrudViewSet):
    """Shot types."""

    not_found = "Shot type"
    lookup_url_kwarg = "shot_type_id"
    serializer_class = s.ShotTypePublicSerializer
    list_component_name = "ShotTypesPublic"
    filterset_class = filters.ShotTypeFilterSet
    body_models = {"create": r.ShotTypeCreate, "update": r.ShotTypeUpdate, "partial_update": r.ShotTypeUpdate}
    create_service = staticmethod(services.shot_type_create)
    update_service = staticmethod(services.shot_type_update)
    delete_service = staticmethod(services.shot_type_delete)

    def get_queryset(self):
        return selectors.shot_types()


class PosePresetViewSet(CrudViewSet):
    """Pose presets."""

    not_found = "Pose preset"
    lookup_url_kwarg = "pose_preset_id"
    serializer_class = s.PosePresetPublicSerializer
    list_component_name = "PosePresetsPublic"
    filterset_class = filters.PosePresetFilterSet
    body_models = {"create": r.PosePresetCreate, "update": r.PosePresetUpdate, "partial_update": r.PosePresetUpdate}
    create_service = staticmethod(services.pose_preset_create)
    update_service = staticmethod(services.pose_preset_update)
    delete_service = staticmethod(services.pose_preset_delete)

    def get_queryset(self):
        return selectors.pose_presets()


class SetDesignViewSet(CrudViewSet):
    """Set designs."""

    not_found = "Set design"
    lookup_url_kwarg = "set_design_id"
    serializer_class = s.SetDesignPublicSerializer
    list_component_name = "SetDesignsPublic"
    filterset_class = filters.SetDesignFilterSet
    body_models = {"create": r.SetDesignCreate, "update": r.SetDesignUpdate, "partial_update": r.SetDesignUpdate}
    create_service = staticmethod(services.set_design_create)
    update_service = staticmethod(services.set_design_update)
    delete_service = staticmethod(services.set_design_delete)

    def get_queryset(self):
        return selectors.set_designs()


class ShootingGuidelinesViewSet(CrudViewSet):
    """Guideliness."""

    not_found = "Guidelines"
    lookup_url_kwarg = "guidelines_id"
    serializer_class = s.ShootingGuidelinesPublicSerializer
    list_component_name = "ShootingGuidelinesListPublic"
    filterset_class = filters.ShootingGuidelinesFilterSet
    body_models = {"create": r.ShootingGuidelinesCreate, "update": r.ShootingGuidelinesUpdate, "partial_update": r.ShootingGuidelinesUpdate}
    create_service = staticmethod(services.guidelines_create)
    update_service = staticmethod(services.guidelines_update)
    delete_service = staticmethod(services.guidelines_delete)

    def get_queryset(self):
        return selectors.guidelines()


class StyleViewSet(CrudViewSet):
    """Styles."""

    not_found = "Style"
    lookup_url_kwarg = "style_id"
    serializer_class = s.StylePublicSerializer
    list_component_name = "StylesPublic"
    filterset_class = filters.StyleFilterSet
    body_models = {"create": r.StyleCreate, "update": r.StyleUpdate, "partial_update": r.StyleUpdate}
    create_service = staticmethod(services.style_create)
    update_service = staticmethod(services.style_update)
    delete_service = staticmethod(services.style_delete)

    def get_queryset(self):
        return selectors.styles()


class ResolutionPresetViewSet(CrudViewSet):
    """Resolution presets."""

    not_found = "Resolution preset"
    lookup_url_kwarg = "resolution_preset_id"
    serializer_class = s.ResolutionPresetPublicSerializer
    list_component_name = "ResolutionPresetsPublic"
    filterset_class = filters.ResolutionPresetFilterSet
    body_models = {"create": r.ResolutionPresetCreate, "update": r.ResolutionPresetUpdate, "partial_update": r.ResolutionPresetUpdate}
    create_service = staticmethod(services.resolution_preset_create)
    update_service = staticmethod(services.resolution_preset_update)
    delete_service = staticmethod(services.resolution_preset_delete)

    def get_queryset(self):
        return selectors.resolution_presets()


class BackgroundPresetViewSet(CrudViewSet):
    """Background presets."""

    not_found = "Background preset"
    lookup_url_kwarg = "background_preset_id"
    serializer_class = s.BackgroundPresetPublicSerializer
    list_component_name = "BackgroundPresetsPublic"
    filterset_class = filters.BackgroundPresetFilterSet
    body_models = {"create": r.BackgroundPresetCreate, "update": r.BackgroundPresetUpdate, "partial_update": r.BackgroundPresetUpdate}
    create_service = staticmethod(services.background_preset_create)
    update_service = staticmethod(services.background_preset_update)
    delete_service = staticmethod(services.background_preset_delete)

    def get_queryset(self):
        return selectors.background_presets()
