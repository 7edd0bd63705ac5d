"""Replicate's prediction API, and the same API served by a self-hosted Cog container.

Both speak the *prediction* document (`id`, `status`, `output`, `error`, `logs`, `metrics`), read
here once (`prediction_state`). What is followed, and where it is documented:

**Replicate** (https://replicate.com/docs/reference/http)
- Submit: `REPLICATE_MODEL` "owner/name" runs the model's latest version with
  `POST /v1/models/{owner}/{name}/predictions`; a version id (64 hex, or "owner/name:<version>")
  runs that version with `POST /v1/predictions` and `{"version": ...}`. The body is
  `{"input": {...}}`, plus `"webhook"` and `"webhook_events_filter": ["start", "completed"]` when
  jobs report by webhook (https://replicate.com/docs/topics/webhooks/setup-webhook).
  `Authorization: Bearer <REPLICATE_API_TOKEN>`. Replicate takes no client id, so a submit whose
  answer was lost (a timeout) cannot be told from a new one: the retry runs a second prediction.
- Status: `GET /v1/predictions/{id}`; cancel: `POST /v1/predictions/{id}/cancel` (an unknown or
  finished prediction is not an error). Statuses (https://replicate.com/docs/topics/predictions/
  lifecycle): starting → QUEUED, processing → RUNNING, succeeded, failed, canceled, and aborted
  (its deadline passed before it started) → FAILED. Progress is read from the tqdm bar in `logs`
  when the model prints one.
- Outputs: `output` is a URL, a list of URLs or null; files are served by `replicate.delivery` and
  its subdomains (REPLICATE_OUTPUT_HOSTS; no other host is contacted) as signed URLs that expire
  after an hour (https://replicate.com/docs/topics/predictions/output-files), fetched without the
  API token. `metrics.predict_time` (seconds of GPU/CPU time) becomes `compute_seconds`.
  Replicate's API reports no price for a prediction: no cost is recorded (a model's page gives its
  hardware's price per second, which times `compute_seconds` estimates it).
- Webhooks: signed with Standard Webhooks (https://replicate.com/docs/topics/webhooks/
  verify-webhook, https://www.standardwebhooks.com/): headers `webhook-id`, `webhook-timestamp`,
  `webhook-signature`, key `whsec_...` from `GET /v1/webhooks/default/secret`
  (REPLICATE_WEBHOOK_SECRET). Jobs report by webhook only when that key is configured (an
  unverifiable webhook is no news); a message unsigned, wrongly signed or outside the package's
  5-minute tolerance is refused; its `webhook-id` is returned for the core to record, so a replay
  changes nothing. A verified body is the prediction, authoritative as a poll's answer.
- Errors: 401/403 (the token), 422 (the model refused the input: its reason is shown), other 4xx,
  unreadable documents: permanent. 429: rate limited, after its `Retry-After`. 5xx, timeouts:
  transient. Input images go as data URIs, which Replicate recommends below 1 MB
  (https://replicate.com/docs/topics/predictions/input-files).

**Cog** (https://github.com/replicate/cog/blob/main/docs/http.md)
- `COG_URL` is one container, a load balancer in front of a fleet, or a comma-separated list of
  containers (a fleet without a balancer). Each job goes to one container, chosen from the job key
  (so a repeated submit goes to the same container first), the next ones tried in turn when it is
  busy (409) or unreachable. The prediction id is ours, derived from the job key, and names the
  container ("<26 base32 characters>-<index>" in a list): it is the job id, so a webhook (whose
  body carries only the prediction) maps back to the job, and cancel goes where the job runs.
- With a webhook (PUBLIC_BASE_URL): `PUT /predictions/{id}` with `Prefer: respond-async`,
  `webhook` and `webhook_events_filter` (202, then webhooks). PUT is idempotent: a repeated submit
  while the prediction runs returns it instead of starting another. Cog has no GET for a
  prediction ("Polling for prediction status is not currently supported"): `pollable = False`.
  Cog does not sign webhooks: the URL's token (checked by the core) authenticates them, and the
  body is the prediction.
- Without a webhook: the same PUT without `Prefer`, which answers when the prediction ends. The
  worker's lease is not renewed while it waits, so the wait is bounded by 80% of
  WORK_LEASE_SECONDS (another worker may take over after the lease) and by IMAGE_PROVIDER_MAX_WAIT,
  and in any case by OUTBOUND_TIMEOUT (every outbound request's ceiling): a model slower than
  that needs webhooks, or these settings raised. A wait that times out is transient; the retry's
  PUT (same id) joins the prediction if it still runs.
- Cancel: `POST /predictions/{id}/cancel` on the job's container (404: nothing to cancel; a
  synchronous prediction cannot be cancelled, per the docs). 409 (every prediction slot busy) is
  not a failure: the job is tried again later, like a 429. Outputs are data URIs, or URLs on the
  containers' own hosts (a container started with `--upload-url` elsewhere is not supported).

**Input maps** (REPLICATE_INPUT_MAP, COG_INPUT_MAP): which of our request's fields each of the
model's inputs gets, as configuration. A JSON object `{"<model input>": <source>, ...}`; a source
is one of
- `"<field>"`: prompt, negative_prompt, width, height, count, seed, base_image (the subject in the
  shot's framing), product_image (the look's product), product_images (the look's and the outfit's
  products), reference_image (the first set reference), product_category, product_name,
  product_description, background ("#rrggbb"). Images go as data URIs;
- `["<field>", "<field>", ...]`: the first that has a value;
- `{"value": <any JSON>}`: that literal;
- `{"field": "<field>" or [...], "map": {"<value>": <JSON>, ...}, "default": <JSON>}`: the field's
  value translated by `map` (keys compared case-insensitively with the whole value, then with each
  of its words: "Summer Dress" finds "dress"); `default` when the field has no value or `map` does
  not name it (without `default`, an unnamed value is sent as it is).
A field without a value (no subject image, no product) is left out, so the model's default
applies. REPLICATE_INPUT_MAP may also be an object of maps keyed by model ("owner/name": {...}),
and either setting may be the name of a built-in map ("text-to-image", "cuuupid/idm-vton").
Without one, a model with a built-in map uses it, any other the text-to-image map. Both settings
are checked at start-up (shots/apps.py): a map that cannot be read stops the process.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

import httpx
from django.conf import settings
from django.utils.dateparse import parse_datetime
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook, WebhookVerificationError

from sartiq import outbound
from sartiq.config import refuse
from shots.providers.base import (
    CANCELED,
    FAILED,
    MAX_DOCUMENT_BYTES,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    GenerationRequest,
    JobState,
    PermanentProviderError,
    RateLimited,
    RemoteProvider,
    TransientProviderError,
    WebhookRefused,
    data_uri,
    json_document,
    retry_after,
)

logger = logging.getLogger(__name__)

STATUSES = {"starting": QUEUED, "processing": RUNNING, "succeeded": SUCCEEDED, "failed": FAILED,
            "canceled": CANCELED, "aborted": FAILED}
WEBHOOK_EVENTS = ["start", "completed"]  # not "output" or "logs": only the start and the end matter here
MAX_JOB_ID = 255  # Generation.provider_job_id


# --- input maps ---------------------------------------------------------------------------------------
def _first(images: list[bytes]) -> str | None:
    return data_uri(images[0]) if images else None


FIELDS = {
    "prompt": lambda r: r.prompt,
    "negative_prompt": lambda r: r.negative_prompt,
    "width": lambda r: r.width,
    "height": lambda r: r.height,
    "count": lambda r: r.count,
    "seed": lambda r: r.seed,
    "base_image": lambda r: data_uri(r.base_image) if r.base_image else None,
    "product_image": lambda r: _first(r.product_images),
    "product_images": lambda r: [data_uri(image) for image in r.product_images],
    "reference_image": lambda r: _first(r.reference_images),
    "product_category": lambda r: r.product_category,
    "product_name": lambda r: r.product_name,
    "product_description": lambda r: r.product_description,
    "background": lambda r: r.background,
}

TEXT_TO_IMAGE = {"prompt": "prompt", "negative_prompt": "negative_prompt", "width": "width", "height": "height",
                 "num_outputs": "count", "seed": "seed", "image": "base_image"}
# IDM-VTON's inputs (https://replicate.com/cuuupid/idm-vton): the person, the garment, its
# description and its category (upper_body, lower_body or dresses).
IDM_VTON = {
    "human_img": "base_image", "garm_img": "product_image", "garment_des": ["product_description", "product_name"],
    "category": {"field": "product_category", "default": "upper_body", "map": {
        **dict.fromkeys(("dress", "dresses", "gown", "jumpsuit", "jumpsuits", "playsuit", "overall", "overalls"),
                        "dresses"),
        **dict.fromkeys(("trousers", "pants", "jeans", "shorts", "skirt", "skirts", "leggings", "chinos",
                         "bottom", "bottoms"), "lower_body"),
    }},
    "seed": "seed",
}
BUILTIN_MAPS = {"text-to-image": TEXT_TO_IMAGE, "cuuupid/idm-vton": IDM_VTON}
ABSENT = object()


@dataclass(frozen=True)
class Source:
    """Where one model input's value comes from (one entry of an input map)."""

    fields: tuple[str, ...] = ()
    value: object = ABSENT  # a literal
    table: tuple[tuple[str, object], ...] | None = None  # the `map`, keys lowercased, in order
    default: object = ABSENT

    def resolve(self, request: GenerationRequest):
        if self.value is not ABSENT:
            return self.value
        found = next((v for v in (FIELDS[name](request) for name in self.fields) if v not in (None, "", [])), None)
        if found is None:
            return self.default
        if self.table is None:
            return found
        text = str(found).strip().lower()
        words = re.findall(r"[\w-]+", text)
        for key, translated in self.table:
            if key == text:
                return translated
        for key, translated in self.table:
            if key in words:
                return translated
        return found if self.default is ABSENT else self.default


