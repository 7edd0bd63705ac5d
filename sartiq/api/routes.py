"""URL patterns written like the reference's paths: `endpoint("shootings/{shooting_id}", ...)`.

Each pattern answers with and without a trailing slash (no redirect: a redirected POST loses
its body). Path parameters match any segment; the view validates them (422 on a malformed UUID).
"""
from __future__ import annotations

import re

from django.urls import URLPattern, include, re_path


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


def by_first_segment(patterns: list) -> list:
    """`patterns` regrouped under one zero-width include per first path segment.

    Django tries URL patterns one after the other: with some 140 endpoints in one flat list, a
    request for a late one (`users/me`, `shots/{id}`) spent about 0.25 ms matching regexes before
    its view ran. Grouped, the resolver first picks the segment (a few dozen lookaheads), then
    tries only that segment's patterns, in their order. Reversing by name is unchanged (Django
    ignores lookaheads when reversing). A pattern whose first segment is not literal stays as is,
    after the groups."""
    groups: dict[str, list] = {}
    rest = []
    for pattern in patterns:
        match = re.match(r"\^([\w.\\-]+?)(?:/|\\Z|\$|$)", pattern.pattern.regex.pattern) \
            if isinstance(pattern, URLPattern) else None
        if match is None:
            rest.append(pattern)
        else:
            groups.setdefault(match.group(1), []).append(pattern)
    return [re_path(rf"^(?={segment}{_LOOKAHEAD_END}", include(group)) for segment, group in groups.items()] + rest


_LOOKAHEAD_END = "(?:/|$))"
_SEGMENT_LOOKAHEAD = re.compile(r"\(\?=[\w.\\-]+" + re.escape(_LOOKAHEAD_END))


def without_segment_lookaheads(regex: str) -> str:
    """A route's regex without the lookaheads of `by_first_segment` (for the OpenAPI paths)."""
    return _SEGMENT_LOOKAHEAD.sub("", regex)
