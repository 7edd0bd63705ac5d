"""FASHN's API as a real HTTP server on 127.0.0.1, for tests (shots/providers/fashn.py cites the docs).

Stateful, like FASHN:
- `POST /v1/run` checks the Bearer key (401 UnauthorizedAccess), validates `model_name` and
  `inputs` against the documented inputs of each model (400 BadRequest; stricter than FASHN in
  one way: an input its docs do not list is refused, so a typo in our mapping fails a test instead
  of being ignored), and starts a prediction: `{"id": ..., "error": null}`.
- The prediction moves starting → in_queue → processing → completed (or failed) on its own, one
  step every `step_seconds`; `GET /v1/status/{id}` answers `{"id", "status", "output", "error"}`,
  with the `x-fashn-credits-used` header once completed (1 credit an image; failures are free).
- Outputs are real PNG images served from this server's own host (`/cdn/{id}/output_{i}.png`),
  made from the inputs: the garment (or product) image pasted at the centre of the person's image
  (or of a canvas of the asked aspect ratio), so a test can tell which inputs made them. An image
  that cannot be decoded fails the job with ImageLoadError, as FASHN does.
- With `?webhook_url=`, the status payload is POSTed there when the job ends, retried on a non-2xx
  answer (FASHN: up to 5 retries within ~5 minutes; here every `webhook_retry_delay` seconds).
  Deliveries are recorded in `deliveries` as (job id, HTTP status or error name).

What a test scripts: `script(path, status, body, headers, times)` answers the next `times`
requests whose path starts with `path` with a canned answer (a 429 with Retry-After, a 500, a
malformed body), or drops the connection without an answer when `status` is None; `failure =
(name, message)` makes the jobs created afterwards fail; `hold = True` keeps new jobs processing
until `release(id)`; `webhook_on_poll = True` delivers the webhook at the moment a poll first sees
the job completed (a race), and `webhook_copies` sends each delivery several times at once;
`output_delay` slows the CDN; `output_base` serves outputs under another host name; `stop()` and
`start()` take the port down and bring it back. Every request is recorded in `requests`. `port`
fixes the port (a worker configured before the server starts: tests/test_engine_fashn_worker.py).
"""
from __future__ import annotations

import base64
import binascii
import io
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
from PIL import Image, ImageDraw

from tests.fake_http import ScriptedHandler

API_KEY = "fashn-test-key"
IMAGE, TEXT, BOOL = "image", "text", "bool"


def one_of(*values):
    return ("enum", values)


def integer(low, high):
    return ("int", low, high)


RATIOS = one_of("1:1", "2:3", "3:4", "4:5", "5:4", "4:3", "3:2", "16:9", "9:16")
RESOLUTION = one_of("1k", "2k", "4k")
COMMON = {"output_format": one_of("png", "jpeg"), "return_base64": BOOL, "seed": integer(0, 2**32 - 1)}
# model_name -> (required inputs, every input its docs list with what it takes)
SCHEMAS = {
    "tryon-v1.6": (("model_image", "garment_image"), {
        "model_image": IMAGE, "garment_image": IMAGE, "category": one_of("auto", "tops", "bottoms", "one-pieces"),
        "garment_photo_type": one_of("auto", "flat-lay", "model"), "mode": one_of("performance", "balanced", "quality"),
        "moderation_level": one_of("conservative", "permissive", "none"), "segmentation_free": BOOL,
        "num_samples": integer(1, 4), **COMMON}),
    "tryon-max": (("model_image", "product_image"), {
        "model_image": IMAGE, "product_image": IMAGE, "prompt": TEXT, "num_images": integer(1, 4),
        "aspect_ratio": one_of("21:9", "1:1", "4:3", "3:2", "2:3", "5:4", "4:5", "3:4", "16:9", "9:16"),
        "generation_mode": one_of("balanced", "quality"), "resolution": RESOLUTION, **COMMON}),
    "product-to-model": (("product_image",), {
        "product_image": IMAGE, "model_image": IMAGE, "image_prompt": IMAGE, "prompt": TEXT, "aspect_ratio": RATIOS,
        "generation_mode": one_of("fast", "balanced", "quality"), "resolution": RESOLUTION, **COMMON}),
    "face-to-model": (("face_image",), {
        "face_image": IMAGE, "prompt": TEXT, "num_images": integer(1, 4),
        "aspect_ratio": one_of("1:1", "4:5", "3:4", "2:3", "9:16"),
        "generation_mode": one_of("fast", "balanced", "quality"), "resolution": RESOLUTION, **COMMON}),
    "model-create": (("prompt",), {
        "prompt": TEXT, "face_reference": IMAGE, "image_reference": IMAGE, "aspect_ratio": RATIOS,
        "num_images": integer(1, 4), "generation_mode": one_of("fast", "balanced", "quality"),
        "resolution": RESOLUTION, **COMMON}),
}
PERSON_INPUTS = ("model_image", "face_image")
GARMENT_INPUTS = ("garment_image", "product_image")


