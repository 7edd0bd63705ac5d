"""Admins that write through services, as the API does: the service's lock, status guard, tenancy
check, public rule, media rule and file release apply to a staff user's add, edit and delete too.

One service call per save, made in `save_related` (the step that has both the form and its
inlines' formsets; `save_model` writes nothing): `service_update(user=..., obj=..., data=...)`
with the form fields the user changed, or, on the add page, `service_create(user=...,
organization_id=..., data=...)` with every form field. `service_fields` names each form field's
data key as the service (and the API body) names it: scalar fields by name, foreign keys as
`<name>_id`, many-to-many as their list of ids (`resource_fields` derives them from a `Resource`
declaration). An inline written by its parent's service (`ServiceInlineMixin`) gives the items of a
nested writer (its rows' fields, foreign keys as `<name>_id`), sent only when one of its rows
changed: the writer replaces what was there. Other inlines are read-only (`read_only_inline`).
`delete_model` and `delete_queryset` call `service_delete(user=..., obj=...)` per object.

A refusal is shown as an error message and changes nothing (the admin's view runs in one
transaction). What no service writes is read-only: every model field outside `service_fields`
(status, tenant and counter fields among them), so nothing is typed in and silently dropped.

Adding: an admin adds only when it defines `service_create` (the catalog's resources, which staff
commonly create here); the others' objects are created through the API. An added object is created
as the API creates it: its owner is the user adding it, its organization the one chosen on the add
page (among the user's organizations for staff, `sartiq/admin_tenancy.py`), and neither changes
later (no service moves a resource; a shooting moves by the API's transfer).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.db import models, transaction
from django.http import HttpResponseRedirect

from sartiq.admin_tenancy import TENANT_FIELDS
from sartiq.errors import DomainError, InvalidInput

if TYPE_CHECKING:
    from sartiq.resources import Resource


def _value(value):
    """A form's cleaned value as the service takes it: objects as ids."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet):
        return [obj.pk for obj in value]
    return value


def resource_fields(resource: Resource) -> dict[str, str]:
    """Form field -> data key of what a `Resource`'s services write: scalar fields by name, its
    `refs` as `<name>_id`, its `many` as their ids key. Tenant fields, and relations the resource
    does not declare (so no service checks them), are not written."""
    fields = {}
    for field in resource.model._meta.get_fields():
        if field.auto_created or not getattr(field, "editable", False) or field.name in TENANT_FIELDS:
            continue
        if field.many_to_many:
            if field.name in resource.many:
                fields[field.name] = resource.many[field.name].ids_key
        elif field.is_relation:
            if field.name in resource.refs:
                fields[field.name] = f"{field.name}_id"
        else:
            fields[field.name] = field.name
    return fields


class ServiceInlineMixin:
    """An inline written by its parent's service: its rows are the items of the nested writer
    `service_key` (a list; with `service_single`, one object, or None when its row is deleted)."""

    service_key: str = ""
    service_single = False

    def get_formset(self, request, obj=None, **kwargs):
        formset_class = super().get_formset(request, obj, **kwargs)
        formset_class.service_key = self.service_key
        formset_class.service_single = self.service_single
        return formset_class


def _formset_items(formset):
    """The nested writer's value for a formset (its rows as data items), and records of what
    changed for the admin's history (`new_objects`, `changed_objects`, `deleted_objects`, which
    `formset.save()` would have set)."""
    fields = {f.name: f for f in formset.model._meta.concrete_fields
              if f.editable and not f.primary_key and f.name != formset.fk.name}
    items, formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], [], []
    for index, form in enumerate(formset.forms):
        existing = index < formset.initial_form_count()
        if formset.can_delete and formset._should_delete_form(form):
            if existing:
                formset.deleted_objects.append(form.instance)
            continue
        if not existing and not form.has_changed():
            continue  # an empty extra row
        if existing and form.has_changed():
            formset.changed_objects.append((form.instance, form.changed_data))
        elif not existing:
            formset.new_objects.append(form.instance)
        # A field the inline does not show keeps the row's value (the writer replaces whole rows).
        items.append({field.attname: _value(form.cleaned_data.get(name)) if name in form.fields
                      else getattr(form.instance, field.attname) for name, field in fields.items()})
    if formset.service_single:
        return items[0] if items else None
    return items


def _adopt(obj, saved) -> None:
    """Give the admin's object the saved row (its id for the redirect and the history, its values
    for the messages)."""
    if isinstance(saved, models.Model):
        for field in saved._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db


class ServiceWritesMixin:
    # form field -> the service's data key
    service_fields: dict[str, str] = {}

    def service_create(self, *, user, organization_id, data: dict):
        """The created object. An admin that does not define it adds nothing."""
        raise NotImplementedError

    def service_update(self, *, user, obj, data: dict):
        raise NotImplementedError

    def service_delete(self, *, user, obj) -> None:
        raise NotImplementedError

    def _creates(self) -> bool:
        return type(self).service_create is not ServiceWritesMixin.service_create

    def has_add_permission(self, request, obj=None):
        return self._creates() and super().has_add_permission(request)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        for field in self.model._meta.get_fields():
            name = field.name
            if field.auto_created or not getattr(field, "editable", False) or name in fields:
                continue
            if name in self.service_fields or (obj is None and name == "organization"):  # chosen when added
                continue
            fields.append(name)
        return fields

    def save_model(self, request, obj, form, change):
        """Nothing: `save_related`, which has the inlines too, makes the service call."""

    def service_data(self, form, formsets, change: bool) -> dict:
        names = form.changed_data if change else list(form.fields)
        data = {self.service_fields[name]: _value(form.cleaned_data.get(name))
                for name in names if name in self.service_fields}
        for formset in formsets:
            key = getattr(formset, "service_key", None)
            if key:
                items = _formset_items(formset)
                if formset.has_changed():
                    data[key] = items
        return data

    def save_related(self, request, form, formsets, change):
        """The one service call (no many-to-many or inline write beside it: `form.save_m2m()` is
        not called); then the read-only inlines' formsets, which write nothing (saving them records
        what for the history)."""
        obj = form.instance
        data = self.service_data(form, formsets, change)
        if not change:
            organization = form.cleaned_data.get("organization")
            _adopt(obj, self.service_create(user=request.user, organization_id=getattr(organization, "pk", None),
                                            data=data))
        elif data:
            _adopt(obj, self.service_update(user=request.user, obj=obj, data=data))
        for formset in formsets:
            if not getattr(formset, "service_key", None):
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


class ReadOnlyAdminMixin:
    """A model admin that shows rows and never writes them: services elsewhere do (events, webhook
    deliveries, outfits)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceForm(forms.ModelForm):
    """A form whose write is a service call: `clean()` asks the service's check (the API's rules:
    who may, what is valid), so that a refusal is shown on the form; the admin then calls the service."""

    user = None  # set by the admin's get_form
    # service input name -> form field, where they differ
    field_names: dict[str, str] = {}

    def service_data(self) -> dict:
        raise NotImplementedError

    def check(self, data: dict) -> None:
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                self.check(self.service_data())
            except InvalidInput as error:
                name = self.field_names.get(error.field[-1], error.field[-1]) if error.field else None
                self.add_error(name if name in self.fields else None, error.message)
            except DomainError as error:
                raise forms.ValidationError(error.message)
        return cleaned

    def changed(self, names) -> dict:
        """The fields among `names` the user changed (all of them on an add form)."""
        adding = self.instance._state.adding
        return {name: self.cleaned_data[name] for name in names
                if name in self.fields and (adding or name in self.changed_data)}
