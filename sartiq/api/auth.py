"""OAuth2 password flow with JWT bearer tokens, as the original service issues them."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from sartiq.errors import BusinessRuleError


def create_access_token(user_id: uuid.UUID, expires_delta: timedelta | None = None) -> tuple[str, int]:
    """A signed HS256 token for the user; returns (token, lifetime in seconds)."""
    lifetime = expires_delta or timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    payload = {"sub": str(user_id), "exp": datetime.now(timezone.utc) + lifetime}
    return jwt.encode(payload, settings.SECRET_KEY, algorithm=settings.JWT_ALGORITHM), int(lifetime.total_seconds())


def user_id_from_token(token: str) -> uuid.UUID:
    try:
        payload = jwt.decode(token, settings.SECRET_KEY, algorithms=[settings.JWT_ALGORITHM], options={"require": ["exp", "sub"]})
        return uuid.UUID(str(payload["sub"]))
    except (jwt.PyJWTError, ValueError, TypeError):
        raise exceptions.AuthenticationFailed()


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <jwt>`; no header is 'Not authenticated', a bad token 401 as well."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        user = get_user_model().objects.filter(pk=user_id_from_token(token.strip())).first()
        if user is None:
            raise exceptions.AuthenticationFailed()
        if not user.is_active:
            raise BusinessRuleError("Inactive user")
        return user, token

    def authenticate_header(self, request):
        return "Bearer"
