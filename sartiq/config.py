"""Reading configuration from the environment (domain area, issue #11).

A value the system does not understand stops every process at start-up (`manage.py`, gunicorn, the
Celery worker and beat all load the settings; `make run` checks its own variables first), with a
message naming the variable and what it accepts, instead of being read as something else
(`IMAGE_PROVIDER=fashn` served by the local renderer, `DEBUG=ture` read as off) or failing later,
in a request.
"""
from __future__ import annotations

import math
import os
import re

from django.core.exceptions import ImproperlyConfigured


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def refuse(name: str, value: str, accepted: str):
    raise ImproperlyConfigured(f"{name}={value!r} is not understood: {accepted}.")


TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    if value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    refuse(name, value, f"accepted values are {', '.join(TRUE_WORDS)} (on) and {', '.join(FALSE_WORDS)} (off)")


def _number(name: str, default, kind, minimum, maximum):
    value = env(name)
    if value is None:
        return default
    bounds = " and ".join(filter(None, [minimum is not None and f"at least {minimum}",
                                        maximum is not None and f"at most {maximum}"]))
    wanted = f"{'an integer' if kind is int else 'a number'}{' ' + bounds if bounds else ''}"
    try:
        number = kind(value.strip())
    except ValueError:
        refuse(name, value, f"expected {wanted}")
    if not math.isfinite(number) or (minimum is not None and number < minimum) or (
            maximum is not None and number > maximum):
        refuse(name, value, f"expected {wanted}")
    return number


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    return _number(name, default, int, minimum, maximum)


def env_float(name: str, default: float, *, minimum: float | None = None, maximum: float | None = None) -> float:
    return _number(name, default, float, minimum, maximum)


def env_choice(name: str, default: str, accepted) -> str:
    """One of `accepted` (compared as written)."""
    value = env(name, default)
    if value not in accepted:
        refuse(name, value, f"accepted values are {', '.join(accepted)}")
    return value


def env_url(name: str, default: str | None, schemes, what: str) -> str | None:
    """A URL whose scheme is one of `schemes` (`redis+socket` is checked as `redis`)."""
    value = env(name, default)
    if value is None:
        return None
    scheme = value.partition("://")[0] if "://" in value else ""
    if scheme.lower() not in schemes and scheme.lower().partition("+")[0] not in schemes:
        refuse(name, value.split("@")[-1] if "@" in value else value,
               f"expected a {what} URL with one of the schemes {', '.join(sorted(schemes))}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


def env_origins(name: str) -> list[str]:
    """Web origins (`https://app.example.com`, `http://localhost:5173`), comma-separated: a scheme
    (http or https), a host and an optional port, nothing after them; a trailing `/` is dropped, as
    browsers send none in `Origin`. `*` is refused: the origins are listed one by one."""
    origins = []
    for item in env_list(name):
        origin = item.rstrip("/")
        if origin == "*" or not re.fullmatch(r"https?://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?", origin):
            refuse(name, item, "expected origins such as https://app.example.com or http://localhost:5173 "
                               "(scheme, host and optional port, no path), comma-separated; * is not accepted: "
                               "list each origin")
        origins.append(origin.lower())
    return origins
