"""What every image engine shares: the request, the job state, the errors, and the remote base.

An engine is either **synchronous** (`generate(request, progress)` returns the images: the local
Pillow renderer) or **remote** (a `RemoteProvider`: `submit` a job, then learn its end by `status`
polls or by a webhook, `outputs` fetches the images, `cancel` stops it). The worker
(shots/generation.py) drives both; engines only speak their protocol.

Errors are classified for the worker's retry policy: `TransientProviderError` (timeouts, network
errors, 5xx: retried with backoff), `RateLimited` (a 429: retried after its `Retry-After`, not
counted as a failure) and `PermanentProviderError` (4xx, malformed answers, a refused destination:
the generation fails). Their messages end up in a generation's `error`, which tenants read: they
carry the engine's status and a sanitized reason, never its raw answer.
"""
from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Callable
from urllib.parse import urlencode, urlsplit

import httpx
from django.conf import settings

from sartiq import outbound
from sartiq.media.images import DECODE_ERRORS, ImageRefused, open_bounded

# Job documents are small; output images are bounded like uploads.
MAX_DOCUMENT_BYTES = 1024 * 1024
# A `Retry-After` longer than this is read as this (a worker looks again within the hour).
MAX_RETRY_AFTER = 3600.0
DEFAULT_RETRY_AFTER = 30.0


class ProviderError(Exception):
    pass


class TransientProviderError(ProviderError):
    """Worth retrying later."""


class RateLimited(TransientProviderError):
    """The engine answered 429: try again after `retry_after` seconds; not a failure."""

    def __init__(self, message: str, retry_after: float = DEFAULT_RETRY_AFTER):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentProviderError(ProviderError):
    """Retrying will not help; the generation fails with this reason."""


class WebhookRefused(ProviderError):
    """A webhook whose signature, token or timestamp does not prove it came from the engine."""


@dataclass
class GenerationRequest:
    prompt: str
    negative_prompt: str
    width: int
    height: int
    count: int = 1
    seed: int = 0
    base_image: bytes | None = None  # the subject in the shot's framing
    product_images: list[bytes] = field(default_factory=list)  # the look's product first, then the outfit's
    reference_images: list[bytes] = field(default_factory=list)  # set design, outfit references
    background: str | None = None  # "#rrggbb"
    product_category: str | None = None  # the look's product's category, as the catalog names it
    product_name: str | None = None
    product_description: str | None = None


@dataclass
class GeneratedImage:
    data: bytes
    seed: int | None = None


Progress = Callable[[int], None]

# Job statuses, whatever each engine calls them.
QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED = "queued", "running", "succeeded", "failed", "canceled"
TERMINAL = (SUCCEEDED, FAILED, CANCELED)


@dataclass
class JobState:
    """What an engine says of one job (an answer to `status`, or a webhook's body)."""

    job_id: str
    status: str  # one of QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED
    progress: int | None = None  # 0-100 when the engine reports it
    outputs: list[str] = field(default_factory=list)  # image URLs on the engine's hosts, or data: URIs
    error: str | None = None  # the engine's reason (cleaned when shown)
    compute_seconds: float | None = None  # the engine's reported compute time
    cost: Decimal | None = None  # the engine's reported cost ...
    cost_unit: str = ""  # ... in this unit ("USD", "credits")
    started_at: datetime | None = None  # when the engine started it, if it says

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True)
class EngineConfig:
    """Which engine and model serve a generation, with their credentials (the server's settings,
    or an organization's override: shots/engines.py), and whose account they are (`server` or
    `organization`: a job is finished on the account it was submitted to)."""

    engine: str
    model: str = ""
    api_key: str = field(default="", repr=False)
    base_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    account: str = "server"


