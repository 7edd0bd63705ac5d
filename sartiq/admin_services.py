"""Admins that write through services, as the API does: the service's lock, status guard, tenancy
check and file release apply to a staff user's edit and delete too.

`save_model` calls `service_update(user=..., obj=..., data=...)` with the form fields the user
changed (named as the service names them, foreign keys as ids), `delete_model` and
`delete_queryset` call `service_delete(user=..., obj=...)` per object. A refusal is shown as an
error message and changes nothing (the admin's view runs in one transaction). Status, tenant and
counter fields are read-only: only the service that guards them changes them. Objects are created
through the API.
"""
from __future__ import annotations

from django.contrib import messages
from django.db import models, transaction
from django.http import HttpResponseRedirect

from sartiq.errors import DomainError


class ServiceWritesMixin:
    # form field -> the service's data key
    service_fields: dict[str, str] = {}

    def service_update(self, *, user, obj, data: dict) -> None:
        raise NotImplementedError

    def service_delete(self, *, user, obj) -> None:
        raise NotImplementedError

    def has_add_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {}
        for name in form.changed_data:
            if name in self.service_fields:
                value = form.cleaned_data[name]
                data[self.service_fields[name]] = value.pk if isinstance(value, models.Model) else value
        if data:
            self.service_update(user=request.user, obj=obj, data=data)

    def save_related(self, request, form, formsets, change):
        """No many-to-many writes beside the service (`form.save_m2m()` is not called); the inlines
        are read-only, so saving their formsets writes nothing (it records what for the history)."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        self.service_delete(user=request.user, obj=obj)

    @transaction.atomic  # all or none
    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.service_delete(user=request.user, obj=obj)

    def _refused(self, request, view, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        return self._refused(request, super().changeform_view, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._refused(request, super().delete_view, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):  # the "delete selected" action
        return self._refused(request, super().changelist_view, *args, **kwargs)


def read_only_inline(inline_class):
    """An inline shown, never written from its parent's page."""
    inline_class.can_delete = False
    inline_class.has_add_permission = lambda self, request, obj=None: False
    inline_class.has_change_permission = lambda self, request, obj=None: False
    return inline_class