def _fields(value, where: str) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{where}: expected a field name or a list of field names")
    unknown = [n for n in names if n not in FIELDS]
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})")
    return tuple(names)


def read_input_map(data, where: str = "the map") -> dict[str, Source]:
    """An input map (the format in the module's docstring) as Sources; ValueError says what is wrong."""
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{where}: expected a JSON object of model inputs")
    sources = {}
    for name, spec in data.items():
        at = f"{where}, input {name!r}"
        if not name.strip():
            raise ValueError(f"{where}: an input name is empty")
        if isinstance(spec, (str, list)):
            sources[name] = Source(fields=_fields(spec, at))
        elif isinstance(spec, dict) and set(spec) == {"value"}:
            sources[name] = Source(value=spec["value"])
        elif isinstance(spec, dict) and "field" in spec and set(spec) <= {"field", "map", "default"}:
            table = spec.get("map")
            if table is not None and (not isinstance(table, dict) or not all(k.strip() for k in table)):
                raise ValueError(f"{at}: `map` must be an object of values")
            sources[name] = Source(fields=_fields(spec["field"], at), default=spec.get("default", ABSENT),
                                   table=None if table is None else tuple((k.strip().lower(), v)
                                                                         for k, v in table.items()))
        else:
            raise ValueError(f'{at}: expected "<field>", a list of fields, {{"value": ...}} or '
                             '{"field": ..., "map": {...}, "default": ...}')
    return sources


