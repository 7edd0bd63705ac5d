"""Create, update and delete of tenant resources, declared once per resource.

A `Resource` names its model, the foreign keys given as `<name>_id` (`refs`), the many-to-many
given as lists of ids (`many`) and nested writers. Referenced ids are resolved in one query per
kind with the tenancy rule (404 unknown, 403 not visible, 400 of another organization), scalar
fields are copied, nested lists replace what was there; all in one transaction.
`crud_services(resource)` gives the `<thing>_create/_update/_delete` functions a CrudViewSet calls.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from django.db import models as dj_models
from django.db import transaction

from sartiq.accounts import tenancy
from sartiq.errors import PermissionDenied


@dataclass(frozen=True)
class Ref:
    """A foreign key given as `<name>_id` in the body."""

    model: type[dj_models.Model]
    thing: str


@dataclass(frozen=True)
class ManyRef:
    """A many-to-many given as `<ids_key>` (a list of ids) in the body."""

    ids_key: str
    model: type[dj_models.Model]
    thing: str


@dataclass(frozen=True)
class Resource:
    model: type[dj_models.Model]
    refs: dict[str, Ref] = field(default_factory=dict)  # model field name -> Ref
    many: dict[str, ManyRef] = field(default_factory=dict)  # m2m field name -> ManyRef
    # nested writers: body key -> function(instance, items, user, organization_id)
    nested: dict[str, Callable] = field(default_factory=dict)


def check_public(user, data: dict) -> None:
    """Only superusers publish to every user (`public=True`)."""
    if data.get("public") and not user.is_superuser:
        raise PermissionDenied("Only superusers can make a resource public")


def _write(resource: Resource, instance, data: dict, user, organization_id) -> None:
    data = dict(data)
    nested = {key: data.pop(key) for key in list(data) if key in resource.nested}
    many = {name: data.pop(spec.ids_key) for name, spec in resource.many.items() if spec.ids_key in data}
    for name, ref in resource.refs.items():
        key = f"{name}_id"
        if key in data:
            pk = data.pop(key)
            if pk is not None:
                tenancy.get_usable(ref.model.objects, pk, user, organization_id, ref.thing)
            setattr(instance, key, pk)
    for name, value in data.items():
        setattr(instance, name, value)
    instance.save()
    for name, ids in many.items():
        spec = resource.many[name]
        objs = tenancy.get_many_usable(spec.model.objects, ids or [], user, organization_id, spec.thing)
        getattr(instance, name).set(objs)
    for key, items in nested.items():
        resource.nested[key](instance, items, user, organization_id)


@transaction.atomic
def resource_create(resource: Resource, *, user, organization_id, data: dict, **fixed: Any):
    tenancy.require_member(user, organization_id)
    check_public(user, data)
    instance = resource.model(owner=user, organization_id=organization_id, **fixed)
    _write(resource, instance, data, user, organization_id)
    return instance


@transaction.atomic
def resource_update(resource: Resource, *, user, instance, data: dict):
    tenancy.check_change(user, instance)
    check_public(user, data)
    _write(resource, instance, data, user, tenancy.tenant_of(instance).organization_id)
    return instance


@transaction.atomic
def resource_delete(*, user, instance) -> None:
    tenancy.check_change(user, instance)
    instance.delete()


def replace_children(related_name: str, child_model, refs: dict[str, Ref]):
    """A nested writer: the list given replaces the instance's children."""

    def write(instance, items, user, organization_id):
        items = items or []
        for ref_name, ref in refs.items():
            ids = [item[f"{ref_name}_id"] for item in items if item.get(f"{ref_name}_id")]
            tenancy.get_many_usable(ref.model.objects, ids, user, organization_id, ref.thing)
        getattr(instance, related_name).all().delete()
        fk = child_model._meta.get_field(child_model.tenant_path).attname
        child_model.objects.bulk_create([child_model(**{fk: instance.pk}, **item) for item in items])

    return write


def crud_services(resource: Resource):
    """The create, update and delete services of a resource, to be bound to named functions."""

    def create(*, user, organization_id, data):
        return resource_create(resource, user=user, organization_id=organization_id, data=data)

    def update(*, user, instance, data):
        return resource_update(resource, user=user, instance=instance, data=data)

    def delete(*, user, instance):
        resource_delete(user=user, instance=instance)

    return create, update, delete
