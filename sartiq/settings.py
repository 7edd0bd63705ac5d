"""Settings for the Sartiq shootings backend, read from the environment.

Production sets DATABASE_URL, REDIS_URL (or CELERY_BROKER_URL) and the S3 variables. Without
DATABASE_URL a local run uses the embedded PostgreSQL of `sartiq.embedded` (see README).
"""
from __future__ import annotations

import re
from pathlib import Path

import dj_database_url

# The readers of environment variables: a value they do not understand stops the process at
# start-up with a message naming the variable and what it accepts (sartiq/config.py).
from sartiq.config import (  # noqa: F401
    env,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_origins,
    env_url,
    refuse,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
# Without DATABASE_URL this is a developer's checkout on the embedded servers (see below).
LOCAL = env("DATABASE_URL") is None
# Production: a configured database and no debug mode. Its secret key is checked and its security
# settings default to HTTPS only (see "Authentication and production security" below).
PRODUCTION = not (LOCAL or DEBUG)


def weak_secret_key_reason(key: str) -> str | None:
    """Why a key must not sign production tokens: a placeholder, or shorter or less varied than
    Django's own deployment check (security.W009) accepts."""
    from django.core.checks.security.base import (
        SECRET_KEY_INSECURE_PREFIX,
        SECRET_KEY_MIN_LENGTH,
        SECRET_KEY_MIN_UNIQUE_CHARACTERS,
    )

    lowered = key.lower()
    if any(word in lowered for word in ("change-me", "change_me", "changeme", "placeholder")) or \
            lowered.startswith(SECRET_KEY_INSECURE_PREFIX):
        return "is a placeholder"
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return (f"is too weak (needs at least {SECRET_KEY_MIN_LENGTH} characters, "
                f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different)")
    return None


if env("SECRET_KEY"):
    SECRET_KEY = env("SECRET_KEY")
elif LOCAL or DEBUG:
    from sartiq.embedded import local_secret_key

    SECRET_KEY = local_secret_key()
else:
    raise RuntimeError("SECRET_KEY must be set in production (DATABASE_URL is set).")
if PRODUCTION and (_reason := weak_secret_key_reason(SECRET_KEY)):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"SECRET_KEY {_reason}: set it to a long random string, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "sartiq.accounts",
    "sartiq.media",
    "sartiq.catalog",
    "sartiq.events",
    "shootings",
    "shots",
    "outfits",
    "integrations",
]

MIDDLEWARE = [
    # Request id and the request's log line, around everything else (sartiq/request_log.py).
    "sartiq.request_log.RequestLogMiddleware",
    # Requests, latency and query counts for /metrics (sartiq/metrics.py).
    "sartiq.metrics.MetricsMiddleware",
    # CORS headers on every API answer, errors included (a browser shows a page on another origin
    # only the answers that carry them), and preflights answered before anything asks for a login
    # ("Browser clients" below).
    "corsheaders.middleware.CorsMiddleware",
    # API paths answer JSON whatever the error (sartiq/api/middleware.py).
    "sartiq.api.middleware.ApiErrorsAsJson",
    # The health and readiness probes, answered before the Host header is checked (sartiq/api/health.py).
    "sartiq.api.health.ProbesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who changes what, for the event log (sartiq/events/actors.py).
    "sartiq.events.actors.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sartiq.urls"
WSGI_APPLICATION = "sartiq.wsgi.application"
# Both `/shots` and `/shots/` are routed; a redirect would drop a POST body.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "sartiq" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL is None:
    # Local run without configuration: attach to (or start) the embedded PostgreSQL.
    from sartiq.embedded import start_postgres

    _EMBEDDED_PG, DATABASE_URL = start_postgres()
try:
    _DATABASE = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))
except ValueError:
    _DATABASE = {}
if _DATABASE.get("ENGINE") != "django.db.backends.postgresql":  # select_for_update(of=...), jsonb
    refuse("DATABASE_URL", DATABASE_URL.split("@")[-1], "expected a PostgreSQL URL (postgres:// or postgresql://)")