@dataclass(frozen=True)
class ConfiguredMaps:
    single: dict[str, Source] | None  # one map (for the server's model)
    by_model: dict[str, dict[str, Source]]  # maps keyed by "owner/name"


@lru_cache(maxsize=16)
def configured_maps(raw: str, setting: str) -> ConfiguredMaps:
    """A setting's maps: empty; the name of a built-in map; a JSON map; or (REPLICATE_INPUT_MAP)
    a JSON object of maps keyed by "owner/name". ValueError says what is wrong."""
    raw = (raw or "").strip()
    if not raw:
        return ConfiguredMaps(None, {})
    if not raw.startswith("{"):
        if raw not in BUILTIN_MAPS:
            raise ValueError(f"expected a JSON object or the name of a built-in map ({', '.join(BUILTIN_MAPS)})")
        return ConfiguredMaps(read_input_map(BUILTIN_MAPS[raw]), {})
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"not valid JSON ({exc})") from None
    if isinstance(data, dict) and data and all("/" in key for key in data):
        if setting != "REPLICATE_INPUT_MAP":
            raise ValueError("maps keyed by model are for Replicate; a Cog container runs one model")
        return ConfiguredMaps(None, {key: read_input_map(value, f"the map of {key}") for key, value in data.items()})
    return ConfiguredMaps(read_input_map(data), {})


def check_input_maps() -> None:
    """At start-up (shots/apps.py): a map that cannot be read stops the process, saying why."""
    for setting in ("REPLICATE_INPUT_MAP", "COG_INPUT_MAP"):
        raw = getattr(settings, setting, "") or ""
        try:
            configured_maps(raw, setting)
        except ValueError as exc:
            refuse(setting, raw if len(raw) <= 80 else raw[:79] + "…", str(exc))


