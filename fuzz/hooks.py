"""Loaded into schemathesis by `make fuzz` (SCHEMATHESIS_HOOKS).

CPython 3.11 can fail `ast.parse` when two threads call it at once ("SystemError: AST constructor
recursion depth mismatch", CPython gh-106905). Hypothesis parses the source of filter lambdas with
it while schemathesis's workers generate cases in threads, so a run with two workers reported such
errors as its own. One parse at a time avoids them at no measurable cost (hypothesis caches what it
parsed).
"""
from __future__ import annotations

import ast
import threading

_lock = threading.Lock()
_parse = ast.parse


def _serialized_parse(*args, **kwargs):
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _serialized_parse
