"""The filters of `GET /products/`, which are also the reference's `product_filters` of a look
generation: the catalog's fields and the computed status of the product's latest look. They live
above the catalog, beside what computes that status (`products_for`, `products_matching`)."""
from __future__ import annotations

from django.db.models import Q

from sartiq.api.filters import BooleanFilter, ChoiceFilter, Filter, FilterSet, TextFilter
from sartiq.catalog import choices, models
from sartiq.catalog.filters import search
from shootings.choices import ShootingLookComputedStatus
from shots.selectors import RANK


class ProductFilterSet(FilterSet):
    archived = BooleanFilter()
    enabled = BooleanFilter()
    demo = BooleanFilter()
    public = BooleanFilter()
    is_filler = BooleanFilter()
    brand = TextFilter(lookup_expr="iexact")
    brand_collection = TextFilter(lookup_expr="iexact")
    season = TextFilter(lookup_expr="iexact")
    product_type = TextFilter(lookup_expr="iexact")
    gender = ChoiceFilter(choices.ProductGender, many=True)
    placement = ChoiceFilter(choices.ProductPlacement, many=True)
    search = TextFilter(method=search(["name", "sku", "style_code", "master_item_code", "brand", "colour"]))
    shot_statuses = Filter(ShootingLookComputedStatus, many=True, method="filter_shot_statuses",
                           help_text="Status of the product's latest look (values ORed)")
    sort_by = ChoiceFilter(choices.ProductSortBy, method="no_filter")
    sort_order = ChoiceFilter(choices.SortOrder, method="no_filter")

    class Meta:
        model = models.Product
        fields = []

    def no_filter(self, queryset, name, value):
        return queryset

    def filter_shot_statuses(self, queryset, name, values):
        """Shot statuses match the latest look's shot status, DRAFT/READY its status,
        WITHOUT_STATUS products whose latest look has no shots (or that have no look)."""
        values = {str(v) for v in values}
        shot_values = values - {"DRAFT", "READY", "WITHOUT_STATUS"}
        query = Q(shot_status_rank__in=[RANK[v] for v in shot_values])
        if look_statuses := values & {"DRAFT", "READY"}:
            query |= Q(latest_look_status__in=look_statuses)
        if "WITHOUT_STATUS" in values:
            query |= Q(shot_status_rank__isnull=True)
        return queryset.filter(query)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        sort_by = self.form.cleaned_data.get("sort_by")
        if sort_by is None:
            return queryset
        descending = self.form.cleaned_data.get("sort_order") == choices.SortOrder.DESC
        return queryset.order_by(f"{'-' if descending else ''}{sort_by.value}", "id")