def model_name(model: str) -> str:
    """The "owner/name" of a Replicate model reference; empty for a bare version id."""
    return model.partition(":")[0] if "/" in model else ""


def model_inputs(mapping: dict[str, Source], request: GenerationRequest) -> dict:
    inputs = {}
    for name, source in mapping.items():
        value = source.resolve(request)
        if value is not ABSENT and value is not None:
            inputs[name] = value
    return inputs


# --- the prediction document ------------------------------------------------------------------------
def output_urls(output, who: str) -> list[str]:
    if output is None:
        return []
    if isinstance(output, str):
        return [output]
    if isinstance(output, list) and all(isinstance(item, str) for item in output):
        return output
    raise PermanentProviderError(f"{who} answered an output that is neither a URL nor a list of URLs")


def _progress(logs) -> int | None:
    """The last percentage of a tqdm bar (" 45%|████▌     | 9/20") in the logs, if any."""
    if not isinstance(logs, str):
        return None
    found = re.findall(r"(\d{1,3})%\|", logs[-4000:])
    return min(99, int(found[-1])) if found else None


def prediction_state(document: dict, who: str, job_id: str | None = None) -> JobState:
    """A prediction document (Replicate's or Cog's) as a JobState; `job_id` when the caller named
    the prediction (Cog), else its `id`. Unreadable documents are permanent errors."""
    if job_id is None:
        job_id = document.get("id")
        if not isinstance(job_id, str) or not job_id.strip() or len(job_id) > MAX_JOB_ID:
            raise PermanentProviderError(f"{who} answered a prediction without a usable id")
    raw_status = document.get("status")
    status = STATUSES.get(raw_status) if isinstance(raw_status, str) else None  # a list is unhashable
    if status is None:
        raise PermanentProviderError(f"{who} answered an unknown prediction status")
    error = document.get("error")
    error = error if isinstance(error, str) and error.strip() else None
    if document.get("status") == "aborted" and error is None:
        error = "the prediction was aborted: its deadline passed before it started"
    metrics = document.get("metrics")
    seconds = metrics.get("predict_time") if isinstance(metrics, dict) else None
    seconds = float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and math.isfinite(
        seconds) and seconds >= 0 else None
    started = document.get("started_at")
    try:
        started = parse_datetime(started) if isinstance(started, str) else None
    except ValueError:
        started = None
    return JobState(
        job_id=job_id, status=status, error=error, compute_seconds=seconds, started_at=started,
        outputs=output_urls(document.get("output"), who) if status == SUCCEEDED else [],
        progress=_progress(document.get("logs")) if status == RUNNING else None,
    )