class RemoteProvider:
    """An engine reached over HTTP through the guarded outbound client (sartiq/outbound.py)."""

    engine = ""
    who = "The provider"
    # Whether `status(job_id)` can be asked (Cog's asynchronous predictions can only be waited for).
    pollable = True
    # The setting holding the server's key for the engine ("" for an engine that takes none).
    key_setting = ""

    def __init__(self, config: EngineConfig):
        self.config = config
        self.base_url = config.base_url.rstrip("/")

    def key_hint(self) -> str:
        """Which key to check when the engine refuses ours: the organization's own
        (`/organizations/{id}/engine`) or the server's setting."""
        if self.config.account == "organization":
            return "check the organization's API key (PUT /organizations/{id}/engine)"
        return f"check {self.key_setting}" if self.key_setting else "check the engine's credentials"

    @property
    def model(self) -> str:
        return self.config.model

    # --- what each engine implements ---------------------------------------------------------------
    def submit(self, request: GenerationRequest, *, job_key: str, webhook_url: str | None) -> JobState:
        """Start a job for `request`; `job_key` is ours, stable across retries of one generation
        (an engine that accepts a client id uses it to make a repeated submit harmless).
        `webhook_url`, when given, is where the engine should report the job's end. Returns the
        job's state: QUEUED/RUNNING usually, terminal when the engine answered synchronously."""
        raise NotImplementedError

    def status(self, job_id: str) -> JobState:
        raise NotImplementedError

    def cancel(self, job_id: str) -> None:
        """Ask the engine to stop the job; a job already finished is not an error."""
        raise NotImplementedError

    def webhooks_enabled(self) -> bool:
        """Whether this engine's jobs report by webhook (with PUBLIC_BASE_URL set)."""
        return True

    def verify_webhook(self, body: bytes, headers) -> str | None:
        """Check that the engine sent this webhook (beyond the URL's token, which the view checks):
        raise WebhookRefused if not. Returns the message id to record against replays, if the
        engine's scheme has one."""
        return None

    def parse_webhook(self, body: bytes) -> JobState | None:
        """The job state a webhook reports, or None when the engine's status should be asked
        instead (an unsigned body is only a hint)."""
        raise NotImplementedError

    def output_hosts(self) -> list[str]:
        """The hosts output URLs may be on: `host`, `host:port`, or `.domain` for its subdomains."""
        return []

    # --- shared ------------------------------------------------------------------------------------
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.config.api_key}"} if self.config.api_key else {}

    def trusted_hosts(self) -> list[str]:
        """The engine's own hosts, as the operator configured them (never a tenant): admitted for
        this engine's requests only, so an internal GPU container need not be in
        OUTBOUND_ALLOWED_HOSTS, which would open it to tenants' URLs too."""
        return [outbound.host_entry(url) for url in self.configured_urls() if url]

    def configured_urls(self) -> list[str]:
        return [self.base_url]

    def client(self, timeout: float | None = None) -> outbound.OutboundClient:
        return outbound.OutboundClient(timeout=timeout or settings.IMAGE_PROVIDER_TIMEOUT, headers=self.headers(),
                                       trusted_hosts=self.trusted_hosts())

    def call(self, client: outbound.OutboundClient, method: str, url: str, max_bytes: int | None = None,
             **kwargs) -> httpx.Response:
        """One request: the engine's refusals first (`refused`), then the rest classified by
        `outbound.checked` (5xx and the network: transient; other 4xx: permanent)."""
        def send():
            response = client.request(method, url, max_bytes=max_bytes or self.document_limit(), **kwargs)
            self.refused(response)
            return response

        return outbound.checked(send, who=self.who, transient=TransientProviderError,
                                permanent=PermanentProviderError)

    def document_limit(self) -> int:
        """How much of an answer is read when the caller names no limit."""
        return MAX_DOCUMENT_BYTES

    def refused(self, response: httpx.Response) -> None:
        """Raise for an answer the engine's protocol gives a meaning: by default a 429 is
        RateLimited, after its Retry-After. Engines add theirs (a refused key, an account without
        credits, a model's refused input)."""
        if response.status_code == 429:
            raise RateLimited(f"{self.who} is rate limiting requests (HTTP 429)", retry_after(response))

    def json(self, response: httpx.Response) -> dict:
        return json_document(response.content, self.who)

    def outputs(self, state: JobState) -> list[GeneratedImage]:
        """The images of a SUCCEEDED job: data URIs decoded, URLs fetched only from
        `output_hosts()`, each within the upload size and pixel limits."""
        if not state.outputs:
            raise PermanentProviderError(f"{self.who} succeeded without outputs")
        images = []
        # Without the engine's credentials: output hosts (a CDN) are not the API and get no key.
        with outbound.OutboundClient(timeout=settings.IMAGE_PROVIDER_TIMEOUT, trusted_hosts=self.trusted_hosts()) as client:
            for output in state.outputs[:settings.GENERATION_MAX_OUTPUTS]:
                if not isinstance(output, str):
                    raise PermanentProviderError(f"{self.who} answered an output that is not a URL")
                if output.startswith("data:"):
                    data = decode_data_uri(output, self.who)
                else:
                    if not host_listed(output, self.output_hosts()):
                        raise PermanentProviderError(f"An output URL is not on {self.who.lower()}'s hosts")
                    data = self.call(client, "GET", output, max_bytes=settings.MEDIA_MAX_UPLOAD_BYTES).content
                check_image(data, self.who)
                images.append(GeneratedImage(data))
        return images


