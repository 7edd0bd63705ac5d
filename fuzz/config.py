"""schemathesis.toml for one fuzz run: authentication, budget, and the seeded ids as dictionaries.

Every parameter that names a resource (a path parameter `shooting_id`, a query parameter
`organization_id`, a body field `product_ids[*]` or `product_outfit_configs[*].style_id`) is bound
to the ids of that kind the seed made, with a probability: most cases reach an existing object and
its logic, the rest keep the generated value (a random UUID: the 404 path, or a mutation: the 422
path). Bindings are derived from the schema itself, so an operation added later is covered.
Destructive operations (DELETE, membership changes) are bound to the victims, never to the tree the
other operations work on.
"""
from __future__ import annotations

import json
import re

# Field or parameter name -> kind of resource whose ids it takes.
KINDS = {
    "shooting_id": "shooting", "look_id": "look", "shooting_look_id": "look", "shot_id": "shot",
    "revision_id": "revision", "current_revision_id": "revision", "previous_revision_id": "revision",
    "product_id": "product", "product_ids": "product", "outfit_product_ids": "product",
    "subject_id": "subject", "subject_ids": "subject",
    "shot_type_id": "shot_type", "shot_type_ids": "shot_type",
    "pose_preset_id": "pose_preset", "pose_preset_ids": "pose_preset",
    "set_design_id": "set_design", "guidelines_id": "guidelines", "default_guidelines_id": "guidelines",
    "style_id": "style", "default_style_id": "style",
    "resolution_preset_id": "resolution_preset", "default_resolution_preset_id": "resolution_preset",
    "background_preset_id": "background_preset", "default_background_preset_id": "background_preset",
    "integration_id": "integration", "mapping_id": "mapping", "push_id": "push", "generation_id": "generation",
    "outfit_id": "outfit",
    "media_resource_id": "media_resource", "image_media_id": "media_resource", "cover_image_media_id": "media_resource",
    "back_image_media_id": "media_resource", "portrait_image_media_id": "media_resource",
    "pose_image_media_id": "media_resource", "reference_image_id": "media_resource",
    "reference_images_media_ids": "media_resource",
    "organization_id": "organization", "user_id": "user", "assignee_id": "user",
}
# How often a bound parameter takes a seeded id rather than its generated value.
PROBABILITY = {"path": 0.9, "query": 0.6, "body": 0.8}
METHODS = ("get", "put", "post", "delete", "patch")
# Statuses that count as refusing a schema-violating request (negative_data_rejection).
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429", "431", "5xx"]


