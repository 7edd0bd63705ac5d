"""The tenancy walk: cases generated from the served OpenAPI document and the recipes, and the
runner that calls each one in a savepoint and says what went wrong.

Case ids (`<family>/<operation>/<detail>/<role>`):
- `path/<op>/<role>`: the operation on A's objects (path ids, `organization_id=A` on collections)
  as each role; members (admins, owners where the recipe says) and the superuser succeed, the
  outsider and B's owner are refused (403/404), the anonymous caller gets 401.
- `control/<op>/<attacker>`: the attacker's own requests (every body variant) with their own ids
  succeed, so that a refusal below is about the swapped id, not a broken body.
- `body/<op>/<field>/<attacker>`: the same request with A's object in that one field (appended to
  lists, nested lists included) is refused, and nothing changed.
- `read/<op>/<variant>/<reader>`: lists without an organization and with B's, A's objects given
  with B's organization, and filters given A's (or the public) ids: nothing of A in the answer.
- `own/<op>/<reader>`: GETs of the reader's own objects (which embed public ones).
- `public/<op>/<role>`: the public product and shot type by each role.
- `scenario/<name>`: flows across operations (scenarios.py).
Attackers: B's owner, the outsider (personal resources) and A's member acting in the organization
M they also own (`m_member`: A's objects are visible to them, only the audience rule refuses).

Every response is scanned for other tenants' ids and markers (what the request itself sent
excepted); a refused case checks that the database and the stored files did not change; an
allowed one that no row links two tenants (audit.LinkAudit).
"""
from __future__ import annotations

import copy
import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlencode

from django.db import transaction
from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from sartiq.api.auth import create_access_token
from tests.security import recipes as R

REFUSED = {400, 403, 404, 409, 422}
REFUSED_ACCESS = {403, 404}
ATTACKERS = ("b_owner", "outsider", "m_member")
READERS = ("b_owner", "outsider")
LOOKS_LIKE_A_REFERENCE = re.compile(r"(_ids?|_urls?|^url|^reference_images)$")


# --- the document ---------------------------------------------------------------------------------
_DOC = None


def served_openapi() -> dict:
    """/api/v1/openapi.json as the server serves it (fetched once, at collection)."""
    global _DOC
    if _DOC is None:
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            response = APIClient().get("/api/v1/openapi.json")
        assert response.status_code == 200, response.content[:500]
        _DOC = response.json()
    return _DOC


@dataclass(frozen=True)
class Operation:
    op_id: str
    method: str
    path: str  # /api/v1/products/{product_id}/
    path_params: tuple
    query_params: tuple
    body: dict | None  # resolved JSON (or form) schema of the body
    doc: dict

    @property
    def collection(self) -> bool:
        return "{" not in self.path

    @property
    def is_list(self) -> bool:
        return self.method == "get" and "limit" in self.query_params


def _resolve(doc, schema):
    while isinstance(schema, dict) and "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema or {}


def operations(doc) -> list[Operation]:
    ops = []
    for path, items in doc["paths"].items():
        for method, op in items.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = op.get("parameters", [])
            content = op.get("requestBody", {}).get("content", {})
            schema = next((content[t]["schema"] for t in ("application/json", "application/x-www-form-urlencoded",
                                                          "multipart/form-data") if t in content), None)
            ops.append(Operation(
                op_id=op["operationId"], method=method, path=path,
                path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                query_params=tuple(p["name"] for p in params if p["in"] == "query"),
                body=_resolve(doc, schema) if schema else None, doc=doc,
            ))
    return ops


def _types(schema) -> set:
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if kind else set()


def body_fields(op: Operation):
    """(path, name, kind, shape) of every reference-like field of the body, nested lists included.
    `path` holds keys and "[]" for list items; kind is None for an unclassified name."""
    found = []

    def walk(schema, path):
        schema = _resolve(op.doc, schema)
        for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
            walk(branch, path)
        for name, sub in (schema.get("properties") or {}).items():
            sub = _resolve(op.doc, sub)
            is_list = "array" in _types(sub)
            items = _resolve(op.doc, sub.get("items", {})) if is_list else {}
            branches = [_resolve(op.doc, b) for b in items.get("anyOf", [])] or [items]
            scalar_items = any(_types(b) & {"string", "integer"} for b in branches)
            object_items = [b for b in branches if "properties" in b]
            if name in R.OPAQUE:
                pass
            elif name in R.FIELD_KINDS and (not is_list or scalar_items):
                found.append(((*path, name), name, R.FIELD_KINDS[name], "list" if is_list else "scalar"))
            elif LOOKS_LIKE_A_REFERENCE.search(name) and (not is_list or scalar_items) and "object" not in _types(sub):
                found.append(((*path, name), name, None, "list" if is_list else "scalar"))
            if object_items:
                for item in object_items:
                    walk(item, (*path, name, "[]"))
            elif "properties" in sub:
                walk(sub, (*path, name))

    if op.body:
        walk(op.body, ())
    unique = {}
    for entry in found:
        unique.setdefault(entry[0], entry)
    return list(unique.values())