# --- helpers ----------------------------------------------------------------------------------------
def json_document(raw: bytes, who: str = "The provider") -> dict:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise PermanentProviderError(f"{who} answered something that is not JSON") from exc
    if not isinstance(data, dict):
        raise PermanentProviderError(f"{who} answered an unexpected JSON document")
    return data


def retry_after(response: httpx.Response) -> float:
    """`Retry-After` in seconds (delta-seconds or an HTTP date), within [1, MAX_RETRY_AFTER]."""
    value = (response.headers.get("Retry-After") or "").strip()
    seconds = DEFAULT_RETRY_AFTER
    if value.isdigit():
        seconds = float(value)
    elif value:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            seconds = DEFAULT_RETRY_AFTER
    return max(1.0, min(MAX_RETRY_AFTER, seconds))


def host_listed(url: str, hosts: list[str]) -> bool:
    """Whether `url` is http(s) on one of `hosts` (`host`, `host:port`, `.domain` for subdomains).
    The outbound client still checks the address it resolves to."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return False
    for entry in hosts:
        entry = entry.strip().lower()
        if entry.startswith("."):
            if host.endswith(entry) and len(host) > len(entry):
                return True
            continue
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if host == name and (not entry_port or str(port or {"http": 80, "https": 443}[parts.scheme]) == entry_port):
            return True
    return False


def data_uri(data: bytes) -> str:
    """An image as a `data:` URI (engines that take images inline)."""
    return f"data:{sniff_type(data)};base64,{base64.b64encode(data).decode()}"


def sniff_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def decode_data_uri(uri: str, who: str) -> bytes:
    header, _, payload = uri.partition(",")
    if not header.endswith(";base64") or len(payload) > settings.MEDIA_MAX_UPLOAD_BYTES * 4 // 3 + 4:
        raise PermanentProviderError(f"{who} answered an output that is not a bounded base64 image")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PermanentProviderError(f"{who} answered an output that is not base64") from exc


def check_image(data: bytes, who: str) -> None:
    """An output must be a still image within the pixel limits before it is stored."""
    try:
        open_bounded(data).load()
    except ImageRefused as exc:
        raise PermanentProviderError(f"{who} answered an image that is refused: {exc}") from exc
    except DECODE_ERRORS as exc:
        raise PermanentProviderError(f"{who} answered an output that is not an image") from exc


# --- webhooks in ------------------------------------------------------------------------------------
def webhook_token(engine: str, generation_id) -> str:
    """The token a webhook URL carries: proves we made the URL for this engine and generation."""
    key = hashlib.sha256(f"sartiq-provider-webhook:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{engine}:{generation_id}".encode(), hashlib.sha256).hexdigest()[:40]


def webhook_token_valid(engine: str, generation_id, token: str) -> bool:
    # Bytes: `compare_digest` refuses non-ASCII text with a TypeError (a 500 for anyone's request).
    return bool(token) and hmac.compare_digest(webhook_token(engine, generation_id).encode(),
                                               str(token).encode("utf-8", "surrogatepass"))


def webhook_url(engine: str, generation_id) -> str | None:
    """Where `engine` reports a generation's job, or None without PUBLIC_BASE_URL (then: poll)."""
    if not settings.PUBLIC_BASE_URL:
        return None
    query = urlencode({"generation": str(generation_id), "token": webhook_token(engine, generation_id)})
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/api/v1/providers/{engine}/webhook?{query}"


def seed_of(value) -> int | None:
    """`Prediction.seed` is a bigint: a seed that is not an integer in its range is not kept."""
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value <= 2**63 - 1:
        return value
    return None