DATABASES = {"default": _DATABASE}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Seconds to wait for PostgreSQL to answer a new connection (libpq waits forever otherwise: a hung
# server would hang every request and the readiness probe). `?connect_timeout=` in the URL wins.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5, minimum=1))
# The hottest queries (the token's user, the polled list: sartiq/compiled.py) run as server-side
# prepared statements after their second use on a connection, so PostgreSQL stops planning them.
# Django's own queries never prepare (they bind on the client). A pooler in transaction mode that
# cannot keep prepared statements (PgBouncer before 1.21, or without max_prepared_statements):
# DB_PREPARED_STATEMENTS=0.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
if DB_PREPARED_STATEMENTS:
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", "test_sartiq")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Applied wherever a password is set: signup, /users/me/password, the admin, `changepassword`.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ["email", "full_name"]}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "sartiq.accounts.password_validation.CharacterVarietyValidator"},
]
# The admin's login form goes through the API's login rules and throttles.
AUTHENTICATION_BACKENDS = ["sartiq.accounts.backends.ThrottledModelBackend"]
# Tests set a fast hasher; production keeps Django's default PBKDF2.
if env_bool("FAST_PASSWORD_HASHER"):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = env("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    # S3 or MinIO: AWS_S3_ENDPOINT_URL points at MinIO; credentials from the usual AWS_* variables.
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL")
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME")
    AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID")
    AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY")
    AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN")
    AWS_QUERYSTRING_AUTH = env_bool("AWS_QUERYSTRING_AUTH", True)
    AWS_QUERYSTRING_EXPIRE = env_int("AWS_QUERYSTRING_EXPIRE", 3600, minimum=1)
    AWS_DEFAULT_ACL = None
    AWS_S3_FILE_OVERWRITE = False
    AWS_S3_ADDRESSING_STYLE = env_choice("AWS_S3_ADDRESSING_STYLE", "path" if AWS_S3_ENDPOINT_URL else "auto",
                                         ("auto", "path", "virtual"))
    # Presigned URLs MinIO and S3 accept; any signer botocore knows.
    from botocore.auth import AUTH_TYPE_MAPS

    AWS_S3_SIGNATURE_VERSION = env_choice("AWS_S3_SIGNATURE_VERSION", "s3v4", tuple(AUTH_TYPE_MAPS))
    # botocore waits 60 s to connect and 60 s per read, each tried up to 5 times: a hung S3 held a
    # request (or the readiness probe) for minutes. Connecting is quick or failed; reads allow for
    # large objects; botocore's standard retry mode tries three times in all (throttling, 5xx).
    from botocore.config import Config as _BotoConfig

    AWS_S3_CLIENT_CONFIG = _BotoConfig(
        s3={"addressing_style": AWS_S3_ADDRESSING_STYLE}, signature_version=AWS_S3_SIGNATURE_VERSION,
        connect_timeout=env_int("AWS_S3_CONNECT_TIMEOUT", 5, minimum=1),
        read_timeout=env_int("AWS_S3_READ_TIMEOUT", 60, minimum=1),
        retries={"mode": "standard", "total_max_attempts": 3})
    DEFAULT_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    # Local files, served by the project only through signed, expiring URLs (sartiq/media/storage.py).
    DEFAULT_STORAGE = {"BACKEND": "sartiq.media.storage.SignedFileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Lifetime of a direct-upload URL (presigned PUT, or the project's signed URL with local storage).
UPLOAD_URL_EXPIRES_SECONDS = env_int("UPLOAD_URL_EXPIRES_SECONDS", 900, minimum=1)
# Largest upload accepted through the API (bytes).
MEDIA_MAX_UPLOAD_BYTES = env_int("MEDIA_MAX_UPLOAD_BYTES", 25 * 1024 * 1024, minimum=1)
# --- Media (security issue #10: findings 4, 7, 8, 9) -----------------------------------------------
# Images are measured from their header before anything is decoded: wider or taller than
# MEDIA_MAX_DIMENSION pixels, or more than MEDIA_MAX_PIXELS in all, is refused (422 on input,
# 400 when a stored file is rendered). Pillow's own bomb limit is set to the same number.
MEDIA_MAX_DIMENSION = env_int("MEDIA_MAX_DIMENSION", 12000, minimum=1)
MEDIA_MAX_PIXELS = env_int("MEDIA_MAX_PIXELS", 40_000_000, minimum=1)
# Local media URLs (`/media/<key>?e=...&s=...`) are valid at least this long; their expiry is
# rounded up to MEDIA_URL_BUCKET_SECONDS so that a file keeps one URL for a while (browser caches).
MEDIA_URL_EXPIRES_SECONDS = env_int("MEDIA_URL_EXPIRES_SECONDS", 3600, minimum=1)
MEDIA_URL_BUCKET_SECONDS = env_int("MEDIA_URL_BUCKET_SECONDS", 900, minimum=1)
# A JSON body may carry an image as base64 (4/3 of its size).
DATA_UPLOAD_MAX_MEMORY_SIZE = MEDIA_MAX_UPLOAD_BYTES * 4 // 3 + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Domain --------------------------------------------------------------------------------------
# Rejections a new shot may take (contract §3 "rework").
SHOT_DEFAULT_REWORK = env_int("SHOT_DEFAULT_REWORK", 2, minimum=0, maximum=2147483647)
# Proposals the stylist makes for a look created with `generate_outfit`.
OUTFIT_PROPOSALS_PER_LOOK = env_int("OUTFIT_PROPOSALS_PER_LOOK", 3, minimum=1)
# The most looks, and shots, one look-creation request may create (subjects x products x shot types).
LOOKS_PER_REQUEST_MAX = env_int("LOOKS_PER_REQUEST_MAX", 2000, minimum=1)
SHOTS_PER_REQUEST_MAX = env_int("SHOTS_PER_REQUEST_MAX", 10000, minimum=1)

# --- Free JSON values (domain area, issue #11) ----------------------------------------------------
# A JSON field of a request body (`margins`, `brand_metadata`, `settings`, `extra`,
# `product_filters`) nests at most this many levels and takes at most this many bytes of JSON; its
# numbers are finite and within ±(2^53 − 1) (sartiq/json_values.py).
JSON_INPUT_MAX_DEPTH = env_int("JSON_INPUT_MAX_DEPTH", 32, minimum=1, maximum=64)
JSON_INPUT_MAX_BYTES = env_int("JSON_INPUT_MAX_BYTES", 64 * 1024, minimum=1)

# --- Asynchronous work -------------------------------------------------------------------------
# Image engine (docs/providers.md): "local" (Pillow, offline), "fashn" (FASHN's hosted API),
# "replicate" (Replicate's prediction API) or "cog" (self-hosted Cog containers). The accepted
# values are the engines `shots.providers.PROVIDERS` implements. An organization may override the
# engine and model for its shootings (shots/engines.py).
IMAGE_PROVIDERS = ("local", "fashn", "replicate", "cog")
IMAGE_PROVIDER = env_choice("IMAGE_PROVIDER", "local", IMAGE_PROVIDERS)
FASHN_API_KEY = env("FASHN_API_KEY", "")
FASHN_BASE_URL = env_url("FASHN_BASE_URL", "https://api.fashn.ai/v1", ("https", "http"), "FASHN's API")
FASHN_MODEL = env("FASHN_MODEL", "")  # empty: chosen per look (try-on with a subject image, else product-to-model)
# Where FASHN's output images may be fetched from (its CDN), besides FASHN_BASE_URL's host.
FASHN_OUTPUT_HOSTS = env_list("FASHN_OUTPUT_HOSTS", "cdn.fashn.ai")
REPLICATE_API_TOKEN = env("REPLICATE_API_TOKEN", "")
REPLICATE_BASE_URL = env_url("REPLICATE_BASE_URL", "https://api.replicate.com", ("https", "http"), "Replicate's API")
# "owner/name" (the model's latest version), a 64-hex version id, or "owner/name:<version id>".
REPLICATE_MODEL = env("REPLICATE_MODEL", "")
if REPLICATE_MODEL and not re.fullmatch(r"[\w.-]+/[\w.-]+(:[0-9a-f]{64})?|[0-9a-f]{64}", REPLICATE_MODEL):
    refuse("REPLICATE_MODEL", REPLICATE_MODEL, "expected owner/name, a 64-hex version id, or owner/name:version")
# The Standard Webhooks key Replicate signs with ("whsec_" + base64, from GET /v1/webhooks/default/
# secret): with it, jobs report by webhook (with PUBLIC_BASE_URL); without it, workers poll.
REPLICATE_WEBHOOK_SECRET = env("REPLICATE_WEBHOOK_SECRET", "")
if REPLICATE_WEBHOOK_SECRET and not re.fullmatch(r"(whsec_)?[A-Za-z0-9+/]{16,}={0,2}", REPLICATE_WEBHOOK_SECRET):
    refuse("REPLICATE_WEBHOOK_SECRET", "…", "expected whsec_ followed by base64")  # a secret is not repeated
# Where Replicate's output files may be fetched from (`host`, `host:port`, `.domain` for its
# subdomains): its documented delivery hosts (https://replicate.com/docs/reference/http).
REPLICATE_OUTPUT_HOSTS = env_list("REPLICATE_OUTPUT_HOSTS", "replicate.delivery,.replicate.delivery")
# Which of our request's fields each model input gets (shots/providers/replicate.py documents the
# format): a JSON object, or the name of a built-in map. Empty: the built-in map of the model, or
# the text-to-image default. Checked at start-up (shots/apps.py).
REPLICATE_INPUT_MAP = env("REPLICATE_INPUT_MAP", "")
# A Cog container, a load balancer in front of a fleet, or a comma-separated list of containers
# (each job is sent to one of them and cancelled there).
COG_URL = env("COG_URL", "")
for _cog in COG_URL.split(","):
    if COG_URL and not re.fullmatch(r"https?://[^\s/?#@]+(/[^\s?#]*)?", _cog.strip()):
        refuse("COG_URL", COG_URL, "expected http(s) URLs of Cog containers, comma-separated")
COG_INPUT_MAP = env("COG_INPUT_MAP", "")  # as REPLICATE_INPUT_MAP, for the Cog containers' model
if IMAGE_PROVIDER == "fashn" and not FASHN_API_KEY:
    refuse("IMAGE_PROVIDER", IMAGE_PROVIDER, "the fashn engine needs FASHN_API_KEY")
if IMAGE_PROVIDER == "replicate" and not (REPLICATE_API_TOKEN and REPLICATE_MODEL):
    refuse("IMAGE_PROVIDER", IMAGE_PROVIDER, "the replicate engine needs REPLICATE_API_TOKEN and REPLICATE_MODEL")
if IMAGE_PROVIDER == "cog" and not COG_URL:
    refuse("IMAGE_PROVIDER", IMAGE_PROVIDER, "the cog engine needs COG_URL")
# Where engines reach our webhook endpoint (https://api.example.com); without it, workers poll.
PUBLIC_BASE_URL = (env_url("PUBLIC_BASE_URL", "", ("https", "http"), "public base") or "").rstrip("/") if env(
    "PUBLIC_BASE_URL") else ""
IMAGE_PROVIDER_TIMEOUT = env_float("IMAGE_PROVIDER_TIMEOUT", 30, minimum=0.001)  # one request to an engine
IMAGE_PROVIDER_POLL_INTERVAL = env_float("IMAGE_PROVIDER_POLL_INTERVAL", 2, minimum=0.001)
IMAGE_PROVIDER_MAX_WAIT = env_float("IMAGE_PROVIDER_MAX_WAIT", 900, minimum=0.001)  # a job's end, from its submit
# With webhooks, a worker does not wait for a job: it looks again this long after, should no webhook come.
IMAGE_PROVIDER_WEBHOOK_FALLBACK = env_float("IMAGE_PROVIDER_WEBHOOK_FALLBACK", 60, minimum=0.001)
GENERATION_MAX_OUTPUTS = env_int("GENERATION_MAX_OUTPUTS", 8, minimum=1)  # images kept of one job
LOCAL_PROVIDER_DELAY_SECONDS = env_float("LOCAL_PROVIDER_DELAY_SECONDS", 0, minimum=0)
GENERATION_MAX_SIZE = env_int("GENERATION_MAX_SIZE", 1024, minimum=64)  # longest side of a local rendering
# Models an organization may choose on the server's account, as `engine:model` entries, comma
# separated (`fashn:tryon-max,replicate:owner/name`): a model is a cost decision, so by default an
# organization without its own key runs the server's model only (shots/engines.py, docs/providers.md).
IMAGE_PROVIDER_TENANT_MODELS = env_list("IMAGE_PROVIDER_TENANT_MODELS")
for _entry in IMAGE_PROVIDER_TENANT_MODELS:
    if _entry.partition(":")[0] not in ("fashn", "replicate") or not _entry.partition(":")[2]:
        refuse("IMAGE_PROVIDER_TENANT_MODELS", _entry, "expected engine:model entries for fashn or replicate")
# Outfit stylist: "local" (rules) or "llm" (an OpenAI-compatible chat-completions endpoint at
# LLM_BASE_URL). The accepted values are the stylists `outfits.stylist.STYLISTS` implements.
STYLISTS = ("local", "llm")
STYLIST = env_choice("STYLIST", "local", STYLISTS)
LLM_BASE_URL = env("LLM_BASE_URL", "")
if STYLIST == "llm" and not LLM_BASE_URL:
    refuse("STYLIST", STYLIST, "the llm stylist needs LLM_BASE_URL")
LLM_API_KEY = env("LLM_API_KEY", "")
LLM_MODEL = env("LLM_MODEL", "gpt-4o-mini")
LLM_TIMEOUT = env_float("LLM_TIMEOUT", 60, minimum=0.001)
LLM_MAX_ATTEMPTS = env_int("LLM_MAX_ATTEMPTS", 3, minimum=1)  # answers that are not valid JSON are asked again
# A worker holds a claimed row this long without news before another may take it over.
WORK_LEASE_SECONDS = env_int("WORK_LEASE_SECONDS", 300, minimum=1)
# Transient errors are retried this many times, with exponential backoff from this base.
WORK_MAX_RETRIES = env_int("WORK_MAX_RETRIES", 5, minimum=0)
WORK_RETRY_BACKOFF_SECONDS = env_float("WORK_RETRY_BACKOFF_SECONDS", 10, minimum=0)

# Retailer integrations: how long one call to a retailer may take (s).
PUSH_TIMEOUT = env_float("PUSH_TIMEOUT", 30, minimum=0.001)

# --- Outbound requests (area: outbound) ----------------------------------------------------------
# Every request to another system goes through sartiq/outbound.py: https only, public addresses
# only. Hosts listed here (comma-separated `host` or `host:port`, as written in URLs) may also be
# reached over http and at loopback or private addresses: development, tests, an operator's
# internal provider or LLM. Empty by default.
OUTBOUND_ALLOWED_HOSTS = env_list("OUTBOUND_ALLOWED_HOSTS")
for _entry in OUTBOUND_ALLOWED_HOSTS:  # `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address
    if not re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[^:\[\]/@\s]+)(:\d{1,5})?|[0-9a-fA-F]*:[0-9a-fA-F:.]*:[0-9a-fA-F:.]*", _entry):
        raise RuntimeError(f"OUTBOUND_ALLOWED_HOSTS: cannot read {_entry!r} (host or host:port, comma-separated)")
# Only the hosts listed above, no public address either (issue #11, fuzz area): `make fuzz` sets it
# so that nothing a fuzzer stores (an integration's endpoint) makes the system call outside the
# machine; also for offline test rigs. Off by default.
OUTBOUND_ALLOWED_HOSTS_ONLY = env_bool("OUTBOUND_ALLOWED_HOSTS_ONLY", False)
# Ceilings of one outbound request (callers may ask for less): the whole exchange in seconds, and
# the size of the answer in bytes.
OUTBOUND_TIMEOUT = env_float("OUTBOUND_TIMEOUT", 60, minimum=0.001)
OUTBOUND_MAX_RESPONSE_BYTES = env_int("OUTBOUND_MAX_RESPONSE_BYTES", 25 * 1024 * 1024, minimum=1)
# --- Webhooks to clients (docs/events.md, "Webhooks") ---------------------------------------------
# Seconds to wait after each failed attempt (a network error, a timeout, 5xx, 429): with the first
# attempt, 8 attempts over about 27 hours; then the delivery is FAILED. Comma-separated numbers.
WEBHOOK_RETRY_SCHEDULE = []
for _delay in env_list("WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000"):
    try:
        WEBHOOK_RETRY_SCHEDULE.append(float(_delay))
    except ValueError:
        refuse("WEBHOOK_RETRY_SCHEDULE", _delay, "expected comma-separated numbers of seconds")
    if not 0 <= WEBHOOK_RETRY_SCHEDULE[-1] < float("inf"):
        refuse("WEBHOOK_RETRY_SCHEDULE", _delay, "expected comma-separated numbers of seconds")
# An endpoint whose deliveries have all failed for this long (seconds) is disabled, with the reason.
WEBHOOK_DISABLE_AFTER = env_float("WEBHOOK_DISABLE_AFTER", 24 * 3600, minimum=0)
# How long one attempt may take (seconds; also capped by OUTBOUND_TIMEOUT), and how much of the
# answer is read (only an excerpt is kept).
WEBHOOK_TIMEOUT = env_float("WEBHOOK_TIMEOUT", 15, minimum=0.001)
WEBHOOK_MAX_RESPONSE_BYTES = env_int("WEBHOOK_MAX_RESPONSE_BYTES", 64 * 1024, minimum=1)
# After a rotation the previous secret signs too, for this long (seconds); the same grace for an
# integration's callback secret: the one before a change still verifies retailers' callbacks.
WEBHOOK_SECRET_GRACE = env_float("WEBHOOK_SECRET_GRACE", 24 * 3600, minimum=0)

# --- Integrations: tenants' secrets at rest (security issue #10, integrations area) --------------
# Fernet keys (`Fernet.generate_key()`), comma-separated, that encrypt tenants' retailer
# credentials and callback secrets: the first encrypts, every one decrypts. To rotate, put a new
# key first, run `manage.py rotate_integration_secrets`, then drop the old one. Required in
# production; a local run or the tests without it use a key derived from SECRET_KEY.
INTEGRATION_SECRETS_KEY = env_list("INTEGRATION_SECRETS_KEY")
if not INTEGRATION_SECRETS_KEY and not (LOCAL or DEBUG):
    raise RuntimeError("INTEGRATION_SECRETS_KEY must be set in production (DATABASE_URL is set): one or more "
                       "comma-separated Fernet keys, the first encrypting.")
for _key in INTEGRATION_SECRETS_KEY:
    from cryptography.fernet import Fernet

    try:
        Fernet(_key)
    except ValueError:
        raise RuntimeError("INTEGRATION_SECRETS_KEY holds something that is not a Fernet key "
                           "(32 url-safe base64-encoded bytes, as Fernet.generate_key() makes).") from None

# --- Redis and Celery -------------------------------------------------------------------------
_DEFAULT_REDIS = f"redis+socket://{BASE_DIR / '.data' / 'redis' / 'redis.sock'}"
REDIS_URL = env_url("REDIS_URL", _DEFAULT_REDIS, ("redis", "rediss", "unix"), "Redis")
# Any transport kombu knows (`redis+socket://` is Redis on a Unix socket).
from kombu.transport import TRANSPORT_ALIASES  # noqa: E402

CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", REDIS_URL, {name.lower() for name in TRANSPORT_ALIASES},
                            "Celery broker")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND")  # results live in the database rows
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker logs through LOGGING (JSON lines in production, sartiq/request_log.py), not its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ROUTES = {
    "shots.*": {"queue": "generation"},
    "outfits.*": {"queue": "styling"},
    "integrations.*": {"queue": "integrations"},
}
CELERY_BEAT_SCHEDULE = {
    # Re-send work whose message was lost or whose worker died (claims make this harmless).
    "sweep-generations": {"task": "shots.sweep_generations", "schedule": 60.0},
    "sweep-uploads": {"task": "shots.sweep_uploads", "schedule": 3600.0},
    # Revisions whose quality check's message was lost (docs/quality.md).
    "sweep-quality-checks": {"task": "shots.sweep_quality_checks", "schedule": 120.0},
    "sweep-outfit-proposals": {"task": "outfits.sweep_proposals", "schedule": 60.0},
    "sweep-pushes": {"task": "integrations.sweep_pushes", "schedule": 60.0},
    # Ask retailers about pushes awaiting their confirmation.
    "poll-push-confirmations": {"task": "integrations.poll_confirmations", "schedule": 120.0},
    # Forget retailer callback ids past the replay window (security issue #10, integrations area).
    "prune-callback-messages": {"task": "integrations.prune_callback_messages", "schedule": 600.0},
    "prune-provider-webhook-messages": {"task": "shots.prune_provider_webhook_messages", "schedule": 600.0},
    # Webhooks to clients: events whose fan-out message was lost, deliveries due (retries) or whose
    # worker died (sartiq/events/delivery.py).
    "sweep-webhooks": {"task": "events.sweep_webhooks", "schedule": 60.0},
}

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["sartiq.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["sartiq.api.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "sartiq.api.parsers.ContentNegotiation",
    # `?format=` is a query parameter like any other (FastAPI has no format override).
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_PARSER_CLASSES": [
        "sartiq.api.parsers.JSONParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "sartiq.api.pagination.SkipLimitPagination",
    "DEFAULT_FILTER_BACKENDS": ["sartiq.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "sartiq.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "sartiq.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": False,
}

# --- Browser clients on other origins (CORS, docs/operations.md) ----------------------------------
# BACKEND_CORS_ORIGINS: the origins whose pages may call the API (comma-separated, as the original
# FastAPI template names it). Empty by default, in production as anywhere: no other origin may.
# The API authenticates with a bearer token, never a cookie, so no credentials are allowed (the
# admin's session cookie never goes with a cross-origin request). Preflights (OPTIONS with
# Access-Control-Request-Method) are answered by the middleware, before authentication.
BACKEND_CORS_ORIGINS = env_origins("BACKEND_CORS_ORIGINS")
CORS_ALLOWED_ORIGINS = BACKEND_CORS_ORIGINS
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")
# What a page may send: the token, JSON or form bodies, conditional reads and writes.
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "if-match", "if-none-match", "x-requested-with")
# What a page may read besides the safelisted headers (Content-Type, Content-Length, Cache-Control,
# Last-Modified...): the read's ETag, how long to wait after a 429 or 503, the download's file
# name, the scheme a 401 asks for.
CORS_EXPOSE_HEADERS = ("ETag", "Retry-After", "Content-Disposition", "WWW-Authenticate")
# Browsers keep a preflight's answer this long (Chromium caps it at 2 hours).
CORS_PREFLIGHT_MAX_AGE = 3600

