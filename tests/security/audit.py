"""What the walk observes after each call: the database and the stored files (changed?), links
between tenants (created?), and another tenant's identifiers in a response (leaked?).

- `DatabaseState`: every table of the project hashed in one query; on a difference, the rows that
  were added or removed, with the tenant and model of each id.
- `FileState`: every stored file's hash; `restore()` puts the baseline back after a case.
- `cross_tenant_links()`: one UNION query over every foreign key and many-to-many between tenant
  resources (and every user foreign key), listing rows that point into another tenant
  (public targets excepted). The world starts with none.
- `Secrets`: ids and markers of each tenant; `leaks()` finds them in a response, with their place.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import CharField, Exists, F, OuterRef, Q, TextField, Value
from django.db.models.functions import Cast, Coalesce, Concat

from sartiq.accounts.models import Membership, User
from sartiq.models import TenantModel

# Tenant prefixes of the models that name no tenant path of their own.
EXTRA_TENANT_PATHS = {
    "outfits.OutfitProduct": "outfit__shooting_look__shooting",
    "integrations.PushAttempt": "push__revision__shot__shooting_look__shooting",
}


# --- tenants of models ---------------------------------------------------------------------------
def tenant_prefix(model) -> str | None:
    """`""` for a tenant model, `"<path>__"` for a child resource, None when the model has no tenant."""
    if issubclass(model, TenantModel):
        return ""
    path = getattr(model, "tenant_path", "") or EXTRA_TENANT_PATHS.get(model._meta.label, "")
    return f"{path}__" if path else None


def tenant_models():
    return [m for m in apps.get_models() if tenant_prefix(m) is not None and not m._meta.proxy]


def tenant_key(prefix: str):
    """The tenant of a row as text: its organization id, or `u:<owner id>` for personal resources."""
    return Coalesce(
        Cast(F(f"{prefix}organization_id"), TextField()),
        Concat(Value("u:"), Cast(F(f"{prefix}owner_id"), TextField()), output_field=TextField()),
        output_field=TextField(),
    )


# --- the database --------------------------------------------------------------------------------
def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


class DatabaseState:
    """A fingerprint of every table, and the rows of the baseline to explain a difference."""

    def __init__(self):
        self.tables = _tables()
        parts = [
            # count and an order-free sum of row hashes: no sort, one pass over each (small) table
            f"SELECT %s, count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)), 0) "
            f"FROM {connection.ops.quote_name(t)} t"
            for t in self.tables
        ]
        self.sql = " UNION ALL ".join(parts)
        self.baseline = self.fingerprint()
        self.rows = {table: self._rows(table) for table in self.tables}

    def fingerprint(self) -> dict[str, str]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.tables)
            return dict(cursor.fetchall())

    @staticmethod
    def _rows(table: str) -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT t::text FROM {connection.ops.quote_name(table)} t")
            return {row[0] for row in cursor.fetchall()}

    def changed_tables(self) -> list[str]:
        now = self.fingerprint()
        return [table for table in self.tables if now.get(table) != self.baseline.get(table)]

    def changes(self, describe) -> list[str]:
        """What differs from the baseline, one line per table ('' when nothing)."""
        now = self.fingerprint()
        lines = []
        for table in self.tables:
            if now.get(table) == self.baseline.get(table):
                continue
            rows = self._rows(table)
            added, removed = rows - self.rows[table], self.rows[table] - rows
            added_ids = {_first_field(r) for r in added}
            removed_ids = {_first_field(r) for r in removed}
            changed = added_ids & removed_ids
            parts = []
            for label, ids in (("+", added_ids - changed), ("-", removed_ids - changed), ("~", changed)):
                if ids:
                    parts.append(f"{label}{len(ids)} [{', '.join(describe(i) for i in sorted(ids)[:3])}]")
            lines.append(f"{table}: {' '.join(parts)}")
        return lines


def _first_field(row_text: str) -> str:
    return row_text.strip("()").split(",", 1)[0].strip('"')


# --- the stored files ----------------------------------------------------------------------------
class FileState:
    """The stored files of the baseline (bytes), compared by size and modification time first."""

    def __init__(self):
        self.root = str(settings.MEDIA_ROOT)
        self.stats = self._stats()
        self.baseline = {name: self._read(name) for name in self.stats}

    def _stats(self) -> dict[str, tuple[int, int]]:
        found = {}

        def scan(directory, prefix):
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        scan(entry.path, f"{prefix}{entry.name}/")
                    else:
                        stat = entry.stat(follow_symlinks=False)
                        found[f"{prefix}{entry.name}"] = (stat.st_size, stat.st_mtime_ns)

        scan(self.root, "")
        return found

    def _read(self, name: str) -> bytes:
        with open(os.path.join(self.root, name), "rb") as handle:
            return handle.read()

    def _differences(self):
        now = self._stats()
        deleted = set(self.stats) - set(now)
        created = set(now) - set(self.stats)
        touched = {n for n in set(now) & set(self.stats) if now[n] != self.stats[n]}
        rewritten = {n for n in touched if self._read(n) != self.baseline[n]}
        return deleted, created, rewritten, touched - rewritten, now

    def changes(self) -> list[str]:
        deleted, created, rewritten, _, _ = self._differences()
        return ([f"deleted {n}" for n in sorted(deleted)] + [f"created {n}" for n in sorted(created)]
                + [f"rewritten {n}" for n in sorted(rewritten)])

    def restore(self) -> None:
        deleted, created, rewritten, same, now = self._differences()
        for name in deleted | rewritten:
            path = os.path.join(self.root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(self.baseline[name])
        for name in created:
            os.remove(os.path.join(self.root, name))
        for name in deleted | rewritten | same:
            stat = os.stat(os.path.join(self.root, name))
            self.stats[name] = (stat.st_size, stat.st_mtime_ns)


# --- links between tenants -----------------------------------------------------------------------
def _relations():
    """(label, queryset of offending rows) for every reference between tenant resources."""
    relations = []
    for model in tenant_models():
        prefix = tenant_prefix(model)
        first_hop = prefix.split("__", 1)[0] if prefix else None
        candidates = []
        for f in model._meta.get_fields():
            if f.many_to_many and not f.auto_created and f.remote_field.through._meta.auto_created:
                through = f.remote_field.through
                src, dst = f.m2m_field_name(), f.m2m_reverse_field_name()
                candidates.append((f"{model.__name__}.{f.name}", through, f"{src}__{prefix}", dst,
                                   f.related_model))
            elif (f.many_to_one or f.one_to_one) and f.concrete and f.name != first_hop \
                    and f.name not in ("owner", "organization"):
                candidates.append((f"{model.__name__}.{f.name}", model, prefix, f.name, f.related_model))
        for label, source, src_prefix, fk, target in candidates:
            if target is User:
                relations.append((label, _user_link(source, src_prefix, fk)))
            elif tenant_prefix(target) is not None:
                relations.append((label, _tenant_link(source, src_prefix, fk, target)))
    return relations


def _tenant_link(source, src_prefix, fk, target):
    dst_prefix = f"{fk}__{tenant_prefix(target)}"
    queryset = source.objects.filter(**{f"{fk}__isnull": False}).annotate(
        src=tenant_key(src_prefix), dst=tenant_key(dst_prefix)).exclude(src=F("dst"))
    if any(f.name == "public" for f in target._meta.concrete_fields):
        queryset = queryset.filter(**{f"{fk}__public": False})
    return queryset.values_list(Cast("pk", CharField()), "src", "dst")


def _user_link(source, src_prefix, fk):
    """A user referenced by a resource (assignee, author) must be able to see it."""
    attname = source._meta.get_field(fk).attname
    member = Membership.objects.filter(user_id=OuterRef(attname), organization_id=OuterRef(f"{src_prefix}organization_id"))
    return (
        source.objects.filter(**{f"{fk}__isnull": False, f"{fk}__is_superuser": False})
        .annotate(member=Exists(member), src=tenant_key(src_prefix))
        .filter(member=False)
        .exclude(Q(**{f"{src_prefix}organization__isnull": True}) & Q(**{f"{src_prefix}owner_id": F(attname)}))
        .values_list(Cast("pk", CharField()), "src", Cast(attname, CharField()))
    )


class LinkAudit:
    """The relations' queries, each with the tables it reads: after a call, only the relations
    that read a changed table can have gained a link."""

    def __init__(self):
        self.relations = []
        for label, queryset in _relations():
            compiler = queryset.query.get_compiler(using=connection.alias)
            sql, params = compiler.as_sql()
            tables = {join.table_name for join in compiler.query.alias_map.values()}
            self.relations.append((f"SELECT %s, q.* FROM ({sql}) q", [label, *params], tables))
        self.count = len(self.relations)

    def links(self, changed_tables=None) -> list[tuple[str, str, str, str]]:
        chosen = [r for r in self.relations if changed_tables is None or r[2] & set(changed_tables)]
        if not chosen:
            return []
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(r[0] for r in chosen), [p for r in chosen for p in r[1]])
            return cursor.fetchall()


# --- secrets -------------------------------------------------------------------------------------
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}", re.I)
MARK_RE = re.compile(r"xten([abom])", re.I)
MARK_TOKEN_RE = re.compile(r"[^\s\"'<>]*xten[abom][^\s\"'<>]*", re.I)


@dataclass
class Leak:
    tenant: str
    what: str  # "ExternalIntegration 1234abcd" or "marker 'xtena OVS'"
    where: str  # JSON path or header name

    def __str__(self):
        return f"{self.where} = {self.tenant}'s {self.what}"


class Secrets:
    """Every id of every tenant (rows, users, organizations) and the tenants' markers."""

    def __init__(self, world):
        self.tenant_of_id: dict[str, tuple[str, str]] = {}
        org_key = {str(org.pk): key for key, org in world.orgs.items()}
        personal = {f"u:{tree.owner.pk}": key for key, tree in world.trees.items() if tree.org is None}
        personal[f"u:{world.users['superuser'].pk}"] = "PUB"

        def tenant(key_text):
            return org_key.get(key_text) or personal.get(key_text) or "?"

        for model in tenant_models():
            rows = model.objects.annotate(k=tenant_key(tenant_prefix(model))).values_list("pk", "k")
            for pk, key in rows:
                self.tenant_of_id[str(pk)] = (tenant(key), model.__name__)
        for role, user in world.users.items():
            key = {"owner": "A", "admin": "A", "member": "A", "b_owner": "B", "outsider": "O"}.get(role)
            if key:
                self.tenant_of_id[str(user.pk)] = (key, f"User {user.email}")
        for key, org in world.orgs.items():
            self.tenant_of_id[str(org.pk)] = (key, "Organization")
        self.tenant_of_id[str(world.users["superuser"].pk)] = ("PUB", "User (superuser)")

    def describe(self, value: str) -> str:
        """`A:Product:1a2b3c4d` for a known id, `new:…` for a row made by the case, `row N` for an
        integer key (through tables)."""
        if value.isdigit():
            return f"row {value}"
        tenant, model = self.tenant_of_id.get(value, (None, None))
        return f"{tenant}:{model}:{value[:8]}" if tenant else f"new:{value[:8]}"

    def _in_text(self, text: str, foreign: set[str], sent: str, where: str) -> list[Leak]:
        if text.lower() in sent:  # the request's own input echoed back
            return []
        leaks = []
        for match in UUID_RE.findall(text):
            value = match.lower()
            if len(value) == 32:
                value = f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
            tenant, model = self.tenant_of_id.get(value, (None, None))
            if tenant in foreign and value not in sent:
                leaks.append(Leak(tenant, f"{model} {value}", where))
        for match in MARK_TOKEN_RE.finditer(text):
            token = match.group(0)
            tenant = MARK_RE.search(token).group(1).upper()
            if tenant in foreign and token.lower() not in sent:
                leaks.append(Leak(tenant, f"name/code {token[:80]!r}", where))
        return leaks

    def leaks(self, response, foreign: set[str], sent: str) -> list[Leak]:
        """Foreign tenants' ids and markers in a response, except what the request itself sent."""
        sent = sent.lower()
        found = []
        for header in ("Content-Disposition", "Location"):
            if response.has_header(header):
                found += self._in_text(response[header], foreign, sent, f"header {header}")
        content_type = response.get("Content-Type", "")
        body = content_of(response)
        if "json" in content_type:
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if data is not None:
                for path, text in _strings(data):
                    found += self._in_text(text, foreign, sent, path or "body")
                return _unique(found)
        found += self._in_text(body.decode("latin-1"), foreign, sent, f"body ({content_type})")
        return _unique(found)


def content_of(response) -> bytes:
    if getattr(response, "streaming", False):
        if not hasattr(response, "_walk_content"):
            response._walk_content = b"".join(response.streaming_content)
        return response._walk_content
    return response.content


def _strings(data, path=""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, f"{path}.{key}" if path else key)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, f"{path}[{index}]")
    elif isinstance(data, str):
        yield path, data


def _unique(leaks: list[Leak]) -> list[Leak]:
    seen, out = set(), []
    for leak in leaks:
        if (leak.where, leak.what) not in seen:
            seen.add((leak.where, leak.what))
            out.append(leak)
    return out


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
