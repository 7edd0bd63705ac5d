"""Base viewsets: FastAPI's request phase (path, query and body validated together, one 422 with
every error), tenancy on lists and objects, and 200-answering CRUD actions.

A concrete viewset is a declaration: a selector queryset, the request models of its bodies and
queries (`body_models`, `query_models`: sartiq/api/requests.py) and the serializers of its answers
per action, a filter set, and the services it calls (see STYLE.md).
"""
from __future__ import annotations

import typing
import uuid
from typing import Any

from django.db import models
from django.http import QueryDict
from rest_framework import exceptions, permissions, viewsets
from rest_framework.response import Response

from sartiq.accounts import tenancy
from sartiq.api.parsers import JSONParser
from sartiq.api.requests import mask_secrets
from sartiq.api.serializers import MessageSerializer
from sartiq.api.validation import (
    MODEL_ATTRIBUTES_TYPE,
    RequestValidationError,
    add_text_errors,
    error,
    missing,
    model_text_errors,
    text_errors,
    union_args,
    validate,
    validate_model,
)
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
    # action -> request model of the body (sartiq.api.requests; validated before the action runs)
    body_models: dict[str, Any] = {}
    # action -> output serializer class (None: empty response)
    response_serializers: dict[str, Any] = {}
    # action -> request model of extra query parameters
    query_models: dict[str, Any] = {}
    # actions answering {"data", "count"}
    list_actions: tuple[str, ...] = ("list",)
    # accept ?organization_id= (contract §3) on these actions (None: all)
    organization_scoped: bool = False
    organization_actions: tuple[str, ...] | None = None
    # lists are restricted by the tenancy rule
    tenant_scoped: bool = True
    # Actions whose body may be left out (FastAPI's `body: X | None = None`): no body, or a JSON
    # null, is `{}`. Every other body is required, as a FastAPI body parameter without a default:
    # no body is 422 `missing` at ["body"], even when every field is optional.
    optional_body_actions: tuple[str, ...] = ()

    # Filled by the request phase.
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any = None
    filterset = None
    organization_id: uuid.UUID | None = None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if hasattr(response, "add_post_render_callback") and not response.is_rendered:
            response.add_post_render_callback(_release_data)
        return response

    # --- request phase ------------------------------------------------------------------------
    def initial(self, request, *args, **kwargs):
        if request.method == "OPTIONS":
            # OPTIONS asks which methods the path has: the same answer for everyone, so no
            # authentication, permission, throttle or validation (DRF's `initial` minus those).
            self.format_kwarg = self.get_format_suffix(**kwargs)
            request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(request)
            return
        super().initial(request, *args, **kwargs)
        errors = self.validate_path(kwargs) + self.validate_query(request) + self.validate_body(request)
        if errors:
            raise RequestValidationError(errors)

    def options(self, request, *args, **kwargs):
        """200 with the path's methods in `Allow` (DRF sets it on every answer) and no body: the
        OpenAPI document describes the rest. (DRF's metadata would describe serializers this
        API declares per action, not per view.)"""
        return Response(status=200)

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
            if raw is not None:  # `?organization_id=` is a 422 as in FastAPI, not "no organization"
                self.organization_id, errs = validate(uuid.UUID, raw, ("query", "organization_id"))
                errors += errs
        if self.action in self.list_actions and self.paginator is not None:
            errors += self.paginator.validate(request)
        filterset_class = self.get_filterset_class()
        # An absent parameter filters nothing (`sartiq.api.filters`): without any, no filter set.
        if filterset_class is not None and any(name in params for name in filterset_class.base_filters):
            self.filterset = filterset_class(params, queryset=filterset_class._meta.model._default_manager.none()
                                             if filterset_class._meta.model else None, request=request)
            errors += self.filterset.errors_as_pydantic()
        query_model = self.query_models.get(self.action)
        if query_model is not None:
            query, errs = validate_model(query_model, _read(query_model, params), ("query",))
            errors += _missing_input_null(errs)
            self.query = query.data() if query is not None else {}
        return add_text_errors(errors, self.query_text_errors(params, query_model))

    def query_text_errors(self, params, query_model) -> list[dict]:
        """NUL characters and unpaired surrogates in the query parameters this action reads (unknown
        ones are ignored, as FastAPI ignores them): a list parameter's values located by index, a
        single one's (the last, the one used) by name."""
        declared = {name: getattr(f, "many", False) for name, f in getattr(self.filterset, "filters", {}).items()}
        if query_model is not None:
            declared |= {name: _is_list(field) for name, field in query_model.model_fields.items()}
        errors = []
        for name, many in declared.items():
            values = params.getlist(name)
            if values:
                errors += text_errors(values if many else values[-1], ("query", name))
        return errors

    def get_filterset_class(self):
        if self.action in self.list_actions:
            return getattr(self, "filterset_class", None)
        return None

    def validate_body(self, request) -> list[dict]:
        model = self.body_models.get(self.action)
        if model is None:
            return []
        optional = self.action in self.optional_body_actions
        form_endpoint = not any(isinstance(parser, JSONParser) for parser in request.parsers)
        if not _has_body(request):
            if form_endpoint:
                data = QueryDict()  # FastAPI's form fields: no body is each required field missing
            elif not optional:
                return [missing(("body",), None)]
            else:
                data = {}
        else:
            try:
                data = request.data
            except exceptions.UnsupportedMediaType:
                if form_endpoint:
                    data = QueryDict()  # a form endpoint reads any other body as an empty form, as FastAPI does
                else:  # FastAPI hands the raw text to the model
                    return [error("model_attributes_type", ("body",), MODEL_ATTRIBUTES_TYPE,
                                  request._request.body.decode("utf-8", "replace"))]
            if data is None and optional:
                data = {}
        sent = data
        form = isinstance(data, QueryDict)
        if form:
            data = _read(model, data)
        # Validators may read the request (the caller) and the body as sent (other fields, valid or not).
        body, errors = validate_model(model, data, ("body",), context={"request": self.request, "body": data})
        errors = add_text_errors(errors, model_text_errors(model, sent, ("body",)))
        if errors:
            errors = mask_secrets(errors, model)
            return _missing_input_null(errors) if form else errors
        self.body = body.data()
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

    def get_object(self, queryset=None):
        """The path's object from `queryset` (default: the action's), after the tenancy checks."""
        tenancy.require_member(self.request.user, self.organization_id)
        # The permission check reads the tenant path.
        queryset = tenancy.with_tenant(self.get_object_queryset() if queryset is None else queryset)
        obj = queryset.filter(**{self.lookup_field: self.path[self.lookup_url_kwarg]}).first()
        if obj is None:
            raise NotFound(self.not_found)
        self.check_object_permissions(self.request, obj)
        return obj

    def refetch(self, obj):
        """The object again through the selector, with its annotations and prefetches."""
        found = self.get_queryset().filter(pk=obj.pk).first()
        if found is None:  # deleted by another request right after this one's write
            raise NotFound(self.not_found)
        return found

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