# --- cases ----------------------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    run: Callable  # (world, ctx) -> list of problems


class Missing(Exception):
    """A recipe cannot serve this case (said in the failure)."""


def path_of(op: Operation, recipe: R.Recipe, tree, world) -> str:
    url = op.path
    for name in op.path_params:
        kind = recipe.path.get(name) or R.PATH_KINDS.get(name)
        if kind is None:
            raise Missing(f"no kind for path parameter {name}")
        url = url.replace("{%s}" % name, str(own_value(kind, tree, world)))
    return url


def own_value(kind: str, tree, world):
    if kind == "organization":
        if tree.org is None:
            raise Missing("the tenant has no organization")
        return tree.org.pk
    if kind == "member_user":
        return world.users["member"].pk if tree.key == "A" else tree.owner.pk
    if kind == "user":
        return tree.owner.pk
    return tree[kind].pk


def foreign_value(kind: str, world):
    a = world.trees["A"]
    if kind == "organization":
        return str(a.org.pk)
    if kind == "user":
        return str(world.users["admin"].pk)  # in A only (A's member also owns M)
    if kind == "media_url":
        return a.url("media_rev")
    return a.id(R.FOREIGN_OBJECT[kind])


def _locate(node, path):
    """The dict holding the path's last key (descending into the first list item that has it)."""
    key, rest = path[0], path[1:]
    if not rest:
        return node if isinstance(node, dict) and key in node else None
    if key == "[]":
        for item in node if isinstance(node, list) else []:
            found = _locate(item, rest)
            if found is not None:
                return found
        return None
    return _locate(node.get(key), rest) if isinstance(node, dict) else None


def inject(body: dict, path: tuple, value, shape: str) -> dict:
    body = copy.deepcopy(body)
    parent = _locate(body, path)
    leaf = path[-1]
    parent[leaf] = [*(parent[leaf] or []), value] if shape == "list" else value
    return body


def org_query(op: Operation, tree) -> dict:
    if op.collection and "organization_id" in op.query_params and tree.org is not None:
        return {"organization_id": str(tree.org.pk)}
    return {}


def expected(access: str, role: str) -> str:
    if access == "anon":
        return "allowed"
    if role == "anonymous":
        return "unauthenticated"
    if access == "self":
        return "allowed"
    allowed = {"member": {"owner", "admin", "member", "superuser"}, "admin": {"owner", "admin", "superuser"},
               "owner": {"owner", "superuser"}}[access]
    return "allowed" if role in allowed else "refused"


def build_cases(doc) -> list[Case]:
    cases = []
    ops = operations(doc)
    for op in ops:
        recipe = R.RECIPES.get(op.op_id)
        if recipe is None:
            cases.append(Case(f"recipe/{op.op_id}", _missing_recipe(op)))
            continue
        roles = ("anonymous",) if recipe.access == "anon" else ("anonymous", "owner", "member", "outsider",
                                                                 "b_owner", "superuser")
        if recipe.access in ("admin", "owner") or op.op_id.startswith("organizations_"):
            roles += ("admin",)  # the admin differs from the owner and the member only there
        for role in roles:
            cases.append(Case(f"path/{op.op_id}/{role}", _path_case(op, recipe, role)))
        cases += _body_cases(op, recipe)
        cases += _read_cases(op, recipe)
        cases += _own_cases(op, recipe)
        cases += _public_cases(op, recipe)
    return cases


def _missing_recipe(op):
    def run(world, ctx):
        return [f"no recipe for {op.method.upper()} {op.path} ({op.op_id}): add one to tests/security/recipes.py"]
    return run


def _bodies(recipe, tree, world):
    return recipe.bodies(tree, world) if recipe.bodies else [None]


