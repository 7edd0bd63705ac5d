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
from django.core.files.storage import FileSystemStorage, storages

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


def url_version(now: float | None = None) -> str:
    """What the media URLs a response shows depend on besides the files themselves: the storage and
    its settings and, for URLs that are signed, when they were made. A read's ETag includes it
    (sartiq/api/conditional.py), so that a 304 never keeps a client on URLs that differ from what
    it would be sent now (local files) or that are about to expire (S3):

    - local files (`SignedFileSystemStorage`): the expiry of the URLs made now (`url_expiry`), which
      moves once per MEDIA_URL_BUCKET_SECONDS; within a bucket the URLs are the same bytes.
    - S3 / MinIO with signed URLs (AWS_QUERYSTRING_AUTH, django-storages' S3Storage): boto signs
      with the current second (SigV4's X-Amz-Date) and the URL is valid AWS_QUERYSTRING_EXPIRE from
      then, so two responses never carry the same URL. The version is the bucket of time the URLs
      were made in (MEDIA_URL_BUCKET_SECONDS) and what signs them (bucket, endpoint, domain, key id,
      signature version, lifetime): a body kept by a 304 holds URLs made at most one bucket ago,
      valid for at least AWS_QUERYSTRING_EXPIRE - MEDIA_URL_BUCKET_SECONDS more (45 minutes with
      the defaults). Temporary credentials (an IAM role) end a URL's validity when they expire,
      whatever its lifetime; they are rotated well before that, and a rotated key id signs
      different URLs (set AWS_ACCESS_KEY_ID to have it count here).
    - unsigned URLs (a public bucket or custom domain without signing): the settings alone.
    """
    storage = storages["default"]
    now = time.time() if now is None else now
    if isinstance(storage, SignedFileSystemStorage):
        return f"local:{storage.base_url}:{url_expiry(now)}"
    signing_settings = [getattr(storage, name, None) for name in (
        "bucket_name", "endpoint_url", "custom_domain", "access_key", "signature_version", "querystring_expire",
        "querystring_auth", "url_protocol")]
    signed = getattr(storage, "querystring_auth", True) or getattr(storage, "cloudfront_signer", None)
    bucket = int(now // max(1, settings.MEDIA_URL_BUCKET_SECONDS)) if signed else ""
    return f"{type(storage).__name__}:{signing_settings}:{bucket}"
