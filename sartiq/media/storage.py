"""Local media files behind signed, expiring URLs, as S3's presigned URLs are.

`SignedFileSystemStorage.url(key)` answers `/media/<key>?e=<expiry>&s=<signature>`; the expiry is
at least `MEDIA_URL_EXPIRES_SECONDS` away, rounded up to a multiple of `MEDIA_URL_BUCKET_SECONDS`,
so that one file keeps one URL for a while (browsers and proxies can cache it). The signature is
an HMAC of the key and the expiry with the project's SECRET_KEY (`django.core.signing`).
`sartiq.media.views.serve_media` serves a file only for a valid, unexpired signature.
"""
from __future__ import annotations

import math
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage

SALT = "sartiq.media.url"


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def url_expiry(now: float | None = None) -> int:
    """The expiry of URLs made now: at least the lifetime ahead, rounded up to the bucket."""
    bucket = max(1, settings.MEDIA_URL_BUCKET_SECONDS)
    earliest = (time.time() if now is None else now) + settings.MEDIA_URL_EXPIRES_SECONDS
    return int(math.ceil(earliest / bucket) * bucket)


def url_signature(key: str, expires: int) -> str:
    return _signer().signature(f"{key}\n{expires}")


def signature_valid(key: str, expires: str | None, signature: str | None) -> bool:
    """A signature made by `url_signature` for this key and expiry, not yet expired."""
    if not expires or not signature or not expires.isdigit():
        return False
    if int(expires) < time.time():
        return False
    return signing.constant_time_compare(signature, url_signature(key, int(expires)))


class SignedFileSystemStorage(FileSystemStorage):
    """Files on the local disk; their URLs are signed and expire."""

    def url(self, name):
        base = super().url(name)
        if name is None:
            return base
        expires = url_expiry()
        return f"{base}?{urlencode({'e': expires, 's': url_signature(name, expires)})}"