def _path_case(op, recipe, role):
    def run(world, ctx):
        a = world.trees["A"]
        url = path_of(op, recipe, a, world)
        query = {**org_query(op, a), **(recipe.query(a, world) if recipe.query else {})}
        body = _bodies(recipe, a, world)[0]
        response = ctx.call(role, op.method, url, query=query, body=body, fmt=recipe.fmt)
        outcome = expected(recipe.access, role)
        if outcome == "allowed":
            ctx.expect_allowed(response, recipe.ok)
            if op.is_list and response.status_code == 200 and recipe.access not in ("self", "anon"):
                if not response.json().get("data"):
                    ctx.problem("vacuous: the list of A's objects is empty (the world lacks data for it)")
        elif outcome == "unauthenticated":
            ctx.expect_status(response, {401})
            ctx.expect_unchanged()
        else:
            ctx.expect_status(response, REFUSED_ACCESS)
            ctx.expect_unchanged()
    return run


def _body_cases(op, recipe):
    fields = body_fields(op)
    if not fields:
        return []
    cases = []
    for path, name, kind, shape in fields:
        label = ".".join(path)
        if kind is None:
            cases.append(Case(f"body/{op.op_id}/{label}/unclassified", _unclassified(op, label)))
            continue
        if (op.op_id, name) in R.BY_DESIGN:
            continue
        for attacker in ATTACKERS:
            if attacker == "outsider" and op.op_id.startswith("organizations_"):
                continue  # the outsider has no organization to act in
            cases.append(Case(f"body/{op.op_id}/{label}/{attacker}",
                              _injection(op, recipe, path, kind, shape, attacker)))
    # Controls: the attacker's own body, unmodified, succeeds (every variant that carries a field).
    for attacker in ATTACKERS:
        if attacker == "outsider" and op.op_id.startswith("organizations_"):
            continue
        cases.append(Case(f"control/{op.op_id}/{attacker}", _control(op, recipe, attacker, fields)))
    return cases


def _unclassified(op, label):
    def run(world, ctx):
        return [f"body field {label} of {op.op_id} looks like a reference but has no kind: classify it in "
                "recipes.FIELD_KINDS (or OPAQUE, with the reason)"]
    return run


def _variant_for(op, recipe, path, tree, world):
    for body in _bodies(recipe, tree, world):
        if body is not None and _locate(body, path) is not None:
            return body
    raise Missing(f"no body variant of the recipe for {op.op_id} carries {'.'.join(path)}: add the tenant's own "
                  "value for it, so that the walk can swap in another tenant's")


def _home(world, attacker, op):
    tree = world.trees[world.HOME[attacker]]
    if op.op_id.startswith("organizations_") and tree.org is None:
        raise Missing("skip: the outsider has no organization")
    return tree


def _injection(op, recipe, path, kind, shape, attacker):
    def run(world, ctx):
        tree = _home(world, attacker, op)
        body = _variant_for(op, recipe, path, tree, world)
        url = path_of(op, recipe, tree, world)
        query = {**org_query(op, tree), **(recipe.query(tree, world) if recipe.query else {})}
        foreign = foreign_value(kind, world)
        response = ctx.call(attacker, op.method, url, query=query, body=inject(body, path, foreign, shape),
                            fmt=recipe.fmt)
        ctx.expect_status(response, REFUSED, what=f"A's {kind} {foreign[:100]} in {'.'.join(path)}")
        ctx.expect_unchanged()
    return run


def _control(op, recipe, attacker, fields):
    def run(world, ctx):
        tree = _home(world, attacker, op)
        url = path_of(op, recipe, tree, world)
        query = {**org_query(op, tree), **(recipe.query(tree, world) if recipe.query else {})}
        for body in _bodies(recipe, tree, world):
            if body is None or not any(_locate(body, f[0]) is not None for f in fields if f[2]):
                continue
            with ctx.isolated():
                response = ctx.call(attacker, op.method, url, query=query, body=body, fmt=recipe.fmt)
                ctx.expect_allowed(response, recipe.ok)
    return run


def _query_kinds(op):
    kinds = []
    for name in op.query_params:
        if name == "organization_id" or name in R.OPAQUE:
            continue
        if name in R.FIELD_KINDS:
            kinds.append((name, R.FIELD_KINDS[name]))
        elif LOOKS_LIKE_A_REFERENCE.search(name):
            kinds.append((name, None))
    return kinds


