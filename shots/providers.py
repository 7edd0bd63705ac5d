"""The image provider: the one module that talks to whatever generates images.

`get_provider()` returns the configured implementation (setting `IMAGE_PROVIDER`):
- `local` (default): renders a real image with Pillow from the subject's base image, the
  products' images and the set design, so the whole flow works offline;
- `http`: a remote generation service: submit a job, poll it (progress), fetch its outputs.

The http provider talks through the guarded outbound client (sartiq/outbound.py): an operator
who runs the service on the internal network lists it in OUTBOUND_ALLOWED_HOSTS.

Errors are classified for the task's retry policy: `TransientProviderError` (timeouts, network
errors, 5xx: retried with backoff) and `PermanentProviderError` (4xx, malformed answers, a refused
destination: fail). Their messages end up in a generation's `error`, which tenants read: they
carry the provider's status and a sanitized reason, never its raw answer.
"""
from __future__ import annotations

import base64
import hashlib
import io
import random
import textwrap
import time
from dataclasses import dataclass, field
from typing import Callable

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from PIL import Image, ImageDraw, ImageFilter

from sartiq import outbound
from sartiq.media.images import DECODE_ERRORS, ImageRefused, open_bounded

# Job documents are small; output images are bounded like uploads.
MAX_DOCUMENT_BYTES = 1024 * 1024


class ProviderError(Exception):
    pass


class TransientProviderError(ProviderError):
    """Worth retrying later."""


class PermanentProviderError(ProviderError):
    """Retrying will not help; the generation fails with this reason."""


@dataclass
class GenerationRequest:
    prompt: str
    negative_prompt: str
    width: int
    height: int
    count: int = 1
    seed: int = 0
    base_image: bytes | None = None  # the subject in the shot's framing
    product_images: list[bytes] = field(default_factory=list)
    reference_images: list[bytes] = field(default_factory=list)  # set design, outfit references
    background: str | None = None  # "#rrggbb"


@dataclass
class GeneratedImage:
    data: bytes
    seed: int | None = None


Progress = Callable[[int], None]


