"""`skip`/`limit` pagination answering `{"data": [...], "count": N}`."""
from __future__ import annotations

from typing import Annotated

import pydantic
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from sartiq.api.validation import QUERY_INTEGER, validate

# `skip` reaches SQL as OFFSET, a bigint: beyond it PostgreSQL fails the query (a 500).
SKIP_MAX = 2**63 - 1
SKIP = Annotated[int, pydantic.Field(ge=0, le=SKIP_MAX), QUERY_INTEGER]
LIMIT = Annotated[int, pydantic.Field(ge=1, le=1000), QUERY_INTEGER]
DEFAULT_LIMIT = 100


def parse_skip_limit(query) -> tuple[tuple[int, int], list[dict]]:
    skip, skip_errors = validate(SKIP, query.get("skip", 0), ("query", "skip"))
    limit, limit_errors = validate(LIMIT, query.get("limit", DEFAULT_LIMIT), ("query", "limit"))
    return (skip, limit), skip_errors + limit_errors


class SkipLimitPagination(BasePagination):
    def validate(self, request) -> list[dict]:
        (self.skip, self.limit), errors = parse_skip_limit(request.query_params)
        return errors

    def paginate_queryset(self, queryset, request, view=None):
        if not hasattr(self, "limit"):
            self.validate(request)
        self.count = queryset.count()
        return list(queryset[self.skip : self.skip + self.limit]) if self.count > self.skip else []

    def get_paginated_response(self, data):
        return Response({"data": data, "count": self.count})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "properties": {"data": schema, "count": {"type": "integer", "title": "Count"}},
            "required": ["data", "count"],
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "skip", "required": False, "in": "query",
             "schema": {"type": "integer", "default": 0, "minimum": 0, "maximum": SKIP_MAX}},
            {
                "name": "limit",
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "default": DEFAULT_LIMIT, "minimum": 1, "maximum": 1000},
            },
        ]
