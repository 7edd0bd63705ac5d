"""Base viewsets: FastAPI's request phase (path, query and body validated together, one 422 with
every error), tenancy on lists and objects, and 200-answering CRUD actions.

A concrete viewset is a declaration: a selector queryset, serializers per action, a filter set,
and the services it calls (see STYLE.md).
"""
from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.http import QueryDict
from rest_framework import permissions, viewsets
from rest_framework.response import Response

from sartiq.accounts import tenancy
from sartiq.api.errors import RequestValidationError
from sartiq.api.serializers import MessageSerializer
from sartiq.api.validation import drf_to_pydantic, mask_secrets, missing, validate
from sartiq.errors import NotFound


class TenantObjectPermission(permissions.BasePermission):
    """Object permission of the tenancy rule: read if visible, write if changeable."""

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return tenancy.can_view(request.user, obj)
        return tenancy.can_change(request.user, obj)


def _has_body(request) -> bool:
    meta = request._request.META
    return meta.get("CONTENT_LENGTH") not in (None, "", "0") or "HTTP_TRANSFER_ENCODING" in meta


class ApiViewSet(viewsets.GenericViewSet):
    # The thing's name in "<Thing> not found".
    not_found: str = "Item"
    lookup_field = "pk"
    lookup_url_kwarg = "id"
    permission_classes = [permissions.IsAuthenticated, TenantObjectPermission]
    # action -> input serializer class (validated before the action runs)
    body_serializers: dict[str, Any] = {}
    # action -> output serializer class (None: empty response)
    response_serializers: dict[str, Any] = {}
    # action -> serializer of extra query parameters
    query_serializers: dict[str, Any] = {}
    # actions answering {"data", "count"}
    list_actions: tuple[str, ...] = ("list",)
    # accept ?organization_id= (contract §3) on these actions (None: all)
    organization_scoped: bool = False
    organization_actions: tuple[str, ...] | None = None
    # lists are restricted by the tenancy rule
    tenant_scoped: bool = True
    # Body of a partial update: the body serializer validated with partial=True.
    partial_actions: tuple[str, ...] = ("partial_update",)

    # Filled by the request phase.
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any = None
    filterset = None
    organization_id: uuid.UUID | None = None

    # --- request phase ------------------------------------------------------------------------
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        errors = self.validate_path(kwargs) + self.validate_query(request) + self.validate_body(request)
        if errors:
            raise RequestValidationError(errors)

    def validate_path(self, kwargs: dict) -> list[dict]:
        self.path, errors = {}, []
        for name, raw in kwargs.items():
            value, errs = validate(uuid.UUID, raw, ("path", name))
            self.path[name] = value
            errors += errs
        return errors

    def validate_query(self, request) -> list[dict]:
        errors: list[dict] = []
        params = request.query_params
        self.query = {}
        if self.organization_scoped and (self.organization_actions is None or self.action in self.organization_actions):
            raw = params.get("organization_id")
            if raw not in (None, ""):
                self.organization_id, errs = validate(uuid.UUID, raw, ("query", "organization_id"))
                errors += errs
        if self.action in self.list_actions and self.paginator is not None:
            errors += self.paginator.validate(request)
        filterset_class = self.get_filterset_class()
        if filterset_class is not None:
            self.filterset = filterset_class(params, queryset=filterset_class._meta.model._default_manager.none()
                                             if filterset_class._meta.model else None, request=request)
            errors += self.filterset.errors_as_pydantic()
        query_serializer = self.query_serializers.get(self.action)
        if query_serializer is not None:
            data = {name: (params.getlist(name) if _is_many(field) else params.get(name))
                    for name, field in query_serializer().fields.items() if name in params}
            serializer = query_serializer(data=data, context=self.get_serializer_context())
            if serializer.is_valid():
                self.query = serializer.validated_data
            else:
                errors += _missing_input_null(drf_to_pydantic(serializer.errors, serializer, data, ("query",)))
        return errors

    def get_filterset_class(self):
        if self.action in self.list_actions:
            return getattr(self, "filterset_class", None)
        return None

    def validate_body(self, request) -> list[dict]:
        serializer_class = self.body_serializers.get(self.action)
        if serializer_class is None:
            return []
        partial = self.action in self.partial_actions
        if not _has_body(request):
            if not partial and any(f.required for f in serializer_class().fields.values()):
                return [missing(("body",), None)]
            data = {}
        else:
            data = request.data
        serializer = serializer_class(data=data, partial=partial, context=self.get_serializer_context())
        if not serializer.is_valid():
            errors = mask_secrets(drf_to_pydantic(serializer.errors, serializer, data, ("body",)), serializer)
            return _missing_input_null(errors) if isinstance(data, QueryDict) else errors
        self.body = serializer.validated_data
        return []

    # --- querysets and objects ----------------------------------------------------------------
    def get_list_queryset(self) -> models.QuerySet:
        queryset = self.get_queryset()
        if self.tenant_scoped:
            queryset = tenancy.scope(queryset, self.request.user, self.organization_id)
        return self.filter_queryset(queryset)

    # Actions that fetch an object without serializing it (writes, summaries) use this lighter
    # queryset for the lookup and permission check; the response re-reads through the selector.
    lookup_queryset = None
    serializing_actions = ("retrieve",)

    def get_object_queryset(self):
        if self.lookup_queryset is not None and self.action not in self.serializing_actions:
            return self.lookup_queryset
        return self.get_queryset()

    def get_object(self):
        tenancy.require_member(self.request.user, self.organization_id)
        queryset = tenancy.with_tenant(self.get_object_queryset())  # the permission check reads it
        obj = queryset.filter(**{self.lookup_field: self.path[self.lookup_url_kwarg]}).first()
        if obj is None:
            raise NotFound(self.not_found)
        self.check_object_permissions(self.request, obj)
        return obj

    def refetch(self, obj):
        """The object again through the selector, with its annotations and prefetches."""
        return self.get_queryset().get(pk=obj.pk)

    def get_serializer_class(self):
        declared = self.response_serializers.get(self.action, ...)
        return self.serializer_class if declared is ... or declared is None else declared

    def respond(self, obj_or_data, serializer_class=..., status=200) -> Response:
        """Serialize with `serializer_class` (default: the action's); `None` sends the data as is."""
        if serializer_class is None:
            return Response(obj_or_data, status=status)
        if serializer_class is ...:
            serializer_class = self.get_serializer_class()
        return Response(serializer_class(obj_or_data, context=self.get_serializer_context()).data, status=status)