# --- Request/response layer (robustness issue #11, reqlayer area) ------------------------------
# JSON bodies nested deeper than this are refused (400, like a document Python cannot decode):
# validating, storing and rendering a value recurse over it.
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 64, minimum=2)

ACCESS_TOKEN_EXPIRE_MINUTES = env_int("ACCESS_TOKEN_EXPIRE_MINUTES", 60 * 24 * 8, minimum=1)
JWT_ALGORITHM = "HS256"

# --- Authentication and production security (auth area) --------------------------------------
# Failed logins of one account (e-mail address, known or not) in any 15 minutes before 429.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 10, minimum=0)
# Login and signup requests of one client address in any minute before 429 (0 switches a limit off).
AUTH_REQUESTS_PER_ADDRESS = env_int("AUTH_REQUESTS_PER_ADDRESS", 30, minimum=0)
# Where those counts live, shared by every process: Redis (`redis://`, `redis+socket://`), or
# `memory://` (one process only: tests).
from limits.storage import SCHEMES as _LIMITS_SCHEMES  # noqa: E402

RATE_LIMIT_STORAGE_URL = env_url("RATE_LIMIT_STORAGE_URL", REDIS_URL, {*_LIMITS_SCHEMES, "redis+socket"},
                                 "rate-limit storage")
