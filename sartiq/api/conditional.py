"""Conditional reads: an `ETag` on a read, and `304 Not Modified` before its body is built.

A read's ETag digests everything its body is a function of:
- the endpoint and its query (path without the trailing slash, parameters sorted by name);
- the versions of the data, which the action's `read_version(view)` returns after checking access
  as the action does (a caller who lost access gets 403/404, never a 304). They are read BEFORE the
  body: a body may be newer than its tag (the next request then gets a 200), never older;
- the caller and what they may see (user id, superuser, organizations and roles: the tenancy rule);
- what the media URLs depend on (`sartiq.media.storage.url_version`: their bucket of time);
- the code and libraries that render it, and SECRET_KEY (which signs media URLs): a release or a
  key rotation changes every tag.

The comparison is Django's (`condition`: weak comparison of If-None-Match, lists of tags, `*`;
If-Match per RFC 9110). Tags are weak (`W/"..."`): two bodies with one tag are the same data,
not always the same bytes (S3 signs each URL with the current second). Every answer carries the
tag and `Cache-Control: private, no-cache` (caches keep it for this user only and revalidate).
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
from pathlib import Path
from typing import Any, Callable

from django.apps import apps
from django.conf import settings
from django.utils.cache import patch_cache_control
from django.utils.crypto import salted_hmac
from django.views.decorators.http import condition

from sartiq.accounts import tenancy
from sartiq.media.storage import url_version

# Libraries whose version can change a rendered body.
RENDERING_LIBRARIES = ("Django", "djangorestframework", "drf-orjson-renderer", "orjson", "django-storages", "botocore")


def conditional(read_version: Callable[[Any], Any]):
    """Decorate a viewset's read action: `read_version(view)` checks access and returns the versions
    of what the body shows (JSON-serializable); a matching If-None-Match answers 304 without
    running the action."""

    def decorate(action):
        @functools.wraps(action)
        def conditional_action(view, request, *args, **kwargs):
            return answer(request, etag_of(request, read_version(view)),
                          lambda: action(view, request, *args, **kwargs))

        return conditional_action

    return decorate


def answer(request, etag: str, build: Callable[[], Any]):
    """304 when If-None-Match matches `etag`, else `build()`; both with the tag and no-cache."""
    respond = condition(etag_func=lambda *_, **__: etag)(lambda *_, **__: build())
    response = respond(request)
    patch_cache_control(response, private=True, no_cache=True)
    return response


def etag_of(request, data_version, *, memberships: bool = True) -> str:
    """`memberships=False` where the body cannot depend on them (a personal list: the caller's own
    shootings), which spares the query that reads them."""
    user = request.user
    roles = tenancy.organization_roles(user) if memberships else {}
    payload = json.dumps([
        request.path.rstrip("/"),
        sorted(request.query_params.lists()),
        data_version,
        str(user.pk),
        bool(user.is_superuser),
        memberships,
        sorted((str(org), role) for org, role in roles.items()),
        url_version(),
        code_version(),
    ], default=str, separators=(",", ":"))
    return f'W/"{salted_hmac("sartiq.api.conditional", payload).hexdigest()[:40]}"'


@functools.cache
def code_version() -> str:
    """A digest of the project's source (tests aside) and of the rendering libraries' versions, once
    per process: the same in every worker of one release."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR).resolve()
    # The top-level packages of the project's apps (sartiq, shootings, shots...).
    roots = sorted({base / Path(config.path).resolve().relative_to(base).parts[0]
                    for config in apps.get_app_configs() if Path(config.path).resolve().is_relative_to(base)})
    for path in sorted(p for root in roots for p in root.rglob("*.py") if "tests" not in p.relative_to(base).parts):
        digest.update(str(path.relative_to(base)).encode())
        digest.update(path.read_bytes())
    for name in RENDERING_LIBRARIES:
        try:
            digest.update(f"{name}=={importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{name}: absent".encode())
    return digest.hexdigest()
