"""Retailer credentials at rest: encrypted with Fernet, or a reference to a secret elsewhere.

A value is stored as `fernet:<token>` (encrypted with a key derived from INTEGRATION_SECRETS_KEY,
or SECRET_KEY when unset) or `env:<NAME>` (read from the environment when needed, never stored).
The API never returns either.
"""
from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from sartiq.errors import BusinessRuleError


def _fernet() -> Fernet:
    secret = settings.INTEGRATION_SECRETS_KEY or settings.SECRET_KEY
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"sartiq-integrations:{secret}".encode()).digest()))


def seal(value: str | None) -> str:
    """What to store for a secret given by a client."""
    if not value:
        return ""
    if value.startswith("env:"):
        return value
    return "fernet:" + _fernet().encrypt(value.encode()).decode()


def reveal(stored: str) -> str:
    """The secret itself, for the client module that calls the retailer."""
    if not stored:
        return ""
    if stored.startswith("env:"):
        value = os.environ.get(stored[4:])
        if value is None:
            raise BusinessRuleError(f"The secret {stored[4:]} is not set on the server")
        return value
    if stored.startswith("fernet:"):
        try:
            return _fernet().decrypt(stored[7:].encode()).decode()
        except InvalidToken:
            raise BusinessRuleError("Stored credentials cannot be decrypted (the key changed?)")
    raise BusinessRuleError("Stored credentials have an unknown form")


def describe(stored: str) -> dict:
    """What the API may say about a stored secret."""
    return {"set": bool(stored), "reference": stored if stored.startswith("env:") else None}