def _read_cases(op, recipe):
    if op.method != "get" or recipe.access in ("self", "anon"):
        return []
    cases = []
    for attacker in READERS:
        if op.is_list and op.collection and "organization_id" in op.query_params:
            cases.append(Case(f"read/{op.op_id}/no-org/{attacker}", _read(op, recipe, attacker, None, None)))
            cases.append(Case(f"read/{op.op_id}/org-B/{attacker}", _read(op, recipe, attacker, "B", None)))
        if not op.collection and "organization_id" in op.query_params:
            # A's object, asking with the attacker's own organization (or B's).
            cases.append(Case(f"read/{op.op_id}/A-object-org-B/{attacker}", _read_detail(op, recipe, attacker)))
        for name, kind in _query_kinds(op):
            if kind is None:
                cases.append(Case(f"read/{op.op_id}/{name}/unclassified", _unclassified(op, f"query {name}")))
                continue
            if op.op_id == "shots_revisions_upload_url_retrieve":
                continue  # its shot_id is the path case's target
            cases.append(Case(f"read/{op.op_id}/{name}=A/{attacker}", _read(op, recipe, attacker, None, (name, kind))))
            if kind in R.PUBLIC_KINDS:
                cases.append(Case(f"read/{op.op_id}/{name}=public/{attacker}",
                                  _read(op, recipe, attacker, None, (name, kind), public=True)))
    return cases


def _read(op, recipe, attacker, org_key, param, public=False):
    def run(world, ctx):
        tree = world.trees[world.HOME[attacker]]
        url = path_of(op, recipe, tree, world)
        query = dict(recipe.query(tree, world)) if recipe.query else {}
        if org_key is not None:
            query["organization_id"] = str(world.orgs[org_key].pk)
        elif tree.org is not None and op.collection and "organization_id" in op.query_params and param:
            query["organization_id"] = str(tree.org.pk)
        if param:
            name, kind = param
            query[name] = str(world.public[kind].pk) if public else foreign_value(kind, world)
        response = ctx.call(attacker, "get", url, query=query)
        member = org_key is None or world.orgs[org_key].pk == getattr(tree.org, "pk", None)
        if not member:
            ctx.expect_status(response, REFUSED_ACCESS)
        elif param and not op.is_list and not public:
            ctx.expect_status(response, REFUSED_ACCESS)
        else:
            ctx.expect_status(response, {200} if op.is_list else {200, 403, 404})
    return run


def _own_cases(op, recipe):
    if op.method != "get" or recipe.access in ("self", "anon"):
        return []
    return [Case(f"own/{op.op_id}/{role}", _own(op, recipe, role)) for role in READERS
            if not (role == "outsider" and op.op_id.startswith("organizations_"))]


def _own(op, recipe, role):
    """A GET of the caller's own objects (which embed public ones): nothing of another tenant in it."""
    def run(world, ctx):
        tree = _home(world, role, op)
        url = path_of(op, recipe, tree, world)
        query = {**org_query(op, tree), **(recipe.query(tree, world) if recipe.query else {})}
        response = ctx.call(role, "get", url, query=query)
        ctx.expect_allowed(response, recipe.ok)
    return run


def _read_detail(op, recipe, attacker):
    def run(world, ctx):
        a = world.trees["A"]
        url = path_of(op, recipe, a, world)
        query = dict(recipe.query(a, world)) if recipe.query else {}
        query["organization_id"] = str(world.orgs["B"].pk)
        response = ctx.call(attacker, "get", url, query=query)
        ctx.expect_status(response, REFUSED_ACCESS)
    return run


def _public_cases(op, recipe):
    kinds = [R.PUBLIC_KINDS[R.PATH_KINDS[p]] for p in op.path_params if R.PATH_KINDS.get(p) in R.PUBLIC_KINDS]
    if not kinds or len(op.path_params) != 1:
        return []
    return [Case(f"public/{op.op_id}/{role}", _public(op, recipe, kinds[0], role))
            for role in ("owner", "member", "outsider", "b_owner", "superuser")]


def _public(op, recipe, kind, role):
    def run(world, ctx):
        url = op.path.replace("{%s}" % op.path_params[0], str(world.public[kind].pk))
        body = {"name": "Public renamed"} if recipe.bodies else None
        response = ctx.call(role, op.method, url, body=body)
        if op.method == "get" or role == "superuser":
            ctx.expect_allowed(response, recipe.ok)
        else:
            ctx.expect_status(response, REFUSED_ACCESS)
            ctx.expect_unchanged()
    return run


# --- running a case -------------------------------------------------------------------------------
class _Rollback(Exception):
    pass


