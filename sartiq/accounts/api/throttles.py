"""Login and signup requests per client address (DRF's throttle hook, counted by `throttling`)."""
from __future__ import annotations

from rest_framework.throttling import BaseThrottle

from sartiq.accounts import throttling


def client_address(request) -> str:
    """REMOTE_ADDR, or the X-Forwarded-For entry added by the outermost of `NUM_PROXIES` trusted
    proxies (DRF's rule; with NUM_PROXIES=0, the default, X-Forwarded-For is ignored)."""
    return BaseThrottle().get_ident(request)


class AuthAddressThrottle(BaseThrottle):
    """`AUTH_REQUESTS_PER_ADDRESS` login and signup requests per minute and client address; 429
    with Retry-After beyond."""

    wait_seconds: int | None = None

    def allow_request(self, request, view) -> bool:
        self.wait_seconds = throttling.hit_address(client_address(request))
        return self.wait_seconds is None

    def wait(self):
        return self.wait_seconds
