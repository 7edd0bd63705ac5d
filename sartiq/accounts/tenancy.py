"""The tenancy rule of contract §3, in one place.

- Personal resources (no organization) are visible to their owner; organization resources to the
  organization's members; superusers see everything. Resources flagged `public` are readable by
  every user and listed with the caller's personal ones.
- Lists: with `organization_id` the caller must be a member (403 otherwise) and gets that
  organization's resources; without it, their personal ones (superusers: everything).
- Objects: unknown id → 404, existing but not visible or not changeable → 403.

Child resources (looks, shots, revisions) carry no tenant fields; their model names the path to
the resource that does (`tenant_path = "shooting"`), and every function here follows it.
"""
from __future__ import annotations

import uuid
from typing import Callable, Iterable, TypeVar

from django.db import models
from django.db.models import Q

from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Membership, Organization
from sartiq.errors import BusinessRuleError, NotFound, PermissionDenied

M = TypeVar("M", bound=models.Model)

_ORG_CACHE = "_sartiq_org_roles"


def organization_roles(user) -> dict[uuid.UUID, str]:
    """{organization_id: role} of the user's memberships; one query, cached on the user object."""
    cached = getattr(user, _ORG_CACHE, None)
    if cached is None:
        cached = dict(Membership.objects.filter(user_id=user.pk).values_list("organization_id", "role"))
        setattr(user, _ORG_CACHE, cached)
    return cached


def forget_organization_roles(user) -> None:
    if hasattr(user, _ORG_CACHE):
        delattr(user, _ORG_CACHE)


def is_member(user, organization_id) -> bool:
    return bool(user.is_superuser) or organization_id in organization_roles(user)


def is_admin_of(user, organization_id) -> bool:
    return bool(user.is_superuser) or organization_roles(user).get(organization_id) in (
        MembershipRole.OWNER,
        MembershipRole.ADMIN,
    )


def require_member(user, organization_id) -> None:
    """403 unless the user belongs to the organization; for a superuser (who belongs everywhere),
    404 when the organization does not exist, so that nothing is written for a made-up one."""
    if organization_id is None:
        return
    if not is_member(user, organization_id):
        raise PermissionDenied()
    if user.is_superuser and organization_id not in organization_roles(user):
        if not Organization.objects.filter(pk=organization_id).exists():
            raise NotFound("Organization")


def _prefix(model) -> str:
    path = getattr(model, "tenant_path", "")
    return f"{path}__" if path else ""


def _has_public(model) -> bool:
    return any(f.name == "public" for f in model._meta.concrete_fields)


def scope(queryset: models.QuerySet, user, organization_id: uuid.UUID | None = None) -> models.QuerySet:
    """Restrict a list to what the caller may see, following the rule above."""
    if organization_id is not None:
        require_member(user, organization_id)
    kind, tenant_id = list_scope(user, organization_id)
    return scoped(queryset, kind, tenant_id)


def list_scope(user, organization_id: uuid.UUID | None) -> tuple[str, uuid.UUID | None]:
    """Which list the caller gets, as ("organization", its id), ("personal", the user's id) or
    ("all", None); the membership is checked by `scope`."""
    if organization_id is not None:
        return "organization", organization_id
    if user.is_superuser:
        return "all", None
    return "personal", user.pk


def scoped(queryset: models.QuerySet, kind: str, tenant_id: uuid.UUID | None) -> models.QuerySet:
    """`queryset` restricted to the list `list_scope` named."""
    model = queryset.model
    prefix = _prefix(model)
    if kind == "organization":
        return queryset.filter(**{f"{prefix}organization_id": tenant_id})
    if kind == "all":
        return queryset
    visible = Q(**{f"{prefix}organization__isnull": True, f"{prefix}owner_id": tenant_id})
    if _has_public(model):
        visible |= Q(public=True)
    return queryset.filter(visible)


def visible(queryset: models.QuerySet, user) -> models.QuerySet:
    """Everything the user may see, personal and of all their organizations (no extra query:
    memberships are a subquery). Used for figures computed across tenants, such as a product's
    latest look."""
    if user.is_superuser:
        return queryset
    prefix = _prefix(queryset.model)
    query = Q(**{f"{prefix}organization__isnull": True, f"{prefix}owner_id": user.pk}) | Q(
        **{f"{prefix}organization_id__in": Membership.objects.filter(user_id=user.pk).values("organization_id")}
    )
    if _has_public(queryset.model):
        query |= Q(public=True)
    return queryset.filter(query)


def tenant_of(obj):
    """The object holding owner/organization for `obj` (itself, or the end of its tenant path)."""
    for part in filter(None, getattr(type(obj), "tenant_path", "").split("__")):
        obj = getattr(obj, part)
    return obj


def can_view(user, obj) -> bool:
    if user.is_superuser or getattr(obj, "public", False):
        return True
    return can_change(user, obj)