# Reverse proxies in front of the web server that append to X-Forwarded-For: the client address is
# the entry the outermost one added. 0: X-Forwarded-For is ignored (REMOTE_ADDR is the client).
REST_FRAMEWORK["NUM_PROXIES"] = env_int("NUM_PROXIES", 0, minimum=0)
# Production answers over HTTPS only: redirect plain HTTP, HSTS, cookies marked Secure. Behind a
# proxy that does some of it already, turn the parts off one by one (or HTTPS_ONLY=0 for all).
HTTPS_ONLY = env_bool("HTTPS_ONLY", PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS_ONLY)
# The container's probes speak plain HTTP (they are answered before the redirect anyway: sartiq/api/health.py).
SECURE_REDIRECT_EXEMPT = [r"^api/v1/utils/(health-check|ready)/?$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS_ONLY else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)  # opting in to browsers' lists is the operator's call
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS_ONLY)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS_ONLY)

SPECTACULAR_SETTINGS = {
    "TITLE": "Sartiq Backend Server - Shootings",
    "DESCRIPTION": "Photo shoot sessions, looks, shots, and outfits.",
    "VERSION": "0.1.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "DEFAULT_GENERATOR_CLASS": "sartiq.api.schema.SchemaGenerator",
    "SCHEMA_PATH_PREFIX_TRIM": False,
    "COMPONENT_SPLIT_REQUEST": False,
    # Nullable enums are documented as such (oneOf the enum and NullEnum): responses carry null there.
    "ENUM_ADD_EXPLICIT_BLANK_NULL_CHOICE": True,
    # Enum component names as the reference's (contract §4).
    "ENUM_NAME_OVERRIDES": {
        "Gender": "sartiq.catalog.choices.Gender",
        "ProductGender": "sartiq.catalog.choices.ProductGender",
        "AgeClass": "sartiq.catalog.choices.AgeClass",
        "SubjectType": "sartiq.catalog.choices.SubjectType",
        "ViewAngle": "sartiq.catalog.choices.ViewAngle",
        "ShotTypeFraming": "sartiq.catalog.choices.ShotTypeFraming",
        "DefaultShotTypes": "sartiq.catalog.choices.DefaultShotTypes",
        "ProductPlacement": "sartiq.catalog.choices.ProductPlacement",
        "BodyType": "sartiq.catalog.choices.BodyType",
        "EyeColor": "sartiq.catalog.choices.EyeColor",
        "HairColor": "sartiq.catalog.choices.HairColor",
        "LoraStatus": "sartiq.catalog.choices.LoraStatus",
        "QualityStatus": "shots.choices.QualityStatus",
        "RejectionReason": "shots.choices.RejectionReason",
        "FileFormat": "sartiq.catalog.choices.FileFormat",
        # Inputs take both JPG and JPEG, looks and guidelines as the export configuration; each
        # answer keeps its own spelling (FileFormat, ExportFormat).
        "ImageFormatInput": "sartiq.catalog.choices.FILE_FORMAT_INPUTS",
        "MediaResourceType": "sartiq.media.choices.MediaResourceType",
        "Orientation": "sartiq.media.choices.Orientation",
        "MembershipRole": "sartiq.accounts.choices.MembershipRole",
        "ShotStatus": "shots.choices.ShotStatus",
        "ShotRevisionStatus": "shots.choices.ShotRevisionStatus",
        "RevisionSource": "shots.choices.RevisionSource",
        "GenerationStatus": "shots.choices.GenerationStatus",
        "GenerationKind": "shots.choices.GenerationKind",
        "Engine": "shots.choices.Engine",
        "ShootingLookStatus": "shootings.choices.ShootingLookStatus",
        "ShootingLookComputedStatus": "shootings.choices.ShootingLookComputedStatus",
        "OutfitGenerationStatus": "outfits.choices.OutfitGenerationStatus",
        "OutfitSource": "outfits.choices.OutfitSource",
        "PushStatus": "integrations.choices.PushStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sartiq.api.schema.postprocess_validation_errors",
        "sartiq.api.schema.postprocess_nullable_any",
        "sartiq.api.client_docs.postprocess_client_docs",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
}

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
# JSON lines in production, text under `make run` (DEBUG); sartiq/request_log.py.
LOG_FORMAT = env_choice("LOG_FORMAT", "text" if DEBUG else "json", ("json", "text"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "sartiq.request_log.JsonLogFormatter"},
    },
    # Signed upload tokens and URL signatures never reach a log (gunicorn's access log: run.py).
    "filters": {"redact_secrets": {"()": "sartiq.log_redaction.RedactSecretsFilter"},
                "request_context": {"()": "sartiq.request_log.ContextFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_context", "redact_secrets"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "pgserver": {"level": "WARNING"},
        # runserver's request lines, otherwise printed by Django's own handler without the filter.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# `/metrics` answers `Authorization: Bearer <METRICS_TOKEN>`; without a token it does not exist.
METRICS_TOKEN = env("METRICS_TOKEN")

# Errors to Sentry when SENTRY_DSN is set: Django and Celery, no personal data, secrets redacted.
SENTRY_DSN = env("SENTRY_DSN")
if SENTRY_DSN:
    from sartiq.request_log import sentry_init

    sentry_init(SENTRY_DSN, environment=env("SENTRY_ENVIRONMENT"),
                traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0, minimum=0.0, maximum=1.0))

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
