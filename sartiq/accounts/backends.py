"""The admin's login form behind the same login rules and throttles as the API's password flow."""
from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from sartiq.accounts import services, throttling
from sartiq.accounts.api.throttles import client_address
from sartiq.errors import BusinessRuleError, TooManyRequests


class ThrottledModelBackend(ModelBackend):
    """`authenticate()` through `services.user_authenticate` (a dummy hash for unknown addresses,
    failures counted per account) after counting the request against its client address. A
    throttled attempt raises PermissionDenied, which makes `authenticate()` fail even with the
    right password (the form then reports a failed login)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        if request is not None and throttling.hit_address(client_address(request)) is not None:
            raise PermissionDenied("Too many requests")
        try:
            return services.user_authenticate(email=username, password=password)
        except TooManyRequests:
            raise PermissionDenied("Too many failed login attempts")
        except BusinessRuleError:
            return None
