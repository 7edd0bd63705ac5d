"""URL patterns written like the reference's paths: `endpoint("shootings/{shooting_id}", ...)`.

Each pattern answers with and without a trailing slash (no redirect: a redirected POST loses
its body). Path parameters match any segment; the view validates them (422 on a malformed UUID).
"""
from __future__ import annotations

import re

from django.urls import re_path


def endpoint(pattern: str, viewset, actions: dict[str, str], name: str | None = None):
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.strip("/"))
    return re_path(rf"^{regex}/?$", viewset.as_view(actions), name=name)


COLLECTION = {"get": "list", "post": "create"}
ITEM = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}


def crud(prefix: str, viewset) -> list:
    """The collection and item endpoints of a resource; the item is `{<lookup_url_kwarg>}`."""
    return [
        endpoint(prefix, viewset, COLLECTION),
        endpoint(f"{prefix}/{{{viewset.lookup_url_kwarg}}}", viewset, ITEM),
    ]
