"""FASHN's hosted API: fashion models that dress a person in a product (issue 14).

The protocol, from FASHN's public documentation:
- Submit: `POST {FASHN_BASE_URL}/run` with `{"model_name": ..., "inputs": {...}}` and
  `Authorization: Bearer <key>`, `?webhook_url=` for push completion; the answer is
  `{"id": ..., "error": null}`, and an `error` there means the job was refused
  (https://docs.fashn.ai/api-overview/api-fundamentals).
- Status: `GET /status/{id}`; `status` is `starting | in_queue | processing | completed | failed`
  (the official SDKs also know `canceled` and `time_out`), `output` a list of image URLs on FASHN's
  CDN, `error` `{"name", "message"}` when it failed. The credits a job cost come in the
  `x-fashn-credits-used` header, where the official SDKs read them (failed jobs are not charged).
- Errors (https://docs.fashn.ai/api-overview/error-handling): `{"error": <code>, "message": ...}`
  with 400 BadRequest, 401 UnauthorizedAccess, 404 NotFound, 429 RateLimitExceeded /
  ConcurrencyLimitExceeded / OutOfCredits, 500 InternalServerError. Runtime failures are a
  `failed` status (ImageLoadError, ContentModerationError, PoseError, PipelineError...).
- Webhooks (https://docs.fashn.ai/api-overview/webhooks): the status payload is POSTed to
  `webhook_url` when the job ends, retried up to 5 times within about 5 minutes on a non-2xx
  answer. They are not signed: the docs leave verification to the receiver. Our URL's token
  (checked by shots/generation.py) proves we made the URL, but its body could be anyone's, so
  `parse_webhook` returns None and the job's end is read from `status()` (which also carries the
  credits).
- Cancel: FASHN documents no way to cancel a job (its SDKs say so too): `cancel` does nothing.

Which model serves a request (`MODELS`; FASHN_MODEL picks one for every request when set):
- a product image and the subject's base image for the shot type: virtual try-on, `tryon-v1.6`
  (https://docs.fashn.ai/api-reference/tryon-v1-6), the garment's `category` from the product's;
- a product image and no subject image: `product-to-model`, a new person wearing the product
  from our prompt (https://docs.fashn.ai/api-reference/product-to-model);
- no product image (a subject's base image, for instance): `face-to-model` from the subject's
  portrait, or `model-create` from the prompt alone (https://docs.fashn.ai/api-reference/model-create).
`tryon-max` (https://docs.fashn.ai/api-reference/tryon-max) is FASHN's premium try-on, chosen by
FASHN_MODEL. Images go inline as base64 data URIs; outputs are PNG, fetched only from
FASHN_OUTPUT_HOSTS (its CDN) and the API's own host.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import quote, urlsplit

from django.conf import settings

from sartiq import outbound
from shots.providers.base import (
    CANCELED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    GenerationRequest,
    JobState,
    PermanentProviderError,
    RateLimited,
    RemoteProvider,
    data_uri,
    retry_after,
)

TRY_ON, TRY_ON_MAX, PRODUCT_TO_MODEL = "tryon-v1.6", "tryon-max", "product-to-model"
FACE_TO_MODEL, MODEL_CREATE = "face-to-model", "model-create"

# FASHN's statuses; one it adds later is read as still running (IMAGE_PROVIDER_MAX_WAIT bounds it).
STATUSES = {"starting": QUEUED, "in_queue": QUEUED, "processing": RUNNING, "completed": SUCCEEDED,
            "failed": FAILED, "canceled": CANCELED, "time_out": FAILED}
CREDITS_HEADER = "x-fashn-credits-used"

RATIOS = ("1:1", "2:3", "3:4", "4:5", "5:4", "4:3", "3:2", "16:9", "9:16")
VERTICAL_RATIOS = ("1:1", "4:5", "3:4", "2:3", "9:16")
MAX_IMAGES = 4  # images of one job (tryon-v1.6's num_samples goes to 4)
MAX_SEED = 2**32 - 1
MAX_PROMPT = 1000


@dataclass(frozen=True)
class FashnModel:
    """How one FASHN model takes our request: the inputs our images go in, and which of our
    parameters it lists (an input its docs do not list is never sent)."""

    subject: str | None = None  # the input of the subject's image
    subject_required: bool = False
    product: str | None = None  # the input of the product's image (required when named)
    category: bool = False  # a garment `category` (tops, bottoms, one-pieces, auto)
    prompt: bool = False  # our prompt, as `prompt`
    count: str | None = None  # the input saying how many images to make
    ratios: tuple[str, ...] = ()  # `aspect_ratio` from the look's size, when there is no subject image


MODELS = {
    TRY_ON: FashnModel(subject="model_image", subject_required=True, product="garment_image", category=True,
                       count="num_samples"),
    TRY_ON_MAX: FashnModel(subject="model_image", subject_required=True, product="product_image",
                           count="num_images"),
    PRODUCT_TO_MODEL: FashnModel(subject="model_image", product="product_image", prompt=True, ratios=RATIOS),
    FACE_TO_MODEL: FashnModel(subject="face_image", subject_required=True, prompt=True, count="num_images",
                              ratios=VERTICAL_RATIOS),
    MODEL_CREATE: FashnModel(prompt=True, count="num_images", ratios=RATIOS),
}

# A product's category (free text in the catalog, or a placement name) → FASHN's garment category,
# by its words; the last word that names one wins ("dress shirt" is a top, "shirt dress" a dress).
CATEGORIES = {
    "tops": ("top", "tops", "shirt", "shirts", "t-shirt", "t-shirts", "tee", "tees", "blouse", "blouses",
             "sweater", "sweaters", "jumper", "jumpers", "hoodie", "hoodies", "sweatshirt", "sweatshirts",
             "cardigan", "cardigans", "jacket", "jackets", "coat", "coats", "blazer", "blazers", "polo",
             "polos", "tank", "tanks", "camisole", "knitwear", "outerwear", "vest", "vests", "parka"),
    "bottoms": ("bottom", "bottoms", "pants", "trousers", "jeans", "shorts", "skirt", "skirts", "leggings",
                "joggers", "chinos", "culottes", "sweatpants"),
    "one-pieces": ("dress", "dresses", "gown", "gowns", "jumpsuit", "jumpsuits", "romper", "rompers",
                   "playsuit", "playsuits", "overalls", "dungarees", "bodysuit", "swimsuit", "one-piece",
                   "one-pieces", "full-body"),
}
CATEGORY_OF_WORD = {word: category for category, words in CATEGORIES.items() for word in words}


def garment_category(product_category: str | None) -> str:
    """FASHN's category for a product's: "auto" (FASHN decides) when no word names one."""
    found = "auto"
    for word in re.findall(r"[a-z]+(?:-[a-z]+)*", (product_category or "").lower().replace("_", "-")):
        found = CATEGORY_OF_WORD.get(word, found)
    return found


def aspect_ratio(width: int, height: int, ratios: tuple[str, ...]) -> str:
    """The ratio of `ratios` closest to width:height."""
    def distance(ratio: str) -> float:
        w, h = (int(part) for part in ratio.split(":"))
        return abs(math.log((width / height) / (w / h)))
    return min(ratios, key=distance)


class FashnProvider(RemoteProvider):
    engine = "fashn"
    who = "FASHN"
    key_setting = "FASHN_API_KEY"

    def __init__(self, config):
        super().__init__(config)
        self.chosen = ""  # the model of the last submit (FASHN_MODEL, or chosen per request)

    @property
    def model(self) -> str:
        return self.chosen or self.config.model

    # --- submit -------------------------------------------------------------------------------------
    def choose(self, request: GenerationRequest) -> str:
        """FASHN_MODEL, or the model that fits what the request has (module docstring)."""
        if self.config.model:
            return self.config.model
        if request.product_images:
            return TRY_ON if request.base_image else PRODUCT_TO_MODEL
        return FACE_TO_MODEL if request.base_image else MODEL_CREATE

    def inputs(self, name: str, request: GenerationRequest) -> dict:
        """The `inputs` of model `name` for `request`; PermanentProviderError when it lacks one."""
        model = MODELS.get(name)
        if model is None:
            raise PermanentProviderError(f"FASHN_MODEL={outbound.clean(name, 60)!r} is not a model this engine "
                                         f"maps: use one of {', '.join(MODELS)}")
        inputs: dict = {"output_format": "png", "seed": request.seed % (MAX_SEED + 1)}
        if model.product:
            if not request.product_images:
                raise PermanentProviderError(f"FASHN's {name} needs a product image: the look's product has none")
            inputs[model.product] = data_uri(request.product_images[0])
        if model.subject and request.base_image:
            inputs[model.subject] = data_uri(request.base_image)
        elif model.subject_required:
            raise PermanentProviderError(f"FASHN's {name} needs the subject's image: the look's subject has no "
                                         f"base image for the shot type")
        if model.category:
            inputs["category"] = garment_category(request.product_category)
        prompt = request.prompt.strip()[:MAX_PROMPT]
        if model.prompt and prompt:
            inputs["prompt"] = prompt
        if name == MODEL_CREATE and not prompt:
            raise PermanentProviderError("FASHN's model-create needs a prompt")
        if model.count:
            inputs[model.count] = max(1, min(MAX_IMAGES, request.count))
        if model.ratios and model.subject not in inputs:
            inputs["aspect_ratio"] = aspect_ratio(request.width, request.height, model.ratios)
        return inputs

    def submit(self, request: GenerationRequest, *, job_key: str, webhook_url: str | None) -> JobState:
        """FASHN takes no client id: `job_key` cannot make a repeated submit harmless (the worker
        records the job id under its claim, so only a worker dying right after the submit repeats it)."""
        name = self.choose(request)
        body = {"model_name": name, "inputs": self.inputs(name, request)}
        with self.client() as client:
            response = self.call(client, "POST", f"{self.base_url}/run", json=body,
                                 params={"webhook_url": webhook_url} if webhook_url else None)
        answer = self.json(response)
        if answer.get("error"):
            raise PermanentProviderError(f"FASHN refused the job: {error_text(answer['error']) or 'no reason given'}")
        job_id = answer.get("id")
        if not isinstance(job_id, str) or not job_id.strip() or len(job_id) > 255:
            raise PermanentProviderError("FASHN answered a job without an id")
        self.chosen = name
        return JobState(job_id, QUEUED)

    # --- status ------------------------------------------------------------------------------------
    def status(self, job_id: str) -> JobState:
        with self.client() as client:
            response = self.call(client, "GET", f"{self.base_url}/status/{quote(job_id, safe='')}")
        answer = self.json(response)
        status = answer.get("status")
        if not isinstance(status, str):
            raise PermanentProviderError("FASHN answered a job status without a status")
        state = JobState(job_id, STATUSES.get(status, RUNNING))
        if state.status == SUCCEEDED:
            output = answer.get("output")
            if not isinstance(output, list):
                raise PermanentProviderError("FASHN answered a completed job whose output is not a list")
            state.outputs = output
        elif state.status == FAILED:
            state.error = error_text(answer.get("error")) or ("the job timed out" if status == "time_out" else None)
        state.cost = credits(response.headers.get(CREDITS_HEADER))
        state.cost_unit = "credits" if state.cost is not None else ""
        return state

    def cancel(self, job_id: str) -> None:
        """FASHN documents no way to stop a job: it runs to its end at FASHN (and is charged if it
        completes). The generation is cancelled on our side all the same: its worker stops, and
        neither a poll nor a webhook of the job writes a result."""
        return None

    # --- webhooks ------------------------------------------------------------------------------------
    def parse_webhook(self, body: bytes) -> JobState | None:
        """FASHN does not sign its webhooks: the body is a hint, `status()` says what happened."""
        return None

    def output_hosts(self) -> list[str]:
        """FASHN's CDN (FASHN_OUTPUT_HOSTS) and the API's own host."""
        parts = urlsplit(self.base_url)
        api_host = f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or "")
        return [*settings.FASHN_OUTPUT_HOSTS, *([api_host] if api_host else [])]

    # --- requests ----------------------------------------------------------------------------------
    def refused(self, response) -> None:
        """FASHN's codes read: a refused key says so, and a 429 that means the account has no
        credits left fails instead of waiting (it is no rate limit)."""
        if response.status_code in (401, 403):
            raise PermanentProviderError(f"FASHN refused the API key ({outbound.describe(response)}): "
                                         f"{self.key_hint()}")
        if response.status_code == 429:
            code = error_code(response)
            if code == "OutOfCredits":
                raise PermanentProviderError("FASHN refused the job: the account has no API credits left "
                                             "(HTTP 429 OutOfCredits)")
            raise RateLimited(f"FASHN is rate limiting requests (HTTP 429{' ' + code if code else ''})",
                              retry_after(response))


def error_text(error) -> str | None:
    """FASHN's `error`: a `{"name", "message"}` object (a job's failure) or a string (a refusal),
    cleaned for tenants to read."""
    if isinstance(error, dict):
        parts = [error.get(key) for key in ("name", "message")]
        text = ": ".join(part for part in parts if isinstance(part, str) and part.strip())
    else:
        text = error if isinstance(error, str) else ""
    return outbound.clean(text, 300) or None


def error_code(response) -> str:
    """The `error` code of an API error's body (`RateLimitExceeded`, `OutOfCredits`...), if any."""
    try:
        body = response.json()
    except ValueError:
        return ""
    code = body.get("error") if isinstance(body, dict) else None
    return outbound.clean(code, 40) if isinstance(code, str) and re.fullmatch(r"\w{1,40}", code) else ""


def credits(value: str | None) -> Decimal | None:
    """FASHN's `x-fashn-credits-used`, when it is a number a generation can record."""
    try:
        amount = Decimal((value or "").strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and 0 <= amount < 10**8 else None