def _missing_input_null(errors: list[dict]) -> list[dict]:
    """FastAPI reports a missing query parameter or form field with `input: null` (a JSON body's
    missing field reports the body)."""
    for entry in errors:
        if entry["type"] == "missing":
            entry["input"] = None
    return errors


def _is_many(field) -> bool:
    from rest_framework import serializers

    return isinstance(field, (serializers.ListField, serializers.MultipleChoiceField, serializers.ListSerializer))


class ListMixin:
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_list_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RetrieveMixin:
    def retrieve(self, request, *args, **kwargs):
        return self.respond(self.get_object())


class CrudViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """List, retrieve, create, update (PUT and PATCH) and delete through services.

    The services module provides `<prefix>_create(*, user, organization_id, data)`,
    `<prefix>_update(*, user, instance, data)` and `<prefix>_delete(*, user, instance)`; `data`
    holds only the fields the client sent.
    """

    services: Any = None
    service_prefix: str = ""
    response_serializers = {"destroy": MessageSerializer}
    organization_scoped = True
    # The reference's PUT bodies (`*Update`) are partial, like PATCH.
    partial_actions = ("update", "partial_update")

    def _service(self, verb: str):
        return getattr(self.services, f"{self.service_prefix}_{verb}")

    def create(self, request, *args, **kwargs):
        obj = self._service("create")(user=request.user, organization_id=self.organization_id, data=self.body)
        return self.respond(self.refetch(obj))

    def update(self, request, *args, **kwargs):
        obj = self._service("update")(user=request.user, instance=self.get_object(), data=self.body)
        return self.respond(self.refetch(obj))

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self._service("delete")(user=request.user, instance=self.get_object())
        return Response({"message": f"{self.not_found} deleted successfully"})
