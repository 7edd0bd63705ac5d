"""OAuth2 password flow with JWT bearer tokens, as the original service issues them.

Besides `sub` and `exp`, a token carries the user's `token_version` (`ver`): a password change, a
deactivation or a reactivation bumps it, and every token issued before stops validating.
"""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from sartiq.compiled import Compiled
from sartiq.errors import BusinessRuleError


def create_access_token(user, expires_delta: timedelta | None = None) -> tuple[str, int]:
    """A signed HS256 token for the user (a User, or a user id: its version is then read from the
    database); returns (token, lifetime in seconds)."""
    if isinstance(user, get_user_model()):
        user_id, version = user.pk, user.token_version
    else:
        user_id = user
        version = get_user_model().objects.filter(pk=user_id).values_list("token_version", flat=True).first() or 0
    lifetime = expires_delta or timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    payload = {"sub": str(user_id), "ver": version, "exp": datetime.now(timezone.utc) + lifetime}
    return jwt.encode(payload, settings.SECRET_KEY, algorithm=settings.JWT_ALGORITHM), int(lifetime.total_seconds())


_VERIFIED: dict[tuple[str, str], tuple[uuid.UUID, int, float]] = {}  # (key, token) -> (user id, version, expiry)
_VERIFIED_MAX = 4096


def claims_from_token(token: str) -> tuple[uuid.UUID, int]:
    """(user id, token version) of a valid token; 401 otherwise. Only HS256 is accepted (no `none`,
    no algorithm chosen by the token). Tokens issued before versions existed count as version 0.

    A web app sends the same token with every request: a token whose signature was verified is
    remembered with its expiry (the same bytes verify the same way under the same key), so its
    next use costs a dictionary lookup and a clock read, not an HMAC and two JSON decodes.
    Revocation is unaffected: the version is compared with the user's on every request."""
    cache_key = (settings.SECRET_KEY, token)
    known = _VERIFIED.get(cache_key)
    if known is not None and known[2] > time.time():
        return known[0], known[1]
    user_id, version, expiry = _verify(token)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[cache_key] = (user_id, version, expiry)
    return user_id, version


def _verify(token: str) -> tuple[uuid.UUID, int, float]:
    try:
        payload = jwt.decode(token, settings.SECRET_KEY, algorithms=[settings.JWT_ALGORITHM], options={"require": ["exp", "sub"]})
        version = payload.get("ver", 0)
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("ver")
        return uuid.UUID(str(payload["sub"])), version, float(payload["exp"])
    except (jwt.PyJWTError, ValueError, TypeError, OverflowError):
        raise exceptions.AuthenticationFailed()


def user_id_from_token(token: str) -> uuid.UUID:
    return claims_from_token(token)[0]


_USER = Compiled(lambda user_id: get_user_model().objects.filter(pk=user_id))


def token_user(user_id: uuid.UUID):
    """The user a token names, or None: read by every authenticated request, so its SQL is
    compiled once (`sartiq.compiled`)."""
    rows = _USER.rows((), (user_id,))
    if not rows:
        return None
    model = get_user_model()
    return model.from_db(DEFAULT_DB_ALIAS, [field.attname for field in model._meta.concrete_fields], rows[0])


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <jwt>`; no header is 'Not authenticated', a bad token 401 as well."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        user_id, version = claims_from_token(token.strip())
        user = token_user(user_id)
        if user is None or user.token_version != version:  # deleted, or the token was revoked
            raise exceptions.AuthenticationFailed()
        if not user.is_active:
            raise BusinessRuleError("Inactive user")
        return user, token

    def authenticate_header(self, request):
        return "Bearer"
