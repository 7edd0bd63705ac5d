"""Tenants' retailer credentials and callback secrets: what a tenant may send. The sealing itself
(Fernet, `fernet:<token>`, INTEGRATION_SECRETS_KEY, rotation) is sartiq/secrets.py, shared with the
image engines' organization keys; its names are re-exported here for this app's callers.

What a tenant sends is an opaque secret of that tenant: decrypted only by the client module that
calls the retailer (or verifies its callbacks), never returned by the API or the admin. A tenant
names nothing of the server's configuration (the `env:NAME` form of earlier versions is refused,
security issue #10).
"""
from __future__ import annotations

from sartiq.secrets import (
    PREFIX,
    WEBHOOK_SECRET_BYTES,
    WEBHOOK_SECRET_PREFIX,
    check_webhook_secret,
    derived_key,
    keys,
    new_webhook_secret,
    reseal,
    reveal,
    seal,
)

__all__ = ["PREFIX", "WEBHOOK_SECRET_BYTES", "WEBHOOK_SECRET_PREFIX", "check_callback_secret", "check_credentials",
           "derived_key", "keys", "new_callback_secret", "reseal", "reveal", "seal"]


def check_credentials(value: str | None) -> None:
    """Credentials are the retailer's token itself; raises ValueError otherwise."""
    if value and value.strip().lower().startswith("env:"):
        raise ValueError("credentials must be the token itself: references to the server's environment "
                         "(env:NAME) are not accepted")


def check_callback_secret(value: str | None) -> None:
    """A Standard Webhooks secret: `whsec_` and 24 to 64 bytes in base64; raises ValueError otherwise."""
    check_webhook_secret(value, "callback_secret")


def new_callback_secret() -> str:
    return new_webhook_secret()
