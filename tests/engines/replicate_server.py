"""Real local HTTP servers speaking Replicate's prediction API and a Cog container's, statefully.

`ReplicateServer` (https://replicate.com/docs/reference/http): predictions created by model
(`POST /v1/models/{owner}/{name}/predictions`) or by version (`POST /v1/predictions`), read
(`GET /v1/predictions/{id}`) and cancelled (`POST /v1/predictions/{id}/cancel`), behind a bearer
token. A prediction moves starting → processing → its outcome one step per read (or by itself
after `run_seconds`); outputs are real PNGs served from this server's own host (standing in for
replicate.delivery: signed, expiring URLs that need no token, which a client must not send
there). Webhooks go to the prediction's `webhook` for the events
of its `webhook_events_filter`, signed with `standardwebhooks` exactly as Replicate signs them,
resent (same `webhook-id`) while the receiver answers 5xx. Scripted trouble: 429s with
Retry-After, 5xx, input validation (422); `hold` keeps predictions processing (a job to cancel).
Every request is recorded in `requests`, with the time it arrived (`at`, monotonic seconds).

`CogServer` (https://github.com/replicate/cog/blob/main/docs/http.md): one container with one
prediction slot: `PUT /predictions/{id}` (idempotent) and `POST /predictions`, synchronous or with
`Prefer: respond-async` (202, then unsigned webhooks), `POST /predictions/{id}/cancel`, 409 while
the slot is busy with another prediction, outputs as data URIs. No GET of a prediction, as in Cog.
"""
from __future__ import annotations

import base64
import io
import json
import random
import string
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer

import httpx
from PIL import Image
from standardwebhooks.webhooks import Webhook

from tests.fake_http import ScriptedHandler, json_or_raw

VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
SECRET = "whsec_" + base64.b64encode(b"sartiq-test-replicate-webhook-key").decode()
TOKEN = "r8_test_token"