def _read(model, values) -> dict:
    """The fields of `model` in a query string or form: a list field reads every value of its key,
    any other field the last one."""
    return {name: (values.getlist(name) if _is_list(field) else values.get(name))
            for name, field in model.model_fields.items() if name in values}


def _is_list(field) -> bool:
    return any((typing.get_origin(arg) or arg) in (list, tuple) for arg in union_args(field.annotation))


class ListMixin:
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_list_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RetrieveMixin:
    def retrieve(self, request, *args, **kwargs):
        return self.respond(self.get_object())


class CrudViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """List, retrieve, create, update (PUT and PATCH) and delete through the services it names:

        create_service = staticmethod(services.thing_create)  # (*, user, organization_id, data)
        update_service = staticmethod(services.thing_update)  # (*, user, instance, data)
        delete_service = staticmethod(services.thing_delete)  # (*, user, instance)

    `data` holds only the fields the client sent (and those with a default).
    """

    create_service: Any = None
    update_service: Any = None
    delete_service: Any = None
    response_serializers = {"destroy": MessageSerializer}
    organization_scoped = True

    def create(self, request, *args, **kwargs):
        obj = self.create_service(user=request.user, organization_id=self.organization_id, data=self.body)
        return self.respond(self.refetch(obj))

    def update(self, request, *args, **kwargs):
        obj = self.update_service(user=request.user, instance=self.get_object(), data=self.body)
        return self.respond(self.refetch(obj))

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self.delete_service(user=request.user, instance=self.get_object())
        return Response({"message": f"{self.not_found} deleted successfully"})


def _release_data(response) -> None:
    """Once rendered, the response's data (a 70 MB tree for a large shooting) is only bytes' worth:
    DRF keeps the view and the response in a reference cycle (`view.response`, the renderer
    context), so without this the tree would live until Python's next full collection (measured:
    a web worker grew by the size of each large response until then). The view lets go of the
    response; the response is freed when the server is done with it."""
    view = (response.renderer_context or {}).get("view")
    if view is not None and getattr(view, "response", None) is response:
        view.response = None