def input_reason(response: httpx.Response) -> str:
    """Why the model refused its input (422), from Replicate's problem document (`detail`) or
    Cog's validation errors (`detail: [{"loc": [...], "msg": ...}]`), cleaned."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):
        parts = []
        for item in detail[:5]:
            if isinstance(item, dict) and isinstance(item.get("msg"), str):
                loc = item.get("loc")
                where = ".".join(str(p) for p in loc if p != "body") if isinstance(loc, list) else ""
                parts.append(f"{where}: {item['msg']}" if where else item["msg"])
        if parts:
            return outbound.clean("; ".join(parts), 300)
    return outbound.describe(response)


# --- the engines ------------------------------------------------------------------------------------
class PredictionMissing(PermanentProviderError):
    """The engine does not know the prediction, or the model (404)."""


class PredictionProvider(RemoteProvider):
    """What Replicate and Cog share: the prediction document and the reading of their answers."""

    def document_limit(self) -> int:
        # A prediction echoes its input (our images as data URIs) and, from Cog, carries its
        # outputs inline: as large as a webhook body we accept, not a small status document.
        return max(MAX_DOCUMENT_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)

    def refused(self, response: httpx.Response) -> None:
        super().refused(response)
        code = response.status_code
        if code in (401, 403):
            raise PermanentProviderError(f"{self.who} refused our credentials (HTTP {code}): {self.key_hint()}"
                                         f"{', and that it may run the model' if self.key_setting else ''}")
        if code == 404:
            raise PredictionMissing(f"{self.who} refused the request: {outbound.describe(response)}")
        if code == 422:
            raise PermanentProviderError(f"{self.who} refused the model's input: {input_reason(response)}")

    def state(self, response: httpx.Response, job_id: str | None = None) -> JobState:
        return prediction_state(json_document(response.content, self.who), self.who, job_id)


class ReplicateProvider(PredictionProvider):
    engine = "replicate"
    who = "Replicate"
    key_setting = "REPLICATE_API_TOKEN"

    def reference(self) -> tuple[str, str | None]:
        """("owner/name" or "", version id or None) of the configured model."""
        found = re.fullmatch(r"([\w.-]+/[\w.-]+)(?::([0-9a-f]{64}))?|([0-9a-f]{64})", self.model.strip())
        if found is None:
            raise PermanentProviderError(f"The Replicate model {outbound.clean(self.model, 80)!r} is not owner/name "
                                         "or a version id")
        return found.group(1) or "", found.group(2) or found.group(3)

    def input_map(self) -> dict[str, Source]:
        configured = configured_maps(settings.REPLICATE_INPUT_MAP, "REPLICATE_INPUT_MAP")
        name = model_name(self.model)
        if name in configured.by_model:
            return configured.by_model[name]
        if configured.single is not None and (self.model == settings.REPLICATE_MODEL
                                              or (name and name == model_name(settings.REPLICATE_MODEL))):
            return configured.single
        return read_input_map(BUILTIN_MAPS.get(name, TEXT_TO_IMAGE))

    def submit(self, request: GenerationRequest, *, job_key: str, webhook_url: str | None) -> JobState:
        name, version = self.reference()
        body = {"input": model_inputs(self.input_map(), request)}
        if version:
            url, body["version"] = f"{self.base_url}/v1/predictions", version
        else:
            url = f"{self.base_url}/v1/models/{name}/predictions"
        if webhook_url:
            body["webhook"], body["webhook_events_filter"] = webhook_url, WEBHOOK_EVENTS
        with self.client() as client:
            try:
                return self.state(self.call(client, "POST", url, json=body))
            except PredictionMissing as exc:
                raise PermanentProviderError(f"Replicate has no model {outbound.clean(self.model, 120)} that this "
                                             "token may run (HTTP 404)") from exc

    def _url(self, job_id: str, action: str = "") -> str:
        return f"{self.base_url}/v1/predictions/{quote(job_id, safe='')}{action}"

    def status(self, job_id: str) -> JobState:
        with self.client() as client:
            return self.state(self.call(client, "GET", self._url(job_id)))

    def cancel(self, job_id: str) -> None:
        with self.client() as client:
            try:
                self.call(client, "POST", self._url(job_id, "/cancel"))
            except PredictionMissing:
                pass  # gone (predictions are kept an hour) or never ours: nothing runs

    def webhooks_enabled(self) -> bool:
        return bool(self.config.webhook_secret)

    def verify_webhook(self, body: bytes, headers) -> str | None:
        if not self.config.webhook_secret:
            raise WebhookRefused("Invalid webhook: no Replicate webhook secret is configured to verify it")
        lowered = {str(k).lower(): v for k, v in headers.items()}
        try:
            Webhook(self.config.webhook_secret).verify(body, lowered, json_parse=False)
        except WebhookVerificationError as exc:
            if "Missing" in str(exc):
                raise WebhookRefused("Invalid webhook: it is not signed") from exc
            if "too old" in str(exc) or "too new" in str(exc):
                raise WebhookRefused("Invalid webhook: its timestamp is outside the accepted 5 minutes") from exc
            raise WebhookRefused("Invalid webhook: the signature does not match") from exc
        except (EmptyWebhookSecretError, ValueError, TypeError) as exc:  # malformed headers, body or key
            raise WebhookRefused("Invalid webhook: the signature does not match") from exc
        return lowered["webhook-id"]

    def parse_webhook(self, body: bytes) -> JobState | None:
        try:
            return prediction_state(json_document(body, self.who), self.who)
        except PermanentProviderError:
            return None  # signed but unreadable: ask the API instead

    def output_hosts(self) -> list[str]:
        return list(settings.REPLICATE_OUTPUT_HOSTS)


def cog_prediction_id(job_key: str, container: int | None) -> str:
    """Our id of a job's prediction: 26 base32 characters derived from the job key (stable across
    retries, as Cog's docs recommend), with the container's index in a list of containers."""
    digest = hashlib.sha256(f"sartiq-generation:{job_key}".encode()).digest()[:16]
    derived = base64.b32encode(digest).decode().lower().rstrip("=")
    return derived if container is None else f"{derived}-{container}"


def cog_container_of(job_id: str) -> int:
    found = re.fullmatch(r"[a-z2-7]{26}-(\d{1,4})", job_id)
    return int(found.group(1)) if found else 0


class CogBusy(RateLimited):
    """Every prediction slot of the container is taken (409): not a failure, try again later."""


class CogProvider(PredictionProvider):
    engine = "cog"
    who = "The Cog container"
    pollable = False  # no GET for a prediction: its end comes by webhook (or in the synchronous answer)

    def configured_urls(self) -> list[str]:
        return [url.strip() for url in self.config.base_url.split(",") if url.strip()]

    def containers(self) -> list[str]:
        found = [url.strip().rstrip("/") for url in self.config.base_url.split(",") if url.strip()]
        if not found:
            raise PermanentProviderError("No Cog container is configured (COG_URL)")
        return found

    def input_map(self) -> dict[str, Source]:
        configured = configured_maps(settings.COG_INPUT_MAP, "COG_INPUT_MAP")
        return configured.single if configured.single is not None else read_input_map(TEXT_TO_IMAGE)

    def refused(self, response: httpx.Response) -> None:
        if response.status_code == 409:
            raise CogBusy(f"{self.who} is busy with another prediction (HTTP 409)", retry_after(response))
        super().refused(response)

    @staticmethod
    def synchronous_timeout() -> float:
        """How long a synchronous prediction may take: within the claim's lease (not renewed while
        waiting) and the job's deadline; OUTBOUND_TIMEOUT caps it further."""
        return max(1.0, min(settings.IMAGE_PROVIDER_MAX_WAIT, 0.8 * settings.WORK_LEASE_SECONDS))

    def submit(self, request: GenerationRequest, *, job_key: str, webhook_url: str | None) -> JobState:
        body = {"input": model_inputs(self.input_map(), request)}
        headers = {}
        if webhook_url:
            body["webhook"], body["webhook_events_filter"] = webhook_url, WEBHOOK_EVENTS
            headers["Prefer"] = "respond-async"
        containers = self.containers()
        first = int(hashlib.sha256(job_key.encode()).hexdigest()[:8], 16) % len(containers)
        failure = None
        with self.client(None if webhook_url else self.synchronous_timeout()) as client:
            for step in range(len(containers)):
                index = (first + step) % len(containers)
                job_id = cog_prediction_id(job_key, index if len(containers) > 1 else None)
                try:
                    response = self.call(client, "PUT", f"{containers[index]}/predictions/{job_id}", json=body,
                                         headers=headers)
                except CogBusy as exc:
                    failure = exc
                    continue
                except TransientProviderError as exc:
                    cause = exc.__cause__
                    unreachable = isinstance(cause, outbound.OutboundUnavailable) and not isinstance(
                        cause, outbound.OutboundTimeout)
                    if not unreachable or len(containers) == 1:
                        raise
                    failure = failure if isinstance(failure, CogBusy) else exc  # busy says more than down
                    continue
                return self.state(response, job_id)
        if isinstance(failure, CogBusy):
            raise CogBusy(f"Every Cog container is busy ({len(containers)} tried)", failure.retry_after)
        raise failure

    def status(self, job_id: str) -> JobState:
        raise PermanentProviderError("A Cog container cannot be asked for a prediction: it reports by webhook")

    def cancel(self, job_id: str) -> None:
        containers = self.containers()
        index = cog_container_of(job_id)
        if index >= len(containers):
            logger.warning("Cog job %s was sent to container %s, which COG_URL no longer lists", job_id, index)
            return
        with self.client() as client:
            try:
                self.call(client, "POST", f"{containers[index]}/predictions/{quote(job_id, safe='')}/cancel")
            except PredictionMissing:
                pass  # finished, or started synchronously (which cannot be cancelled)

    def parse_webhook(self, body: bytes) -> JobState | None:
        # Unsigned: the URL token the core checked authenticates the body, which is the only news
        # there is (no GET to ask instead).
        try:
            return prediction_state(json_document(body, self.who), self.who)
        except PermanentProviderError as exc:
            raise WebhookRefused(f"Invalid webhook: {exc}") from exc

    def output_hosts(self) -> list[str]:
        hosts = []
        for url in self.containers():
            parts = urlsplit(url)
            if parts.hostname and ":" in parts.hostname:
                hosts.append(parts.hostname)  # an IPv6 literal: `host_listed` reads no port after it
            elif parts.hostname:
                hosts.append(f"{parts.hostname}:{parts.port or {'http': 80, 'https': 443}.get(parts.scheme, 443)}")
        return hosts
