"""OpenAPI generation matching the reference: FastAPI's conventions documented by drf-spectacular."""
from __future__ import annotations

from drf_spectacular import generators, openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from pydantic.json_schema import GenerateJsonSchema

from sartiq.api.requests import RequestModel
from sartiq.api.routes import without_segment_lookaheads


class EndpointEnumerator(generators.EndpointEnumerator):
    def get_path_from_regex(self, path_regex):
        return super().get_path_from_regex(without_segment_lookaheads(path_regex))


class SchemaGenerator(generators.SchemaGenerator):
    """drf-spectacular's generator, reading paths through the URL table's grouping
    (`sartiq.api.routes.by_first_segment`)."""

    endpoint_inspector_cls = EndpointEnumerator


class AutoSchema(openapi.AutoSchema):
    """Reads the declarations of `sartiq.api.views.ApiViewSet`:

    `body_models[action]` is the request body, `response_serializers[action]` the success body
    (status 200 for every method, as FastAPI answers; `None` for an empty 204), `query_models`
    extra query parameters, `organization_scoped` the `organization_id` parameter.
    """

    def _declared(self, attribute: str):
        return getattr(self.view, attribute, {}).get(getattr(self.view, "action", None), openapi.empty)

    def get_request_serializer(self):
        body = self._declared("body_models")
        return None if body is openapi.empty else body

    def _get_request_body(self, direction="request"):
        # Required unless the action declares it optional, as the request phase answers
        # (ApiViewSet.optional_body_actions), not only when a field is required.
        # An optional body may also be a JSON null (read as `{}`), as the reference documents it
        # (`X | None`): documented so, or make fuzz counts the null it sends as schema-violating.
        body = super()._get_request_body(direction)
        if body is not None:
            if getattr(self.view, "action", None) in getattr(self.view, "optional_body_actions", ()):
                body.pop("required", None)
                for media in body.get("content", {}).values():
                    media["schema"] = {"anyOf": [media["schema"], {"type": "null"}]}
            else:
                body["required"] = True
        return body

    def _get_request_for_media_type(self, serializer, direction="request"):
        # A request model is documented as declared (RequestModelExtension): PUT and PATCH bodies
        # are partial because their models are (`*Update`), not by DRF's partial copy.
        if _is_request_model(serializer):
            component = self.resolve_serializer(serializer, direction)
            return component.ref, bool(component.schema.get("required"))
        return super()._get_request_for_media_type(serializer, direction)

    def get_response_serializers(self):
        response = self._declared("response_serializers")
        return self._get_serializer() if response is openapi.empty else response

    def _is_create_operation(self) -> bool:
        return False  # FastAPI answers 200 to a create

    def _get_response_bodies(self, direction="response"):
        response = self.get_response_serializers()
        if self.method == "DELETE":
            if response is None:
                return {"204": {"description": "No response body"}}
            return {"200": self._get_response_for_code(response, "200", direction=direction)}
        return super()._get_response_bodies(direction)

    def _is_list_view(self, serializer=None) -> bool:
        listed = getattr(self.view, "list_actions", ("list",))
        return getattr(self.view, "action", None) in listed

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        if getattr(self.view, "organization_scoped", False) and self._organization_param_applies():
            params.append(
                OpenApiParameter("organization_id", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=False)
            )
        query = self._declared("query_models")
        if _is_request_model(query):
            params += query_parameters(query)
        return params

    def _organization_param_applies(self) -> bool:
        actions = getattr(self.view, "organization_actions", None)
        return actions is None or getattr(self.view, "action", None) in actions

    def _resolve_path_parameters(self, variables):
        # Every path parameter of this API is a UUID.
        return [
            build_parameter_type(name=v, location=OpenApiParameter.PATH, schema={"type": "string", "format": "uuid"})
            for v in variables
        ]

    def get_paginated_name(self, serializer_name: str) -> str:
        name = getattr(self.view, "list_component_name", None)
        if isinstance(name, dict):
            name = name.get(getattr(self.view, "action", None))
        return name or f"{serializer_name.removesuffix('Public')}sPublic"

    def get_description(self) -> str:
        # View and action docstrings are written for maintainers; the document's prose is
        # sartiq/api/client_docs.py's (postprocess_client_docs).
        return ""

    def get_operation_id(self) -> str:
        return getattr(self.view, "operation_ids", {}).get(getattr(self.view, "action", None)) or super().get_operation_id()