def _toml(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # strings, numbers and lists of them are spelled alike in JSON and TOML


def _request_bodies(operation: dict) -> list[dict]:
    return [content.get("schema", {}) for content in
            (operation.get("requestBody") or {}).get("content", {}).values()]


def body_fields(schema: dict, bodies: list[dict] | None = None) -> set[str]:
    """Binding keys (`body.a[*].b`) of every request-body field whose name is in KINDS, in the
    given request bodies (default: every operation's)."""
    components = schema.get("components", {}).get("schemas", {})
    found: set[str] = set()

    def walk(node, path: str, seen: frozenset):
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(components.get(name, {}), path, seen | {name})
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for option in node.get(key, []):
                walk(option, path, seen)
        if "items" in node:
            walk(node["items"], path + "[*]", seen)
        for name, child in (node.get("properties") or {}).items():
            if name in KINDS:
                found.add(f"{path}.{name}[*]" if _is_array(child) else f"{path}.{name}")
            walk(child, f"{path}.{name}", seen)

    if bodies is None:
        bodies = [body for _, _, operation in operations(schema) for body in _request_bodies(operation)]
    for body in bodies:
        walk(body, "body", frozenset())
    return found


def _is_array(node: dict) -> bool:
    types = node.get("type") or []
    return "array" in (types if isinstance(types, list) else [types]) or any(
        isinstance(option, dict) and option.get("type") == "array" for option in node.get("anyOf", []))


def operations(schema: dict):
    """(method, path, operation) of every operation of the schema."""
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield method, path, {**item[method],
                                     "parameters": item[method].get("parameters", []) + item.get("parameters", [])}


def parameter_names(operation: dict, location: str) -> set[str]:
    """Names in KINDS of the operation's parameters in `location` that take one value."""
    return {parameter["name"] for parameter in operation["parameters"]
            if parameter.get("in") == location and parameter.get("name") in KINDS
            and not _is_array(parameter.get("schema") or {})}


def _binding(dictionary: str, kind: str, ids: dict, probability: float) -> dict | None:
    return {"dictionary": f"{dictionary}{kind}", "probability": probability} if ids.get(kind) else None


def bindings(schema: dict, ids: dict, prefix: str = "") -> dict[str, dict]:
    """`{"path.shooting_id": {"dictionary": ..., "probability": ...}, ...}` for every resource
    parameter of the schema whose kind has ids (`organization_id` in the query is set per operation)."""
    result = {}
    for location in ("path", "query"):
        names = set().union(*(parameter_names(operation, location) for _, _, operation in operations(schema)))
        for name in sorted(names - {"organization_id"} if location == "query" else names):
            if binding := _binding(prefix, KINDS[name], ids, PROBABILITY[location]):
                result[f"{location}.{name}"] = binding
    for key in sorted(body_fields(schema)):
        if binding := _binding(prefix, KINDS[re.sub(r"\[\*\]$", "", key.rsplit(".", 1)[-1])], ids, PROBABILITY["body"]):
            result[key] = binding
    return result


def operation_bindings(schema: dict, method: str, path: str, operation: dict, seeded) -> dict:
    """The parameters of one operation that the global bindings do not get right, or {}.

    - With an `organization_id` query parameter, it is always the fuzz user's organization (a
      random one is a 403 before any logic), and the ids come from the organization's tenant
      (a personal object asked for within an organization is a 403 too).
    - A DELETE, or a change of memberships, takes victims, every time.
    - A path naming a shooting and one of its looks takes a matching pair.
    """
    in_org = "organization_id" in parameter_names(operation, "query")
    tenant = "org" if in_org else "personal"
    delete = method == "delete"
    result: dict = {}
    if in_org:
        result["query.organization_id"] = seeded.organization
        org_ids = seeded.ids["org"]
        for name in sorted(parameter_names(operation, "query") - {"organization_id"}):
            if binding := _binding("org_", KINDS[name], org_ids, PROBABILITY["query"]):
                result[f"query.{name}"] = binding
        for key in sorted(body_fields(schema, _request_bodies(operation))):
            kind = KINDS[re.sub(r"\[\*\]$", "", key.rsplit(".", 1)[-1])]
            if binding := _binding("org_", kind, org_ids, PROBABILITY["body"]):
                result[key] = binding
    if in_org or delete:
        prefix, ids = ("org_" if in_org else "") + ("victim_" if delete else ""), \
            (seeded.victims if delete else seeded.ids)["org" if in_org else "all"]
        for name in sorted(parameter_names(operation, "path")):
            if binding := _binding(prefix, KINDS[name], ids, 1.0 if delete else PROBABILITY["path"]):
                result[f"path.{name}"] = binding
    if "/members/" in path:
        result["path.organization_id"] = {"dictionary": "victim_organization", "probability": 1.0}
        result["path.user_id"] = {"dictionary": "victim_user", "probability": 1.0}
    if "{shooting_id}/looks/{look_id}" in path:
        prefix = f"{tenant}_{'victim_' if delete else ''}"
        result["path.shooting_id"] = {"dictionary": f"{prefix}look_shooting", "probability": 1.0 if delete else 0.9}
        result["path.look_id"] = {"dictionary": f"{prefix}shooting_look", "probability": 1.0 if delete else 0.9}
    return result


def _merged(by_tenant: dict) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for ids in by_tenant.values():
        for kind, values in ids.items():
            merged[kind] = sorted({*merged.get(kind, []), *values})
    return merged


def render(*, schema: dict, base_url: str | None, seeded, max_examples: int, workers: int, seed: int,
           max_time: int | None, report_dir: str, stateful: bool = True) -> str:
    """The text of schemathesis.toml for one spec and one seeded tree (`fuzz.seed.Seeded`)."""
    seeded.ids["all"], seeded.victims["all"] = _merged(seeded.ids), _merged(seeded.victims)
    lines = [
        f"workers = {workers}",
        f"seed = {seed}",
        "continue-on-failure = true",
        "request-timeout = 30",
        *([f"base-url = {_toml(base_url)}"] if base_url else []),
        *([f"max-time = {max_time}"] if max_time else []),
        "suppress-health-check = [\"all\"]",
        f"headers = {_toml({'Authorization': f'Bearer {seeded.token}'})}",
        "",
        "[generation]",
        f"max-examples = {max_examples}",
        "database = \"none\"",
        "",
        "[output.truncation]",  # a DEBUG error page is 100 KB of HTML: its title says what broke
        "max-payload-size = 2000",
        "max-lines = 12",
        "",
        "[reports]",
        f"directory = {_toml(report_dir)}",
        "",
        "[reports.json]",
        "enabled = true",
        "",
        # A schema-violating request must be refused: schemathesis's list of refusals, plus what the
        # HTTP server refuses before the application sees the request (413 body, 414 request line,
        # 431 headers: gunicorn's limits, answered in JSON by sartiq/gunicorn_conf.py).
        "[checks.negative_data_rejection]",
        f"expected-statuses = {_toml(REFUSALS)}",
        "",
        "[phases.fuzzing.extra-data-sources]",
        "responses = true",
        "",
        "[phases.stateful]",
        f"enabled = {_toml(stateful)}",
        "",
        "[phases.stateful.inference]",
        "algorithms = [\"location-headers\", \"dependency-analysis\"]",
        "",
    ]
    # Dictionaries: `<kind>` (both tenants), `org_<kind>`, `personal_<kind>`, and `victim_` ones.
    dictionaries = {}
    for source, label in ((seeded.ids, ""), (seeded.victims, "victim_")):
        for tenant, ids in source.items():
            for kind, values in ids.items():
                prefix = "" if tenant == "all" else f"{tenant}_"
                dictionaries[f"{prefix}{label}{kind}"] = values
    for name, values in sorted(dictionaries.items()):
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {_toml(sorted(set(values)))}", ""]
    lines.append("[parameters]")
    lines += [f"{_toml(key)} = {_toml(value)}" for key, value in bindings(schema, seeded.ids["all"]).items()]
    lines.append("")
    for method, path, operation in operations(schema):
        if parameters := operation_bindings(schema, method, path, operation, seeded):
            lines += ["[[operations]]", f"include-name = {_toml(f'{method.upper()} {path}')}",
                      f"parameters = {_toml(parameters)}", ""]
    return "\n".join(lines)
