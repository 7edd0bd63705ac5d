from sartiq.api.filters import Filter, FilterSet, TextFilter, UUIDListFilter
from shootings import selectors
from shootings.choices import ShootingLookComputedStatus
from shootings.models import Shooting, ShootingLook


class ShootingFilterSet(FilterSet):
    statuses = Filter(ShootingLookComputedStatus, many=True, method="filter_statuses",
                      help_text="Computed status (least progressed); values ORed")

    class Meta:
        model = Shooting
        fields = []

    def filter_statuses(self, queryset, name, values):
        return selectors.filter_shootings_by_status(queryset, values)


class LookFilterSet(FilterSet):
    shot_statuses = Filter(ShootingLookComputedStatus, many=True, method="filter_shot_statuses",
                           help_text="Computed shot status, DRAFT/READY or WITHOUT_STATUS; values ORed")
    product_ids = UUIDListFilter(field_name="product_id")
    product_name = TextFilter(field_name="product__name", help_text="Search by product name")
    product_sku = TextFilter(field_name="product__sku", help_text="Search by product SKU")
    product_type = TextFilter(field_name="product__product_type", lookup_expr="iexact")
    assignee_ids = UUIDListFilter(field_name="assignee_id", help_text="Filter by assignee user IDs")

    class Meta:
        model = ShootingLook
        fields = []

    def filter_shot_statuses(self, queryset, name, values):
        return selectors.filter_looks_by_status(queryset, values)
