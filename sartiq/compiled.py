"""Querysets compiled to SQL once, then run with new values.

Building and compiling a queryset costs more than PostgreSQL takes to answer a simple one: about
0.5 ms for the token's user and 1 ms for a page of shootings, against some 0.1 ms to run either.
SQLAlchemy caches compiled statements; Django does not, so the hottest queries (the user behind
every request, the polled lists) use this.

`Compiled(build)`: `build(*shape, *values)` returns a queryset whose SQL depends only on `shape`
(hashable: flags, page bounds, which Django inlines in the SQL) while `values` (ids) reach the
database as parameters. The first call for a shape builds it with stand-in values, and keeps the
SQL and where each stand-in sits among the parameters; later calls only put their values there.
A stand-in that is not found exactly once among the parameters (a value Django transformed, or
that changed the SQL) means the shape cannot be kept: it is compiled on every call instead, so
the answer is always the queryset's own.
"""
from __future__ import annotations

import threading
import uuid
from typing import Callable

from django.db import NotSupportedError, connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models import QuerySet

_UNCACHEABLE = object()


class Compiled:
    def __init__(self, build: Callable[..., QuerySet], *, max_shapes: int = 256):
        self.build = build
        self.max_shapes = max_shapes
        self._shapes: dict = {}
        self._lock = threading.Lock()

    def sql(self, shape: tuple, values: tuple) -> tuple[str, list]:
        """The SQL and parameters of `build(*shape, *values)`."""
        entry = self._shapes.get(shape)
        if entry is None:
            entry = self._compile(shape, values)
        if entry is _UNCACHEABLE:
            return self.build(*shape, *values).query.sql_with_params()
        sql, params, slots = entry
        params = list(params)
        for slot, value in zip(slots, values):
            params[slot] = value
        return sql, params

    def rows(self, shape: tuple, values: tuple) -> list[tuple]:
        """The rows, through a cursor that binds on the server: with DB_PREPARED_STATEMENTS (the
        connection's `prepare_threshold`), psycopg prepares the statement on its second use on a
        connection, and PostgreSQL plans it no more. Django's wrapper is kept (health check,
        error translation, query logging)."""
        sql, params = self.sql(shape, values)
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        raw = ServerBindingCursor(connection.connection)
        cursor = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
        with cursor:
            try:
                cursor.execute(sql, params)
            except NotSupportedError as error:
                # A migration changed a column this prepared statement returns while this process
                # kept its connection: PostgreSQL refuses the old plan ("cached plan must not change
                # result type"). Outside a transaction, forget this connection's prepared statements
                # (psycopg notices DEALLOCATE ALL) and run the query again, planned anew.
                if getattr(error.__cause__, "sqlstate", None) != "0A000" or not connection.get_autocommit():
                    raise
                cursor.execute("DEALLOCATE ALL")
                cursor.execute(sql, params)
            return cursor.fetchall()

    def _compile(self, shape: tuple, values: tuple):
        stand_ins = tuple(uuid.uuid4() for _ in values)
        sql, params = self.build(*shape, *stand_ins).query.sql_with_params()
        params = list(params)
        slots = []
        for stand_in in stand_ins:
            found = [i for i, param in enumerate(params) if param == stand_in]
            if len(found) != 1:
                entry = _UNCACHEABLE
                break
            slots.append(found[0])
        else:
            entry = (sql, tuple(params), tuple(slots))
        with self._lock:
            if len(self._shapes) >= self.max_shapes:
                self._shapes.clear()
            self._shapes[shape] = entry
        return entry
