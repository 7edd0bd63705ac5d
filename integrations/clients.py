"""Retailer clients: the one module that talks to retailers' systems.

`client_for(integration)` returns the client of the integration's type. A client uploads one
image with the push's idempotency key (a retried upload never creates a second image at the
retailer) and asks the retailer about a push awaiting its confirmation, through the guarded
outbound client (sartiq/outbound.py: an endpoint on the internal network is refused). Errors are
classified for the retry policy: `TransientPushError` (network, timeouts, 5xx, 429) and
`PermanentPushError` (4xx, a refused destination, a redirect). What a retailer answered is kept
only as `outbound.describe()` gives it (status and a short sanitized reason): tenants read the
attempt log, and the endpoint is theirs to choose.

To add a retailer, write a class like `OvsClient` and register it in `CLIENTS` under its
`IntegrationType` (docs/integrations.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import httpx
from django.conf import settings

from integrations.choices import IntegrationType
from integrations.secrets import reveal
from sartiq import outbound

# Retailers answer small JSON documents.
MAX_ANSWER_BYTES = 1024 * 1024


class PushError(Exception):
    """`excerpt` is what the attempt log shows of the answer: `outbound.describe(response)`."""

    def __init__(self, message: str, http_status: int | None = None, excerpt: str = ""):
        super().__init__(message)
        self.http_status, self.excerpt = http_status, excerpt


class TransientPushError(PushError):
    pass


class PermanentPushError(PushError):
    pass


@dataclass
class UploadResult:
    reference: str  # the retailer's id of the image
    confirmed: bool  # published already (no confirmation to wait for)
    http_status: int
    excerpt: str


@dataclass
class StatusResult:
    state: str  # "pending", "confirmed", "rejected"
    message: str | None  # the retailer's reason, sanitized
    http_status: int
    excerpt: str


@dataclass
class PushPayload:
    idempotency_key: str
    image: bytes
    filename: str
    content_type: str
    fields: dict  # what the retailer needs to file the image (style, colour, SKU, shot)


class OvsClient:
    """OVS's image intake.

    `POST {endpoint}/api/images` (multipart: `file` + fields; `Idempotency-Key` header) answers
    `{"id", "status": "received|processing|published"}`; `GET {endpoint}/api/images/{id}` answers
    `{"status": "received|processing|published|rejected", "message"}`. Bearer token auth (the
    integration's credentials, the tenant's own token).

    OVS confirms by calling back `POST /api/v1/integrations/{integration_id}/callback` with
    `{"reference" | "idempotency_key", "status": "published|rejected", "message"}` as a Standard
    Webhooks message signed with the integration's `whsec_` callback secret (`webhook-id`,
    `webhook-timestamp`, `webhook-signature` headers; see `integrations.api.views.confirmation_callback`).
    """

    def __init__(self, integration):
        self.base = integration.endpoint_url.rstrip("/")
        token = reveal(integration.credentials)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.timeout = settings.PUSH_TIMEOUT

    def upload(self, payload: PushPayload) -> UploadResult:
        response = self._call("POST", f"{self.base}/api/images",
                              headers={**self.headers, "Idempotency-Key": payload.idempotency_key},
                              files={"file": (payload.filename, payload.image, payload.content_type)},
                              data={k: "" if v is None else str(v) for k, v in payload.fields.items()})
        body = self._json(response)
        reference = body.get("id")
        if not reference:
            raise PermanentPushError("OVS answered without an image id", response.status_code,
                                     outbound.describe(response))
        return UploadResult(outbound.clean(reference, 255), body.get("status") == "published", response.status_code,
                            outbound.describe(response))

    def status(self, reference: str) -> StatusResult:
        response = self._call("GET", f"{self.base}/api/images/{reference}", headers=self.headers)
        body = self._json(response)
        state = {"published": "confirmed", "rejected": "rejected"}.get(body.get("status"), "pending")
        message = body.get("message")
        return StatusResult(state, outbound.clean(message) if isinstance(message, str) else None,
                            response.status_code, outbound.describe(response))

    def _call(self, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            response = outbound.request(method, url, timeout=self.timeout, max_bytes=MAX_ANSWER_BYTES, **kwargs)
        except outbound.OutboundError as exc:  # unreachable, timed out; refused destination, redirect, oversized answer
            message = ("OVS timed out" if isinstance(exc, outbound.OutboundTimeout)
                       else f"OVS refused: {exc}" if isinstance(exc, outbound.OutboundRefused) else f"OVS {exc}")
            raise (TransientPushError if outbound.is_transient(exc) else PermanentPushError)(
                message, exc.status_code) from exc
        if response.status_code >= 400 and outbound.is_transient(response):
            raise TransientPushError(f"OVS answered {response.status_code}", response.status_code,
                                     outbound.describe(response))
        if response.status_code >= 400:
            reason = outbound.reason(response)
            raise PermanentPushError(f"OVS refused the image ({response.status_code})" + (f": {reason}" if reason else ""),
                                     response.status_code, outbound.describe(response))
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            raise PermanentPushError("OVS answered something that is not JSON", response.status_code,
                                     outbound.describe(response))
        if not isinstance(body, dict):
            raise PermanentPushError("OVS answered an unexpected document", response.status_code,
                                     outbound.describe(response))
        return body


CLIENTS = {IntegrationType.OVS: OvsClient}


def client_for(integration):
    try:
        return CLIENTS[integration.integration_type](integration)
    except KeyError:
        raise PermanentPushError(f"No client for integration type {integration.integration_type}")