def png(size=(64, 80), colour=(30, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def signed_headers(body: str, secret: str = SECRET, msg_id: str | None = None,
                   timestamp: datetime | None = None) -> dict:
    """The Standard Webhooks headers Replicate sends with `body`."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = timestamp or datetime.now(timezone.utc)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, timestamp, body), "content-type": "application/json"}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class _Server:
    """A threaded HTTP server on 127.0.0.1 whose `handle(request)` answers (status, body, headers)."""

    def __init__(self, port: int = 0):
        self.requests: list[dict] = []
        self.lock = threading.RLock()
        server = self

        class Handler(ScriptedHandler):
            def answer(self, raw):
                request = {"method": self.command, "path": self.path.split("?")[0], "headers": dict(self.headers),
                           "body": json_or_raw(raw), "at": time.monotonic()}
                server.requests.append(request)
                return server.handle(request)

        # `port` 0: any free one; a fixed one for a worker configured before the server starts.
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.allowed = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.allowed}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.deliveries: list[dict] = []  # webhooks sent: event, status, attempt
        self.stopped = threading.Event()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request):
        raise NotImplementedError

    def _deliver(self, url: str, event: str, prediction: dict, sign, attempts: int = 20):
        """POST the prediction to `url` (in a thread), again while the receiver answers 5xx or
        cannot be reached, as the engines do."""
        def send():
            msg_id = f"msg_{uuid.uuid4().hex}"
            for attempt in range(attempts):
                if self.stopped.is_set():
                    return
                body = json.dumps(prediction)
                try:
                    response = httpx.post(url, content=body, headers=sign(body, msg_id), timeout=10)
                    status = response.status_code
                    detail = response.json().get("detail") if response.content.startswith(b"{") else None
                except httpx.HTTPError as exc:
                    status, detail = None, exc.__class__.__name__
                self.deliveries.append({"event": event, "status": status, "detail": detail, "attempt": attempt,
                                        "id": prediction["id"], "msg_id": msg_id})
                if status is not None and status < 500:
                    return
                time.sleep(0.3)

        threading.Thread(target=send, daemon=True).start()


class ReplicateServer(_Server):
    def __init__(self, *, token: str = TOKEN, secret: str = SECRET, models=("acme/studio",), versions=(VERSION,),
                 steps=("starting", "processing"), outcome: str = "succeeded", error: str = "CUDA out of memory",
                 outputs: int | None = None, single_output: bool = False, predict_time: float = 3.25,
                 required=(), run_seconds: float | None = None, webhook_on_poll: bool = False,
                 hold: bool = False, port: int = 0):
        super().__init__(port)
        self.token, self.secret = token, secret
        self.models, self.versions, self.required = set(models), set(versions), set(required)
        self.steps, self.outcome, self.error = list(steps), outcome, error
        self.outputs, self.single_output, self.predict_time = outputs, single_output, predict_time
        self.run_seconds = run_seconds  # None: a prediction moves one step per GET
        self.webhook_on_poll = webhook_on_poll  # the completed webhook fires as a GET sees the end
        self.hold = hold  # predictions read by GET stay processing while set
        self.output_base: str | None = None  # where output URLs point (default: this server)
        self.predictions: dict[str, dict] = {}
        self.created: list[tuple[str, str]] = []  # ("model" | "version", prediction id)
        self.cancels: list[str] = []
        self.rate_limits, self.retry_after, self.failures = 0, "1", 0  # the next N API requests: 429 / 503
        self.images: dict[tuple[str, int], bytes] = {}

    # --- scripting ---------------------------------------------------------------------------------
    def rate_limit(self, times: int, retry_after: str = "1"):
        self.rate_limits, self.retry_after = times, retry_after

    def fail(self, times: int):
        self.failures = times

    def webhook(self, prediction_id: str, secret: str | None = None, msg_id: str | None = None,
                timestamp: datetime | None = None) -> tuple[bytes, dict]:
        """The body and headers of the webhook Replicate would send now for the prediction."""
        body = json.dumps(self.predictions[prediction_id])
        return body.encode(), signed_headers(body, secret or self.secret, msg_id, timestamp)

    def finish(self, prediction_id: str):
        """Move the prediction to its outcome at once."""
        with self.lock:
            prediction = self.predictions[prediction_id]
            while prediction["status"] not in ("succeeded", "failed", "canceled"):
                self._advance(prediction)

    # --- the API -------------------------------------------------------------------------------------
    def handle(self, request):
        method, path = request["method"], request["path"]
        if path.startswith("/files/"):
            return self._file(request)
        if request["headers"].get("Authorization") != f"Bearer {self.token}":
            return 401, {"title": "Unauthenticated", "detail": "You did not pass a valid authentication token",
                         "status": 401}, {}
        with self.lock:
            if self.rate_limits:
                self.rate_limits -= 1
                return 429, {"title": "Too Many Requests", "detail": "Request was throttled.", "status": 429}, {
                    "Retry-After": self.retry_after}
            if self.failures:
                self.failures -= 1
                return 503, b"<html>upstream unavailable</html>", {"Content-Type": "text/html"}
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 5 and parts[:2] == ["v1", "models"] and parts[4] == "predictions":
            model = f"{parts[2]}/{parts[3]}"
            if model not in self.models:
                return 404, {"title": "Not found", "detail": "The requested resource could not be found.",
                             "status": 404}, {}
            return self._create(request, "model", model, None)
        if method == "POST" and parts == ["v1", "predictions"]:
            version = (request["body"] or {}).get("version") if isinstance(request["body"], dict) else None
            if version not in self.versions:
                return 422, {"title": "Invalid version", "detail": "Invalid version or not permitted",
                             "status": 422}, {}
            return self._create(request, "version", "acme/studio", version)
        if len(parts) >= 3 and parts[:2] == ["v1", "predictions"]:
            with self.lock:
                prediction = self.predictions.get(parts[2])
                if prediction is None:
                    return 404, {"title": "Not found", "detail": "Not found.", "status": 404}, {}
                if method == "GET" and len(parts) == 3:
                    held = self.hold and prediction["status"] == "processing"
                    if self.run_seconds is None and not held and prediction["status"] not in (
                            "succeeded", "failed", "canceled"):
                        self._advance(prediction, on_poll=True)
                    return 200, dict(prediction), {}
                if method == "POST" and len(parts) == 4 and parts[3] == "cancel":
                    self.cancels.append(parts[2])
                    if prediction["status"] in ("starting", "processing"):
                        prediction.update(status="canceled", completed_at=_now())
                        self._notify(prediction, "completed")
                    return 200, dict(prediction), {}
        return 404, {"detail": "Not found."}, {}

    def _create(self, request, how: str, model: str, version: str | None):
        body = request["body"]
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return 422, {"title": "Input validation failed", "detail": "- input is required", "status": 422}, {}
        missing = sorted(self.required - set(body["input"]))
        if missing:
            return 422, {"title": "Input validation failed", "status": 422,
                         "detail": "\n".join(f"- input: {name} is required" for name in missing),
                         "invalid_fields": [{"type": "required", "field": "input", "description":
                                             f"{name} is required"} for name in missing]}, {}
        prediction_id = "".join(random.choices(string.ascii_lowercase + string.digits, k=26))
        prediction = {
            "id": prediction_id, "model": model, "version": version or VERSION, "input": body["input"], "logs": "",
            "output": None, "error": None, "status": self.steps[0], "created_at": _now(), "started_at": None,
            "completed_at": None, "data_removed": False, "metrics": {}, "source": "api",
            "urls": {"get": f"{self.url}/v1/predictions/{prediction_id}",
                     "cancel": f"{self.url}/v1/predictions/{prediction_id}/cancel"},
        }
        if body.get("webhook"):
            prediction["webhook"] = body["webhook"]
            prediction["webhook_events_filter"] = body.get("webhook_events_filter") or ["start", "output", "logs",
                                                                                         "completed"]
        with self.lock:
            self.predictions[prediction_id] = prediction
            self.created.append((how, prediction_id))
            self._notify(prediction, "start")
        if self.run_seconds is not None:
            threading.Thread(target=self._run, args=(prediction_id,), daemon=True).start()
        return 201, dict(prediction), {}

    def _run(self, prediction_id: str):
        time.sleep(self.run_seconds)
        with self.lock:
            prediction = self.predictions[prediction_id]
            while prediction["status"] not in ("succeeded", "failed", "canceled"):
                self._advance(prediction)

    def _advance(self, prediction: dict, on_poll: bool = False):
        """The next status: the remaining steps, then the outcome (its outputs, error, metrics)."""
        position = self.steps.index(prediction["status"]) if prediction["status"] in self.steps else len(self.steps)
        if position + 1 < len(self.steps):
            prediction["status"] = self.steps[position + 1]
            if prediction["status"] == "processing":
                prediction["started_at"] = _now()
                prediction["logs"] = "Using seed: 42\n 45%|████▌     | 9/20 [00:01<00:01,  8.1it/s]"
            return
        prediction.update(status=self.outcome, completed_at=_now(), metrics={"predict_time": self.predict_time})
        prediction["started_at"] = prediction["started_at"] or _now()
        if self.outcome == "succeeded":
            count = self.outputs or int(prediction["input"].get("num_outputs") or 1)
            base = self.output_base or self.url
            urls = []
            for index in range(count):
                self.images[(prediction["id"], index)] = png(colour=(30 + 40 * index, 120, 200))
                urls.append(f"{base}/files/{prediction['id']}/out-{index}.png")
            prediction["output"] = urls[0] if self.single_output else urls
        elif self.outcome == "failed":
            prediction["error"] = self.error
        if not on_poll or self.webhook_on_poll:
            self._notify(prediction, "completed")

    def _notify(self, prediction: dict, event: str):
        if prediction.get("webhook") and event in prediction.get("webhook_events_filter", ()):
            self._deliver(prediction["webhook"], event, dict(prediction),
                          lambda body, msg_id: signed_headers(body, self.secret, msg_id))

    def _file(self, request):
        if "Authorization" in request["headers"]:  # the API token has no business on the CDN
            return 400, {"detail": "A delivery URL takes no credentials"}, {}
        try:
            _, _, prediction_id, name = request["path"].split("/")
            data = self.images[(prediction_id, int(name.removeprefix("out-").removesuffix(".png")))]
        except (ValueError, KeyError):
            return 404, {"detail": "Not found"}, {}
        return 200, data, {"Content-Type": "image/png"}


class CogServer(_Server):
    """One Cog container with one prediction slot."""

    def __init__(self, *, run_seconds: float = 0.2, outcome: str = "succeeded", error: str = "model crashed",
                 outputs: int = 1, required=(), colour=(200, 80, 40)):
        super().__init__()
        self.run_seconds, self.outcome, self.error = run_seconds, outcome, error
        self.outputs, self.required, self.colour = outputs, set(required), colour
        self.predictions: dict[str, dict] = {}
        self.running: str | None = None  # the prediction in the slot
        self.done = threading.Condition(self.lock)
        self.cancels: list[str] = []

    def occupy(self, prediction_id: str = "someone-else"):
        """Another client's prediction takes the slot (until `release()`)."""
        with self.lock:
            self.running = prediction_id

    def release(self):
        with self.lock:
            self.running = None
            self.done.notify_all()

    def handle(self, request):
        method, parts = request["method"], request["path"].strip("/").split("/")
        if parts[0] != "predictions":
            return 404, {"detail": "Not Found"}, {}
        if method == "POST" and len(parts) == 3 and parts[2] == "cancel":
            with self.lock:
                prediction = self.predictions.get(parts[1])
                self.cancels.append(parts[1])
                if prediction is None or not prediction.get("async") or self.running != parts[1]:
                    return 404, {"detail": "Not Found"}, {}
                prediction.update(status="canceled", completed_at=_now())
                self.running = None
                self.done.notify_all()
                self._notify(prediction, "completed")
                return 200, {}, {}
        body = request["body"]
        if method == "PUT" and len(parts) == 2:
            prediction_id = parts[1]
        elif method == "POST" and len(parts) == 1:
            prediction_id = (body or {}).get("id") if isinstance(body, dict) else None
            prediction_id = prediction_id or uuid.uuid4().hex
        else:
            return 405, {"detail": "Method Not Allowed"}, {}
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return 422, {"detail": [{"loc": ["body", "input"], "msg": "field required", "type": "missing"}]}, {}
        missing = sorted(self.required - set(body["input"]))
        if missing:
            return 422, {"detail": [{"loc": ["body", "input", name], "msg": "Field required", "type": "missing"}
                                    for name in missing]}, {}
        respond_async = request["headers"].get("Prefer") == "respond-async"
        with self.lock:
            if self.running is not None and self.running != prediction_id:
                return 409, {"detail": "Already running a prediction"}, {}
            prediction = self.predictions.get(prediction_id)
            if prediction is None or self.running != prediction_id:
                prediction = {"id": prediction_id, "input": body["input"], "output": None, "error": None,
                              "logs": "", "status": "starting", "created_at": _now(), "started_at": None,
                              "completed_at": None, "metrics": {}, "async": respond_async,
                              "webhook": body.get("webhook"),
                              "webhook_events_filter": body.get("webhook_events_filter") or
                              ["start", "output", "logs", "completed"]}
                self.predictions[prediction_id] = prediction
                self.running = prediction_id
                self._notify(prediction, "start")
                threading.Thread(target=self._run, args=(prediction,), daemon=True).start()
            if respond_async:
                return 202, self._public(prediction), {}
            while prediction["status"] not in ("succeeded", "failed", "canceled"):
                self.done.wait(timeout=60)
            return 200, self._public(prediction), {}

    def _run(self, prediction: dict):
        with self.lock:
            prediction.update(status="processing", started_at=_now())
        time.sleep(self.run_seconds)
        with self.lock:
            if prediction["status"] == "canceled":
                return
            prediction.update(status=self.outcome, completed_at=_now(), metrics={"predict_time": self.run_seconds})
            if self.outcome == "succeeded":
                uris = [f"data:image/png;base64,{base64.b64encode(png(colour=self.colour)).decode()}"
                        for _ in range(self.outputs)]
                prediction["output"] = uris[0] if self.outputs == 1 else uris
            else:
                prediction["error"] = self.error
            if self.running == prediction["id"]:
                self.running = None
            self.done.notify_all()
            self._notify(prediction, "completed")

    @staticmethod
    def _public(prediction: dict) -> dict:
        return {k: v for k, v in prediction.items() if k != "async"}

    def _notify(self, prediction: dict, event: str):
        if prediction.get("webhook") and event in prediction["webhook_events_filter"]:
            self._deliver(prediction["webhook"], event, self._public(prediction),
                          lambda body, msg_id: {"content-type": "application/json"})
