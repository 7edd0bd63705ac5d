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


def _toml(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # strings, numbers and lists of them are spelled alike in JSON and TOML


def body_fields(schema: dict) -> set[str]:
    """Binding keys (`body.a[*].b`) of every request-body field whose name is in KINDS."""
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
                is_array = child.get("type") == "array" or "array" in (child.get("type") or []) or any(
                    o.get("type") == "array" for o in child.get("anyOf", []) if isinstance(o, dict))
                found.add(f"{path}.{name}[*]" if is_array else f"{path}.{name}")
            walk(child, f"{path}.{name}", seen)

    for item in schema.get("paths", {}).values():
        for method in METHODS:
            for content in (item.get(method, {}).get("requestBody") or {}).get("content", {}).values():
                walk(content.get("schema", {}), "body", frozenset())
    return found


def parameter_names(schema: dict, location: str) -> set[str]:
    names = set()
    for item in schema.get("paths", {}).values():
        for method in METHODS:
            for parameter in item.get(method, {}).get("parameters", []) + item.get("parameters", []):
                if parameter.get("in") == location and parameter.get("name") in KINDS:
                    is_array = (parameter.get("schema") or {}).get("type") == "array"
                    if not is_array:  # a seeded id is one value; an array parameter keeps its generated values
                        names.add(parameter["name"])
    return names


def bindings(schema: dict, ids: dict, prefix: str = "") -> dict[str, dict]:
    """`{"path.shooting_id": {"dictionary": ..., "probability": ...}, ...}` for the kinds that have ids."""
    result = {}
    for location in ("path", "query"):
        for name in sorted(parameter_names(schema, location)):
            if ids.get(KINDS[name]):
                result[f"{location}.{name}"] = {"dictionary": prefix + KINDS[name],
                                                "probability": PROBABILITY[location]}
    for key in sorted(body_fields(schema)):
        name = re.sub(r"\[\*\]$", "", key.rsplit(".", 1)[-1])
        if ids.get(KINDS[name]):
            result[key] = {"dictionary": prefix + KINDS[name], "probability": PROBABILITY["body"]}
    return result


def render(*, schema: dict, base_url: str | None, token: str, ids: dict, victims: dict, max_examples: int,
           workers: int, seed: int, max_time: int | None, report_dir: str, stateful: bool = True) -> str:
    """The text of schemathesis.toml for one spec."""
    lines = [
        f"workers = {workers}",
        f"seed = {seed}",
        "continue-on-failure = true",
        "request-timeout = 30",
        *([f"base-url = {_toml(base_url)}"] if base_url else []),
        *([f"max-time = {max_time}"] if max_time else []),
        "suppress-health-check = [\"all\"]",
        f"headers = {_toml({'Authorization': f'Bearer {token}'})}",
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
    for kind, values in sorted({**{k: v for k, v in ids.items()},
                                **{f"victim_{k}": v for k, v in victims.items()}}.items()):
        if values:
            lines += [f"[dictionaries.{kind}]", f"values = {_toml(sorted(set(values)))}", ""]
    lines.append("[parameters]")
    lines += [f"{_toml(key)} = {_toml(value)}" for key, value in bindings(schema, ids).items()]
    lines.append("")
    # Operations whose parameters must be taken together or from the victims; for each operation
    # the first entry that matches gives all its parameters.
    victim = lambda kind: {"dictionary": f"victim_{kind}", "probability": 1.0}  # noqa: E731
    nested = r'"\\{shooting_id\\}/looks/\\{look_id\\}"'
    destructive = {f"path.{name}": victim(KINDS[name]) for name in sorted(parameter_names(schema, "path"))
                   if victims.get(KINDS[name])}
    entries = [
        ('include-path-regex = "/members/"',
         {"path.organization_id": victim("organization"), "path.user_id": victim("user")}),
        (f'include-path-regex = {nested}\ninclude-method = "DELETE"',
         {"path.shooting_id": victim("look_shooting"), "path.look_id": victim("shooting_look")}),
        (f"include-path-regex = {nested}",
         {"path.shooting_id": {"dictionary": "look_shooting", "probability": PROBABILITY["path"]},
          "path.look_id": {"dictionary": "shooting_look", "probability": PROBABILITY["path"]}}),
        ('include-method = "DELETE"', destructive),
    ]
    for selector, parameters in entries:
        lines += ["[[operations]]", selector, f"parameters = {_toml(parameters)}", ""]
    return "\n".join(lines)
