"""Throttles of the password login and the signup, counted in Redis with the `limits` library.

- Failed logins per account: `LOGIN_FAILURES_PER_ACCOUNT` in any 15 minutes. The key is the e-mail
  address as submitted (normalized and hashed), whether or not such a user exists, so a throttled
  unknown address answers exactly like a throttled real one.
- Login and signup requests per client address: `AUTH_REQUESTS_PER_ADDRESS` in any minute.

Counts live in `RATE_LIMIT_STORAGE_URL` (the Redis of `REDIS_URL` by default) so that every web
process sees the same ones; the windows are moving (exact) windows. A limit of 0 switches it off.

When the store is unreachable the throttles **fail open** and log an error: logins then stay as
slow as one PBKDF2 hash each, and an outage of Redis (also Celery's broker) does not lock every
user out of the API and the admin.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time
from functools import lru_cache

from django.conf import settings
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from sartiq.errors import TooManyRequests

logger = logging.getLogger(__name__)

ACCOUNT_WINDOW_MINUTES = 15
# Seconds a web request waits for Redis before the throttle gives up (and fails open).
STORAGE_TIMEOUT = 1.0


def storage_url() -> str:
    """`limits` spells a Unix socket `redis+unix://`; Celery/kombu (and REDIS_URL) `redis+socket://`."""
    url = settings.RATE_LIMIT_STORAGE_URL
    return "redis+unix://" + url.removeprefix("redis+socket://") if url.startswith("redis+socket://") else url


@lru_cache(maxsize=4)
def _limiter(url: str) -> MovingWindowRateLimiter:
    options: dict = {"wrap_exceptions": True}
    if url.startswith(("redis", "rediss", "valkey")):
        options.update(socket_timeout=STORAGE_TIMEOUT, socket_connect_timeout=STORAGE_TIMEOUT)
    return MovingWindowRateLimiter(storage_from_string(url, **options))


def limiter() -> MovingWindowRateLimiter:
    return _limiter(storage_url())


def account_limit() -> RateLimitItem | None:
    amount = settings.LOGIN_FAILURES_PER_ACCOUNT
    return RateLimitItemPerMinute(amount, ACCOUNT_WINDOW_MINUTES, namespace="LOGIN-FAILURES") if amount > 0 else None


def address_limit() -> RateLimitItem | None:
    amount = settings.AUTH_REQUESTS_PER_ADDRESS
    return RateLimitItemPerMinute(amount, 1, namespace="AUTH-ADDRESS") if amount > 0 else None


def _account_key(email: str) -> str:
    # No e-mail addresses in the store.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _retry_after(item: RateLimitItem, key: str) -> int:
    reset_at = limiter().get_window_stats(item, key).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def _fail_open(what: str) -> None:
    logger.error("Throttle store unreachable (%s): %s not counted", storage_url().split("@")[-1], what, exc_info=True)


def hit_address(address: str) -> int | None:
    """Count one login/signup request of this client address; seconds to wait when over the limit."""
    item = address_limit()
    if item is None:
        return None
    try:
        return None if limiter().hit(item, address) else _retry_after(item, address)
    except StorageError:
        _fail_open("auth request per address")
        return None


def require_account_unthrottled(email: str) -> None:
    """429 when this account had too many failed logins recently (checked before the password)."""
    item = account_limit()
    if item is None:
        return
    key = _account_key(email)
    try:
        if limiter().test(item, key):
            return
        retry_after = _retry_after(item, key)
    except StorageError:
        _fail_open("failed-login check")
        return
    raise TooManyRequests("Too many failed login attempts. Try again later.", retry_after=retry_after)


def record_login_failure(email: str) -> None:
    item = account_limit()
    if item is None:
        return
    try:
        limiter().hit(item, _account_key(email))
    except StorageError:
        _fail_open("failed login")


def forget_login_failures(email: str) -> None:
    """A successful login starts the account's count afresh."""
    item = account_limit()
    if item is None:
        return
    try:
        limiter().clear(item, _account_key(email))
    except StorageError:
        _fail_open("login success")


def reset() -> None:
    """Forget every count (tests: a fresh in-memory store per test)."""
    limiter().storage.reset()
