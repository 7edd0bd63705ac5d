"""The tenancy rule of the API, applied to the admin: staff see and change what they could
through the API (their own and their organizations' resources); superusers see everything."""
from sartiq.accounts import tenancy


class TenantAdminMixin:
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else tenancy.visible(queryset, request.user)

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or tenancy.can_view(request.user, obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or tenancy.can_change(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or tenancy.can_change(request.user, obj))
