from django.db.models import Exists, OuterRef

from sartiq.api.filters import BooleanFilter, ChoiceFilter, FilterSet, TextFilter, UUIDFilter
from shots.choices import Engine, GenerationKind, GenerationStatus, ShotStatus
from shots.models import Generation, Shot


class ShotFilterSet(FilterSet):
    has_generations = BooleanFilter(method="filter_has_generations")
    product_id = UUIDFilter(field_name="shooting_look__product_id")
    shooting_id = UUIDFilter(field_name="shooting_look__shooting_id")
    shooting_look_id = UUIDFilter()
    shot_type = UUIDFilter(field_name="shot_type_id", help_text="Shot type id")
    status = ChoiceFilter(ShotStatus, many=True, field_name="status", help_text="Shot status; repeat for several")

    class Meta:
        model = Shot
        fields = []

    def filter_has_generations(self, queryset, name, value):
        generations = Exists(Generation.objects.filter(shot=OuterRef("pk")))
        return queryset.filter(generations if value else ~generations)


class GenerationFilterSet(FilterSet):
    shot_id = UUIDFilter()
    look_id = UUIDFilter(field_name="shot__shooting_look_id")
    shooting_id = UUIDFilter(field_name="shot__shooting_look__shooting_id")
    status = ChoiceFilter(GenerationStatus, many=True, help_text="Repeat for several")
    kind = ChoiceFilter(GenerationKind)
    engine = ChoiceFilter(Engine, many=True, field_name="provider", help_text="The engine; repeat for several")
    model = TextFilter(lookup_expr="exact", help_text="The model or version, exactly as recorded")

    class Meta:
        model = Generation
        fields = []