def can_change(user, obj) -> bool:
    if user.is_superuser:
        return True
    tenant = tenant_of(obj)
    if tenant.organization_id is not None:
        return tenant.organization_id in organization_roles(user)
    return tenant.owner_id == user.pk


def check_view(user, obj) -> None:
    if not can_view(user, obj):
        raise PermissionDenied()


def check_change(user, obj) -> None:
    if not can_change(user, obj):
        raise PermissionDenied()


def check_usable(user, obj, organization_id: uuid.UUID | None, thing: str,
                 share: Callable[[uuid.UUID], str] | None = None) -> None:
    """May `obj` be referenced by a resource of `organization_id` (None: personal) created by `user`?

    It must be visible to the user, and shared with the target's audience: public, of the same
    organization, or (for a personal target) the user's own. Otherwise the target would show
    members a resource they may not see. The refusal says which case it is and what to do;
    `share(organization_id)` tells how to make a personal one of its kind the organization's
    (default: create it with organization_id).
    """
    check_view(user, obj)
    if user.is_superuser or getattr(obj, "public", False):
        return
    tenant = tenant_of(obj)
    if tenant.organization_id != organization_id:
        raise BusinessRuleError(not_shared(thing, tenant.organization_id, organization_id, share))


def not_shared(thing: str, source: uuid.UUID | None, target: uuid.UUID | None,
               share: Callable[[uuid.UUID], str] | None = None) -> str:
    """Why an object of tenant `source` cannot serve a resource of tenant `target` (None: personal)."""
    if source is None and target is None:  # two users' personal resources
        return f"{thing} is another user's personal resource"
    if source is None:
        how = share(target) if share else f"create it in the organization (with organization_id={target})"
        return (f"{thing} is personal (made without organization_id): the organization's members cannot see it, "
                f"so the organization's resources cannot use it. To use it there, {how}")
    if target is None:
        return (f"{thing} belongs to an organization: a personal resource can use only personal and public ones "
                f"(write this resource in the organization, with organization_id={source})")
    return f"{thing} belongs to another organization"


def in_audience(obj, organization_id, owner_id) -> bool:
    """Does `obj` serve the audience of a resource of `organization_id` (None: the personal
    resources of `owner_id`)? Public objects serve everyone. Unlike `check_usable`, superusers get
    no exemption: this is about where data ends up, not about who asks."""
    if getattr(obj, "public", False):
        return True
    tenant = tenant_of(obj)
    if organization_id is not None:
        return tenant.organization_id == organization_id
    return tenant.organization_id is None and tenant.owner_id == owner_id


def audience(queryset: models.QuerySet, organization_id, owner_id) -> models.QuerySet:
    """The rows that serve the audience of a resource of `organization_id` (None: the personal
    resources of `owner_id`), as `in_audience` decides for one object; for work done on a
    resource's behalf (a worker), where no user is asking."""
    prefix = _prefix(queryset.model)
    if organization_id is not None:
        query = Q(**{f"{prefix}organization_id": organization_id})
    else:
        query = Q(**{f"{prefix}organization__isnull": True, f"{prefix}owner_id": owner_id})
    if _has_public(queryset.model):
        query |= Q(public=True)
    return queryset.filter(query)


def with_tenant(queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """The queryset with the model's tenant path joined, since every check reads it."""
    path = getattr(queryset.model, "tenant_path", "")
    return queryset.select_related(path) if path else queryset


def get_visible(queryset: models.QuerySet[M], pk, user, thing: str, *, change: bool = False) -> M:
    """Fetch one object by id: 404 when unknown, 403 when the user may not see (or change) it."""
    obj = with_tenant(queryset).filter(pk=pk).first()
    if obj is None:
        raise NotFound(thing)
    (check_change if change else check_view)(user, obj)
    return obj


def get_usable(queryset: models.QuerySet[M], pk, user, organization_id, thing: str,
               share: Callable[[uuid.UUID], str] | None = None) -> M:
    obj = with_tenant(queryset).filter(pk=pk).first()
    if obj is None:
        raise NotFound(thing)
    check_usable(user, obj, organization_id, thing, share)
    return obj


def get_many_usable(
    queryset: models.QuerySet[M], pks: Iterable, user, organization_id, thing: str,
    share: Callable[[uuid.UUID], str] | None = None,
) -> list[M]:
    """Fetch several referenced objects in one query, in the order given; same errors as above."""
    pks = list(dict.fromkeys(pks))
    found = {obj.pk: obj for obj in with_tenant(queryset).filter(pk__in=pks)}
    for pk in pks:
        if pk not in found:
            raise NotFound(thing)
    for obj in found.values():
        check_usable(user, obj, organization_id, thing, share)
    return [found[pk] for pk in pks]