def _is_request_model(declared) -> bool:
    return isinstance(declared, type) and issubclass(declared, RequestModel)


class RequestJsonSchema(GenerateJsonSchema):
    """Pydantic's JSON schema without a title per field (the field's name says it, as in the
    documentation of the serializers)."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


def _accepts_null(schema: dict) -> bool:
    return any(option.get("type") == "null" for option in schema.get("anyOf", ()))


def _drop_null_defaults(schema: dict) -> None:
    """A field absent unless sent is declared with the default None (RequestModel.data()); the
    document shows no default there unless null is a value the field takes."""
    for field_schema in schema.get("properties", {}).values():
        if "default" in field_schema and field_schema["default"] is None and not _accepts_null(field_schema):
            del field_schema["default"]


def model_schema(model) -> tuple[dict, dict]:
    """A request model's JSON schema (as Pydantic validates it) and the components it refers to."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation",
                                     schema_generator=RequestJsonSchema)
    components = schema.pop("$defs", {})
    for part in (schema, *components.values()):
        _drop_null_defaults(part)
    return schema, components


def query_parameters(model) -> list[OpenApiParameter]:
    """The query parameters of a query model, one per field."""
    schema, _ = model_schema(model)
    required = set(schema.get("required", ()))
    return [OpenApiParameter(name, field_schema, OpenApiParameter.QUERY, required=name in required,
                             description=field_schema.get("description", ""))
            for name, field_schema in schema.get("properties", {}).items()]


class RequestModelExtension(OpenApiSerializerExtension):
    """Documents a request model (sartiq/api/requests.py) with Pydantic's own JSON schema, its
    nested models and enums as components."""

    target_class = "sartiq.api.requests.RequestModel"
    match_subclasses = True
    priority = 1

    def get_name(self, auto_schema, direction):
        return self.target.__name__

    def map_serializer(self, auto_schema, direction):
        schema, components = model_schema(self.target)
        for name, component in components.items():
            auto_schema.registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=component))
        return schema


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "sartiq.api.auth.BearerTokenAuthentication"
    name = "OAuth2PasswordBearer"

    def get_security_definition(self, auto_schema):
        return {"type": "oauth2", "flows": {"password": {"scopes": {}, "tokenUrl": "/api/v1/login/access-token"}}}


VALIDATION_COMPONENTS = {
    "ValidationError": {
        "type": "object",
        "title": "ValidationError",
        "properties": {
            "loc": {"type": "array", "title": "Location", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string", "title": "Message"},
            "type": {"type": "string", "title": "Error Type"},
            "input": {"title": "Input"},
            "ctx": {"type": "object", "title": "Context"},
        },
        "required": ["loc", "msg", "type"],
    },
    "HTTPValidationError": {
        "type": "object",
        "title": "HTTPValidationError",
        "properties": {
            "detail": {"type": "array", "title": "Detail", "items": {"$ref": "#/components/schemas/ValidationError"}}
        },
    },
    "HTTPError": {
        "type": "object",
        "title": "HTTPError",
        "properties": {"detail": {"type": "string", "title": "Detail"}},
        "required": ["detail"],
    },
}


def postprocess_validation_errors(result, generator, request, public):
    """Document FastAPI's 422 body on every operation that takes input, as the reference does."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(VALIDATION_COMPONENTS)
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            if operation.get("parameters") or operation.get("requestBody"):
                responses.setdefault(
                    "422",
                    {
                        "description": "Validation Error",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
                    },
                )
            if operation.get("security") and {} not in operation["security"]:
                responses.setdefault(
                    "401",
                    {
                        "description": "Not authenticated",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}},
                    },
                )
    return result


def postprocess_nullable_any(result, generator, request, public):
    """A nullable free-JSON field comes out as `oneOf: [{}, {"type": "null"}]`, which no value can
    match (null matches both branches, and oneOf wants exactly one): it is any JSON value, null
    included, so `{}` says it (found by make fuzz's response checks)."""

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("oneOf"), list) and {} in node["oneOf"]:
                del node["oneOf"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