def valid(kind, value) -> bool:
    if kind == IMAGE:
        return isinstance(value, str) and value.startswith(("data:", "http://", "https://"))
    if kind == TEXT:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind[0] == "enum":
        return value in kind[1]
    return isinstance(value, int) and not isinstance(value, bool) and kind[1] <= value <= kind[2]


def refusal(model_name, inputs) -> str | None:
    """Why FASHN would answer 400 BadRequest to these, or None."""
    if model_name not in SCHEMAS:
        return f"Invalid model_name: {model_name!r}"
    if not isinstance(inputs, dict):
        return "inputs must be an object"
    required, accepted = SCHEMAS[model_name]
    for name in required:
        if name not in inputs:
            return f"Missing required parameter: inputs.{name}"
    for name, value in inputs.items():
        if name not in accepted:
            return f"Unknown parameter for {model_name}: inputs.{name}"
        if not valid(accepted[name], value):
            return f"Invalid value for inputs.{name}"
    return None


class ImageLoadError(Exception):
    pass


def decode(uri: str, what: str) -> Image.Image:
    header, _, payload = uri.partition(",")
    if not (header.startswith("data:image/") and header.endswith(";base64")):
        raise ImageLoadError(f"Error loading {what}: this server takes base64 images with a data:image/ prefix")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(payload, validate=True)))
        return image.convert("RGB")
    except (binascii.Error, ValueError, OSError) as exc:
        raise ImageLoadError(f"Error loading {what}: {exc.__class__.__name__}")


