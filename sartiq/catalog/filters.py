"""Catalog list filters. The products' (`GET /products/`) is `shootings.product_filters`: it filters
on the latest look's computed status too."""
from __future__ import annotations

from django.db.models import Q

from sartiq.api.filters import BooleanFilter, ChoiceFilter, FilterSet, TextFilter, UUIDFilter
from sartiq.catalog import choices, models


def search(fields):
    def method(queryset, name, value):
        query = Q()
        for field in fields:
            query |= Q(**{f"{field}__icontains": value})
        return queryset.filter(query)

    return method


class SubjectFilterSet(FilterSet):
    gender = ChoiceFilter(choices.Gender, many=True)
    age_class = ChoiceFilter(choices.AgeClass, many=True)
    subject_type = ChoiceFilter(choices.SubjectType)
    enabled = BooleanFilter()
    ready = BooleanFilter()
    public = BooleanFilter()
    search = TextFilter(method=search(["name", "surname", "slug"]))

    class Meta:
        model = models.Subject
        fields = []


class ShotTypeFilterSet(FilterSet):
    view_angle = ChoiceFilter(choices.ViewAngle, many=True)
    framing = ChoiceFilter(choices.ShotTypeFraming, many=True)
    public = BooleanFilter()
    core_focus = BooleanFilter()
    search = TextFilter(method=search(["name"]))

    class Meta:
        model = models.ShotType
        fields = []


class PosePresetFilterSet(FilterSet):
    shot_type_id = UUIDFilter()
    search = TextFilter(method=search(["name"]))

    class Meta:
        model = models.PosePreset
        fields = []


def named_filterset(model):
    """A filter set with only `search` on the name, for the simple presets."""
    meta = type("Meta", (), {"model": model, "fields": []})
    return type(f"{model.__name__}FilterSet", (FilterSet,), {"Meta": meta, "search": TextFilter(method=search(["name"]))})


SetDesignFilterSet = named_filterset(models.SetDesign)
ShootingGuidelinesFilterSet = named_filterset(models.ShootingGuidelines)
StyleFilterSet = named_filterset(models.Style)
ResolutionPresetFilterSet = named_filterset(models.ResolutionPreset)
BackgroundPresetFilterSet = named_filterset(models.BackgroundPreset)
