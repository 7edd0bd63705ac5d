"""Tenants' secrets at rest, encrypted with Fernet: whatever a tenant gives the server to act for it
(a retailer's token, an image engine's API key, a webhook signing secret).

A secret is stored as `fernet:<token>`, decrypted only by the module that uses it, never returned
by the API or the admin. Nothing in a value is interpreted. Apps keep their own rules about what a
tenant may send (integrations/secrets.py, shots/engines.py); this module is only the sealing.

Keys: INTEGRATION_SECRETS_KEY (named after its first user), a list of Fernet keys (MultiFernet: the
first encrypts, all decrypt); required in production, derived from SECRET_KEY for local runs and
tests without it. `manage.py rotate_integration_secrets` encrypts every stored secret again with
the first key.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from sartiq.errors import BusinessRuleError

PREFIX = "fernet:"
WEBHOOK_SECRET_PREFIX = "whsec_"
# Standard Webhooks: secrets of 24 to 64 random bytes.
WEBHOOK_SECRET_BYTES = (24, 64)


def derived_key(secret_key: str) -> bytes:
    """The key a local run derives from SECRET_KEY (and the only key of versions before #10)."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"sartiq-integrations:{secret_key}".encode()).digest())


def keys() -> list[bytes]:
    return [key.encode() for key in settings.INTEGRATION_SECRETS_KEY] or [derived_key(settings.SECRET_KEY)]


def _fernet(extra: list[bytes] = ()) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in [*keys(), *extra]])


def seal(value: str | None) -> str:
    """What to store for a secret given by a tenant ("" for none)."""
    if not value:
        return ""
    return PREFIX + _fernet().encrypt(value.encode()).decode()


def reveal(stored: str) -> str:
    """The secret itself, for the module that uses it; a value no key opens is a 400 that asks
    for the secret again (the key was rotated away, or the row was edited by hand)."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise BusinessRuleError("The stored credentials are not usable: enter them again")
    try:
        return _fernet().decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise BusinessRuleError("The stored credentials cannot be decrypted: enter them again")


def reseal(stored: str, extra_keys: list[bytes] = ()) -> str:
    """`stored` encrypted again with the first key (rotation); InvalidToken when no key opens it."""
    if not stored.startswith(PREFIX):
        raise InvalidToken
    return PREFIX + _fernet(list(extra_keys)).rotate(stored[len(PREFIX):].encode()).decode()


# --- Standard Webhooks secrets --------------------------------------------------------------------
def check_webhook_secret(value: str | None, name: str = "The secret") -> None:
    """A Standard Webhooks secret: `whsec_` and 24 to 64 bytes in base64; raises ValueError
    (naming `name`, never repeating the value) otherwise."""
    if value is None:
        return
    problem = ValueError(f"{name} must be a Standard Webhooks secret: {WEBHOOK_SECRET_PREFIX} followed "
                         f"by {WEBHOOK_SECRET_BYTES[0]} to {WEBHOOK_SECRET_BYTES[1]} random bytes in base64")
    if not value.startswith(WEBHOOK_SECRET_PREFIX):
        raise problem
    encoded = value[len(WEBHOOK_SECRET_PREFIX):]
    try:
        raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise problem from None
    if not WEBHOOK_SECRET_BYTES[0] <= len(raw) <= WEBHOOK_SECRET_BYTES[1]:
        raise problem


def new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