def render(inputs: dict, index: int) -> bytes:
    """An output: the person (or a canvas of the aspect ratio) with the garment pasted at its centre."""
    person = next((inputs[k] for k in PERSON_INPUTS if k in inputs), None)
    garment = next((inputs[k] for k in GARMENT_INPUTS if k in inputs), None)
    if person is not None:
        canvas = decode(person, "model image")
    else:
        w, h = (int(part) for part in inputs.get("aspect_ratio", "2:3").split(":"))
        canvas = Image.new("RGB", (round(768 * w / h), 768), (228, 228, 228))
    if garment is not None:
        side = max(8, canvas.width * 2 // 5)
        piece = decode(garment, "garment image").resize((side, side), Image.NEAREST)
        canvas.paste(piece, ((canvas.width - side) // 2, (canvas.height - side) // 2))
    # A band at the top that differs between the images of one job.
    ImageDraw.Draw(canvas).rectangle([0, 0, canvas.width, 3], fill=((index * 70) % 256, inputs.get("seed", 0) % 256, 9))
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class Job:
    id: str
    model_name: str
    inputs: dict
    webhook_url: str | None
    failure: tuple[str, str] | None
    status: str = "starting"
    output: list | None = None
    error: dict | None = None
    credits: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    delivered: bool = False

    def payload(self) -> dict:
        return {"id": self.id, "status": self.status, "output": self.output, "error": self.error}


class FashnServer:
    def __init__(self, api_key: str = API_KEY, step_seconds: float = 0.02, port: int = 0):
        self.api_key, self.step_seconds = api_key, step_seconds
        self.jobs: dict[str, Job] = {}
        self.files: dict[str, bytes] = {}
        self.requests: list[dict] = []
        self.deliveries: list[tuple[str, object]] = []
        self.scripts: list[dict] = []
        self.failure: tuple[str, str] | None = None
        self.hold = False
        self.webhook_on_poll = False
        self.webhook_copies = 1  # deliveries of each webhook sent at once (FASHN may repeat one)
        self.webhook_retries, self.webhook_retry_delay = 5, 0.2
        self.output_base: str | None = None
        self.output_delay = 0.0  # seconds before an output image is served (a slow CDN)
        self.lock = threading.Lock()
        self.port = port  # 0: any free port
        self.server = None

    # --- lifecycle ---------------------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        for job in self.jobs.values():
            job.released.set()

    def start(self):
        """Listen (again, on the same port after a `stop()`)."""
        self.server = _Server(("127.0.0.1", self.port), _handler(self))
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def stop(self):
        """The port goes down: connections are refused until `start()`."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """FASHN_BASE_URL for this server."""
        return f"{self.url}/v1"

    @property
    def allowed(self) -> str:
        """Its OUTBOUND_ALLOWED_HOSTS entry."""
        return f"127.0.0.1:{self.port}"

    # --- scripting ---------------------------------------------------------------------------------
    def script(self, path: str, status: int | None, body=None, headers: dict | None = None, times: int = 1):
        self.scripts.append({"path": path, "status": status, "body": body, "headers": headers or {}, "times": times})

    def rate_limit(self, times: int, retry_after: int = 1, path: str = "/v1/", code: str = "RateLimitExceeded"):
        self.script(path, 429, {"error": code, "message": "Too many requests, slow down"},
                    {"Retry-After": str(retry_after)}, times)

    def release(self, job_id: str):
        self.jobs[job_id].released.set()

    def job(self) -> Job:
        """The one job created so far."""
        assert len(self.jobs) == 1, f"{len(self.jobs)} jobs"
        return next(iter(self.jobs.values()))

    def wait_for(self, condition, timeout: float = 10, what: str = "the condition"):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.02)

    # --- the API -----------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, headers, raw: bytes):
        """(status, body, headers), or None to drop the connection without an answer."""
        with self.lock:
            for script in self.scripts:
                if script["times"] > 0 and path.startswith(script["path"]):
                    script["times"] -= 1
                    if script["status"] is None:
                        return None
                    return script["status"], script["body"], script["headers"]
        if method == "GET" and path.startswith("/cdn/"):
            time.sleep(self.output_delay)
            data = self.files.get(path)
            return (200, data, {"Content-Type": "image/png"}) if data else (404, {"error": "NotFound"}, {})
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {"error": "UnauthorizedAccess", "message": "Unauthorized: Invalid token"}, {}
        if method == "POST" and path == "/v1/run":
            return self.run(query, raw)
        if method == "GET" and path.startswith("/v1/status/"):
            return self.status(path.removeprefix("/v1/status/"))
        return 404, {"error": "NotFound", "message": "Resource not found"}, {}

    def run(self, query: dict, raw: bytes):
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return 400, {"error": "BadRequest", "message": "The request body must be a JSON object"}, {}
        reason = refusal(body.get("model_name"), body.get("inputs"))
        if reason:
            return 400, {"error": "BadRequest", "message": reason}, {}
        job = Job(f"{uuid.uuid4()}-u1", body["model_name"], body["inputs"], (query.get("webhook_url") or [None])[0],
                  self.failure)
        if not self.hold:
            job.released.set()
        self.jobs[job.id] = job
        threading.Thread(target=self._drive, args=(job,), daemon=True).start()
        return 200, {"id": job.id, "error": None}, {}

    def status(self, job_id: str):
        job = self.jobs.get(job_id)
        if job is None:
            return 404, {"error": "NotFound", "message": "Prediction not found or no longer tracked"}, {}
        answer = job.payload()
        headers = {"x-fashn-credits-used": str(job.credits)} if job.status in ("completed", "failed") else {}
        if self.webhook_on_poll and job.status in ("completed", "failed") and job.webhook_url and not job.delivered:
            job.delivered = True
            self._deliver_copies(job)
        return 200, answer, headers

    # --- a prediction's life -----------------------------------------------------------------------
    def _drive(self, job: Job):
        for status in ("in_queue", "processing"):
            time.sleep(self.step_seconds)
            job.status = status
        job.released.wait()
        time.sleep(self.step_seconds)
        self._finish(job)
        if job.webhook_url and not self.webhook_on_poll:
            job.delivered = True
            self._deliver_copies(job)

    def _finish(self, job: Job):
        if job.failure is not None:
            job.error, job.status = {"name": job.failure[0], "message": job.failure[1]}, "failed"
            return
        count = job.inputs.get("num_samples") or job.inputs.get("num_images") or 1
        try:
            images = [render(job.inputs, index) for index in range(count)]
        except ImageLoadError as exc:
            job.error, job.status = {"name": "ImageLoadError", "message": str(exc)}, "failed"
            return
        urls = []
        for index, data in enumerate(images):
            path = f"/cdn/{job.id}/output_{index}.png"
            self.files[path] = data
            urls.append(f"{self.output_base or self.url}{path}")
        job.output, job.credits, job.status = urls, len(images), "completed"

    def _deliver_copies(self, job: Job):
        for _ in range(self.webhook_copies):
            threading.Thread(target=self._deliver, args=(job,), daemon=True).start()

    def _deliver(self, job: Job):
        body = json.dumps(job.payload()).encode()
        for _ in range(1 + self.webhook_retries):
            try:
                answer = httpx.post(job.webhook_url, content=body, headers={"Content-Type": "application/json"},
                                    timeout=30).status_code
            except httpx.HTTPError as exc:
                answer = exc.__class__.__name__
            self.deliveries.append((job.id, answer))
            if isinstance(answer, int) and 200 <= answer < 300:
                return
            time.sleep(self.webhook_retry_delay)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up mid-answer is not this server's news


def _handler(fake: FashnServer):
    class Handler(ScriptedHandler):
        def answer(self, raw):
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            fake.requests.append({"method": self.command, "path": parts.path, "query": query,
                                  "headers": dict(self.headers), "raw": raw})
            return fake.handle(self.command, parts.path, query, self.headers, raw)

    return Handler