class Context:
    """One case's calls and checks; problems are collected, not raised, to report them all."""

    def __init__(self, world, state):
        self.world, self.state = world, state
        self.problems: list[str] = []
        self.calls: list[str] = []
        self.statuses: list[int] = []

    def problem(self, text: str) -> None:
        self.problems.append(text)

    @contextmanager
    def isolated(self):
        """A nested savepoint: what happens inside is undone (files too) before the next step."""
        try:
            with transaction.atomic():
                yield
                raise _Rollback
        except _Rollback:
            pass
        finally:
            self.state.files.restore()

    def call(self, role, method, url, *, query=None, body=None, fmt="json", extra=None):
        client = APIClient()
        if role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.state.tokens[role]}")
        full = url + ("?" + urlencode(query, doseq=True) if query else "")
        kwargs = dict(extra or {})
        if body is not None:
            if fmt == "json":
                kwargs.update(data=body, format="json")
            elif fmt == "multipart":
                kwargs.update(data=body, format="multipart")
            elif fmt == "raw":
                kwargs.update(data=body, content_type="application/json")
            else:
                kwargs.update(data=urlencode(body), content_type="application/x-www-form-urlencoded")
        sent = full + (body.decode() if isinstance(body, bytes) else json.dumps(body, default=str) if body is not None
                       else "")
        self.calls.append(f"{role}: {method.upper()} {full}" + (f" {_short(body)}" if body is not None else ""))
        if len(self.calls) > 12:
            self.calls = self.calls[-12:]
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = getattr(client, method)(full, **kwargs)
        self.last = response
        self.statuses.append(response.status_code)
        for leak in self.state.secrets.leaks(response, self.world.foreign(role), sent):
            self.problem(f"leak: {leak}")
        return response

    def expect_status(self, response, statuses, what=""):
        if response.status_code not in statuses:
            self.problem(f"status {response.status_code} (expected {sorted(statuses)})"
                         + (f" for {what}" if what else "") + f": {_body(response)}")

    def expect_allowed(self, response, ok=200):
        if response.status_code != ok:
            self.problem(f"status {response.status_code} (expected {ok}): {_body(response)}")
        for link in self.state.links.links(self.state.db.changed_tables()):
            label, pk, src, dst = link
            self.problem(f"cross-tenant link: {label} of row {self.state.secrets.describe(pk)} "
                         f"({self._tenant(src)}) -> {self._tenant(dst)}")

    def _tenant(self, key: str) -> str:
        key = key[2:] if key and key.startswith("u:") else key
        return self.state.secrets.describe(key).split(":", 1)[0] if key else "?"

    def expect_unchanged(self):
        changes = self.state.db.changes(self.state.secrets.describe) + self.state.files.changes()
        for change in changes:
            self.problem(f"changed: {change}")


def _short(body) -> str:
    if isinstance(body, bytes):
        body = body.decode()
    text = json.dumps(body, default=lambda o: f"<{type(o).__name__}>")
    return text if len(text) <= 400 else text[:400] + "…"


def _body(response) -> str:
    from tests.security.audit import content_of

    text = content_of(response)[:300].decode("utf-8", "replace") if "json" in response.get("Content-Type", "") else \
        f"<{response.get('Content-Type', '')}, {len(content_of(response))} bytes>"
    return text


def run_case(case: Case, world, state) -> tuple[list[str], list[str]]:
    ctx = Context(world, state)
    try:
        with transaction.atomic():
            try:
                extra = case.run(world, ctx)
                if extra:
                    ctx.problems += extra
            except Missing as exc:
                if str(exc).startswith("skip:"):
                    ctx.problems = ["SKIP " + str(exc)]
                else:
                    ctx.problem(f"recipe: {exc}")
            except Exception as exc:  # a 500 (the test client re-raises) or a broken case
                ctx.problem(f"server error: {type(exc).__name__}: {str(exc)[:300]}")
            raise _Rollback
    except _Rollback:
        pass
    finally:
        state.files.restore()
    order = ("status", "changed", "cross-tenant", "leak")
    ctx.problems.sort(key=lambda p: next((i for i, o in enumerate(order) if p.startswith(o)), len(order)))
    if os.environ.get("WALK_LOG"):  # one line per case: id, answers, first problem (for reviewing a run)
        with open(os.environ["WALK_LOG"], "a") as log:
            log.write(f"{case.id}\t{ctx.statuses}\t{(ctx.problems or [''])[0][:200]}\n")
    return ctx.problems, ctx.calls


@dataclass
class State:
    tokens: dict
    db: object
    files: object
    links: object
    secrets: object


def make_state(world):
    from tests.security.audit import DatabaseState, FileState, LinkAudit, Secrets

    tokens = {role: create_access_token(world.user(role).pk)[0] for role in (*world.users, "m_member")}
    return State(tokens=tokens, db=DatabaseState(), files=FileState(), links=LinkAudit(), secrets=Secrets(world))
