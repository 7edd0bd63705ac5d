"""Create, update and delete of tenant resources, declared once per resource.

A `Resource` names its model, the foreign keys given as `<name>_id` (`refs`), the many-to-many
given as lists of ids (`many`), its image URL fields (`urls`, `url_lists`) and nested writers.
Referenced ids are resolved in one query per kind with the tenancy rule (404 unknown, 403 not
visible, 400 of another organization), scalar fields are copied, nested lists replace what was
there; all in one transaction. A URL field naming a file of the project's storage is a media
reference like an id (`sartiq.media.references`): it sets the field's media twin, or is refused
where the field has none.
`crud_services(resource)` gives the `<thing>_create/_update/_delete` functions a CrudViewSet calls.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from django.db import models as dj_models
from django.db import transaction

from sartiq.accounts import tenancy
from sartiq.errors import NotFound, PermissionDenied
from sartiq.media.references import MediaReferences
from sartiq.services import model_update


@dataclass(frozen=True)
class Ref:
    """A foreign key given as `<name>_id` in the body; `share` tells how a personal one becomes an
    organization's (`tenancy.check_usable`)."""

    model: type[dj_models.Model]
    thing: str
    share: Callable | None = None


@dataclass(frozen=True)
class ManyRef:
    """A many-to-many given as `<ids_key>` (a list of ids) in the body."""

    ids_key: str
    model: type[dj_models.Model]
    thing: str
    share: Callable | None = None


@dataclass(frozen=True)
class Resource:
    model: type[dj_models.Model]
    refs: dict[str, Ref] = field(default_factory=dict)  # model field name -> Ref
    many: dict[str, ManyRef] = field(default_factory=dict)  # m2m field name -> ManyRef
    # image URL field -> its media foreign key (a `refs` name), or None: storage URLs refused there
    urls: dict[str, str | None] = field(default_factory=dict)
    # list-of-URLs field -> the body key that takes media ids instead (for the error), or None
    url_lists: dict[str, str | None] = field(default_factory=dict)
    # nested writers: body key -> function(instance, items, user, organization_id)
    nested: dict[str, Callable] = field(default_factory=dict)


def check_public(user, data: dict) -> None:
    """Only superusers publish to every user (`public=True`)."""
    if data.get("public") and not user.is_superuser:
        raise PermissionDenied("Only superusers can make a resource public")


def resolve_urls(data: dict, urls: dict, url_lists: dict, media: MediaReferences, field: tuple) -> dict:
    """Check the body's image URLs; a storage URL in a field with a media twin becomes that twin's
    id (in `data`). Returns {twin id key: media} of what it resolved (already checked)."""
    resolved = {}
    for url_field, twin in urls.items():
        if not data.get(url_field):
            continue
        if twin is None:
            media.outside_only(data[url_field], (*field, url_field))
            continue
        id_key = f"{twin}_id"
        found = media.by_url_or_id(data[url_field], data.get(id_key), field=(*field, url_field), id_key=id_key)
        if found is not None:
            data[id_key] = found.pk
            resolved[id_key] = found
    for list_field, hint in url_lists.items():
        for index, url in enumerate(data.get(list_field) or []):
            media.outside_only(url, (*field, list_field, index), hint)
    return resolved


def _write(resource: Resource, instance, data: dict, user, organization_id) -> None:
    data = dict(data)
    media = MediaReferences(user, organization_id)
    resolved = resolve_urls(data, resource.urls, resource.url_lists, media, ())
    nested = {key: data.pop(key) for key in list(data) if key in resource.nested}
    many = {name: data.pop(spec.ids_key) for name, spec in resource.many.items() if spec.ids_key in data}
    for name, ref in resource.refs.items():
        key = f"{name}_id"
        if key in data:
            pk = data.pop(key)
            if pk is not None and key not in resolved:
                tenancy.get_usable(ref.model.objects, pk, user, organization_id, ref.thing, ref.share)
            setattr(instance, key, pk)
    model_update(instance, data)
    instance.save()
    for name, ids in many.items():
        spec = resource.many[name]
        objs = tenancy.get_many_usable(spec.model.objects, ids or [], user, organization_id, spec.thing, spec.share)
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
    # Updates of one resource run one after the other: nested lists are replaced (deleted, then
    # inserted), and two at once inserted the same unique children twice.
    model = type(instance)
    instance = model.objects.select_for_update(of=("self",), no_key=True).filter(pk=instance.pk).first()
    if instance is None:  # deleted while this request waited
        raise NotFound(str(model._meta.verbose_name).capitalize())
    tenancy.check_change(user, instance)
    check_public(user, data)
    _write(resource, instance, data, user, tenancy.tenant_of(instance).organization_id)
    return instance


@transaction.atomic
def resource_delete(*, user, instance) -> None:
    # The row locked before the cascade collects what points at it: a writer that locked it first
    # (an update, a reference being resolved) finishes before, and its rows are then collected too.
    model = type(instance)
    locked = model.objects.select_for_update(of=("self",)).filter(pk=instance.pk).first()
    if locked is None:  # deleted by another request meanwhile
        raise NotFound(str(model._meta.verbose_name).capitalize())
    tenancy.check_change(user, locked)
    locked.delete()


def replace_children(related_name: str, child_model, refs: dict[str, Ref], urls: dict[str, str | None] | None = None):
    """A nested writer: the list given (body key `related_name`) replaces the instance's children."""

    def write(instance, items, user, organization_id):
        items = [dict(item) for item in items or []]
        media = MediaReferences(user, organization_id)
        resolved_ids = set()
        for index, item in enumerate(items):
            resolved = resolve_urls(item, urls or {}, {}, media, (related_name, index))
            resolved_ids |= {(key, found.pk) for key, found in resolved.items()}
        for ref_name, ref in refs.items():
            key = f"{ref_name}_id"
            ids = [item[key] for item in items if item.get(key) and (key, item[key]) not in resolved_ids]
            tenancy.get_many_usable(ref.model.objects, ids, user, organization_id, ref.thing, ref.share)
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