class LocalImageProvider:
    """Composes a picture from the inputs: the subject, the products on the torso, the set."""

    name = "local"

    def generate(self, request: GenerationRequest, progress: Progress) -> list[GeneratedImage]:
        outputs = []
        for index in range(request.count):
            delay = settings.LOCAL_PROVIDER_DELAY_SECONDS
            for step in range(1, 5):
                if delay:
                    time.sleep(delay / 4)
                progress(int(100 * (index + step / 4) / (request.count + 1)))
            seed = request.seed + index
            outputs.append(GeneratedImage(self._render(request, seed), seed))
        return outputs

    def _render(self, request: GenerationRequest, seed: int) -> bytes:
        rng = random.Random(seed)
        width, height = request.width, request.height
        background = _hex(request.background) or (236, 233, 228)
        canvas = Image.new("RGB", (width, height), background)
        for reference in request.reference_images[:1]:
            backdrop = _open(reference)
            if backdrop is not None:
                canvas = backdrop.convert("RGB").resize((width, height)).filter(ImageFilter.GaussianBlur(6))
        subject = _open(request.base_image) if request.base_image else None
        if subject is not None:
            subject = subject.convert("RGBA")
            subject.thumbnail((int(width * 0.8), int(height * 0.9)))
            box = ((width - subject.width) // 2, height - subject.height, subject.width, subject.height)
            canvas.paste(subject, box[:2], subject)
        else:
            box = (width // 3, height // 10, width // 3, int(height * 0.85))
            ImageDraw.Draw(canvas).rectangle([box[0], box[1], box[0] + box[2], box[1] + box[3]], fill=(150, 120, 100))
        # Garments on the figure: the main product on the torso, then legs, then feet.
        x0, y0, figure_w, figure_h = box
        for index, product in enumerate(request.product_images[:3]):
            garment = _open(product)
            if garment is None:
                continue
            garment = _cut_out(garment)
            garment.thumbnail((int(figure_w * (0.6 - 0.1 * index)), int(figure_h * 0.28)))
            centre_y = y0 + figure_h * (0.35, 0.62, 0.93)[index]
            x = x0 + (figure_w - garment.width) // 2 + rng.randint(-3, 3)
            y = int(centre_y - garment.height / 2)
            canvas.paste(garment, (x, max(0, min(y, height - garment.height))), garment)
        draw = ImageDraw.Draw(canvas)
        caption = textwrap.shorten(request.prompt, width=max(20, width // 7))
        draw.rectangle([0, height - 22, width, height], fill=(255, 255, 255))
        draw.text((6, height - 18), caption, fill=(30, 30, 30))
        buffer = io.BytesIO()
        canvas.save(buffer, format="PNG")
        return buffer.getvalue()


class HttpImageProvider:
    """A remote generation service.

    `POST {url}/generations` with the request (images base64) answers `{"id": ...}`;
    `GET {url}/generations/{id}` answers `{"status": "queued|running|succeeded|failed",
    "progress": 0-100, "error": ..., "outputs": [{"url": ..., "seed": ...}]}`; each output URL is
    fetched from the service (never a URL of anyone else).
    """

    name = "http"

    def __init__(self, base_url: str, api_key: str = "", timeout: float = 30.0, poll_interval: float = 1.0,
                 max_wait: float = 600.0):
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout, self.poll_interval, self.max_wait = timeout, poll_interval, max_wait

    def generate(self, request: GenerationRequest, progress: Progress) -> list[GeneratedImage]:
        encode = lambda data: base64.b64encode(data).decode() if data else None  # noqa: E731
        payload = {
            "prompt": request.prompt, "negative_prompt": request.negative_prompt, "width": request.width,
            "height": request.height, "num_outputs": request.count, "seed": request.seed,
            "base_image": encode(request.base_image), "product_images": [encode(i) for i in request.product_images],
            "reference_images": [encode(i) for i in request.reference_images], "background": request.background,
        }
        with outbound.OutboundClient(timeout=self.timeout, headers=self.headers) as client:
            job = self._json(self._call(client, "POST", f"{self.base_url}/generations", json=payload))
            job_id = job.get("id")
            if not job_id:
                raise PermanentProviderError("The provider answered without a job id")
            deadline = time.monotonic() + self.max_wait
            while True:
                state = self._json(self._call(client, "GET", f"{self.base_url}/generations/{job_id}"))
                status = state.get("status")
                if isinstance(state.get("progress"), (int, float)):
                    progress(max(0, min(99, int(state["progress"]))))
                if status == "succeeded":
                    break
                if status == "failed":
                    error = state.get("error")
                    raise PermanentProviderError("The provider failed: " + (
                        outbound.clean(error) if isinstance(error, str) and error.strip() else "no reason given"))
                if status not in ("queued", "running"):
                    raise PermanentProviderError(f"Unknown job status from the provider: {outbound.clean(repr(status), 60)}")
                if time.monotonic() > deadline:
                    raise TransientProviderError(f"The provider did not finish within {self.max_wait:.0f}s")
                time.sleep(self.poll_interval)
            outputs = state.get("outputs")
            if not isinstance(outputs, list) or not outputs:
                raise PermanentProviderError("The provider succeeded without outputs")
            results = []
            for output in outputs:
                url = output.get("url") if isinstance(output, dict) else None
                if not url or not url.startswith(self.base_url + "/"):
                    raise PermanentProviderError("An output URL is not on the provider")
                image = self._call(client, "GET", url, max_bytes=settings.MEDIA_MAX_UPLOAD_BYTES).content
                results.append(GeneratedImage(image, _seed(output.get("seed"))))
            return results

    def _call(self, client: outbound.OutboundClient, method: str, url: str, max_bytes: int = MAX_DOCUMENT_BYTES,
              **kwargs) -> httpx.Response:
        return outbound.checked(lambda: client.request(method, url, max_bytes=max_bytes, **kwargs),
                                who="The provider", transient=TransientProviderError, permanent=PermanentProviderError)

    @staticmethod
    def _json(response: httpx.Response) -> dict:
        try:
            data = response.json()
        except ValueError as exc:
            raise PermanentProviderError("The provider answered something that is not JSON") from exc
        if not isinstance(data, dict):
            raise PermanentProviderError("The provider answered an unexpected JSON document")
        return data


def _cut_out(image: Image.Image) -> Image.Image:
    """A product photo on white, with the white made transparent (packshots are shot on white)."""
    image = image.convert("RGBA")
    mask = image.convert("L").point(lambda v: 0 if v > 240 else 255)
    image.putalpha(mask)
    return image.crop(mask.getbbox()) if mask.getbbox() else image


def _open(data: bytes | None) -> Image.Image | None:
    """An input image, decoded only if its header shows a bounded still image; else left out."""
    if not data:
        return None
    try:
        image = open_bounded(data)
        image.load()
        return image
    except (ImageRefused, *DECODE_ERRORS):
        return None


def _hex(value: str | None):
    if value and len(value) == 7 and value.startswith("#"):
        try:
            return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))
        except ValueError:
            return None
    return None


# `Prediction.seed` is a bigint: a provider's seed that is not an integer in its range is not kept
# (it used to fail the whole generation at the insert).
SEED_RANGE = (-(2**63), 2**63 - 1)


def _seed(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and SEED_RANGE[0] <= value <= SEED_RANGE[1]:
        return value
    return None


def stable_seed(*parts) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def _http_provider():
    return HttpImageProvider(settings.IMAGE_PROVIDER_URL, settings.IMAGE_PROVIDER_API_KEY,
                             timeout=settings.IMAGE_PROVIDER_TIMEOUT, poll_interval=settings.IMAGE_PROVIDER_POLL_INTERVAL,
                             max_wait=settings.IMAGE_PROVIDER_MAX_WAIT)


# The values of the IMAGE_PROVIDER setting (its accepted values, `settings.IMAGE_PROVIDERS`, are these).
PROVIDERS = {"local": LocalImageProvider, "http": _http_provider}


def get_provider():
    """The provider IMAGE_PROVIDER names; a name no provider has is refused, never served by another."""
    if settings.IMAGE_PROVIDER not in PROVIDERS:
        raise ImproperlyConfigured(f"IMAGE_PROVIDER={settings.IMAGE_PROVIDER!r} is not understood: "
                                   f"accepted values are {', '.join(PROVIDERS)}.")
    return PROVIDERS[settings.IMAGE_PROVIDER]()
