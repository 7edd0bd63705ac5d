"""Issue #10, finding 16: production settings, `make run`'s address, secrets kept out of the logs.

The settings are checked as production loads them: `manage.py` in a subprocess with the production
settings module, DATABASE_URL set (the test server), DEBUG unset.
"""
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from sartiq import run
from sartiq.log_redaction import redact
from tests.servers import database_url, free_port

ROOT = Path(__file__).resolve().parent.parent
# What the test settings put in this process's environment: not production's.
TEST_ONLY = {"SECRET_KEY", "FAST_PASSWORD_HASHER", "STATIC_MANIFEST", "HTTPS_ONLY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
CLOSED_WARNINGS = ["security.W004", "security.W005", "security.W008", "security.W009", "security.W012",
                   "security.W016", "security.W018", "security.W020"]


def production_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    env.update(DJANGO_SETTINGS_MODULE="sartiq.settings", DATABASE_URL=database_url(),
               SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="api.example.com")
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def manage(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=production_env(**env),
                          capture_output=True, text=True, timeout=120)


def warnings_of(done: subprocess.CompletedProcess) -> set[str]:
    return set(re.findall(r"\?: \((security\.W\d+)\)", done.stdout + done.stderr))


@pytest.mark.django_db
def test_check_deploy_is_clean_with_the_production_defaults():
    done = manage("check", "--deploy")
    assert done.returncode == 0, done.stderr
    found = warnings_of(done)
    assert not found & set(CLOSED_WARNINGS), done.stderr
    # Only HSTS preloading is left to the operator (an opt-in to browsers' lists).
    assert found == {"security.W021"}, done.stderr
    strict = manage("check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_PRELOAD=1)
    assert strict.returncode == 0 and "System check identified no issues" in strict.stdout, strict.stderr


@pytest.mark.django_db
def test_behind_a_tls_proxy_each_part_can_be_turned_off():
    assert warnings_of(manage("check", "--deploy", SECURE_SSL_REDIRECT=0)) == {"security.W008", "security.W021"}
    assert {"security.W004", "security.W008", "security.W012", "security.W016"} <= warnings_of(
        manage("check", "--deploy", HTTPS_ONLY=0))


@pytest.mark.django_db
@pytest.mark.parametrize("key, reason", [
    (re.search(r"^SECRET_KEY=(.*)$", (ROOT / ".env.example").read_text(), re.M)[1], "is a placeholder"),
    ("change-me-" + secrets.token_urlsafe(50), "is a placeholder"),
    ("django-insecure-" + secrets.token_urlsafe(50), "is a placeholder"),
    ("build", "is too weak"),
    (secrets.token_urlsafe(30), "is too weak"),
    ("ab" * 40, "is too weak"),
], ids=[".env.example", "change-me prefix", "django-insecure", "short", "40 characters", "two characters"])
def test_production_refuses_placeholder_and_weak_secret_keys(key, reason):
    done = manage("check", SECRET_KEY=key)
    assert done.returncode != 0
    assert f"ImproperlyConfigured: SECRET_KEY {reason}" in done.stderr
    assert key not in done.stderr  # the error names the setting, not its value


@pytest.mark.django_db
def test_a_debug_run_keeps_its_local_key():
    assert manage("check", SECRET_KEY="local", DEBUG=1).returncode == 0


@pytest.mark.django_db
def test_the_health_check_is_the_one_page_answered_over_plain_http(client, settings):
    """docker-compose's health check asks over HTTP inside the container; the rest is redirected."""
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/api/v1/users/me")
    assert (response.status_code, response["Location"]) == (301, "https://testserver/api/v1/users/me")
    assert client.get("/api/v1/utils/health-check/").status_code == 200


def test_make_run_listens_on_localhost_unless_told_otherwise():
    assert run.bind_address({}) == "127.0.0.1:8000"
    assert run.bind_address({"PORT": "9000"}) == "127.0.0.1:9000"
    assert run.bind_address({"HOST": "0.0.0.0", "PORT": "9000"}) == "0.0.0.0:9000"
    assert run.bind_address({"HOST": "::"}) == "[::]:8000"
    # The container still listens on every interface of its own network namespace.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"--bind", "0.0.0.0:8000"' in dockerfile
    # The redacting logger, through the one gunicorn configuration make run uses too.
    assert '"-c", "python:sartiq.gunicorn_conf"' in dockerfile
    from sartiq import gunicorn_conf
    assert gunicorn_conf.logger_class == "sartiq.log_redaction.RedactingGunicornLogger"


def test_redact_keeps_everything_but_the_secrets():
    assert redact("PUT /api/v1/uploads/eyJrIjoxfQ:1uX:abc HTTP/1.1") == "PUT /api/v1/uploads/[redacted] HTTP/1.1"
    assert redact("GET /media/a/b.jpg?expires=9&signature=s3cr3t&w=2") == "GET /media/a/b.jpg?expires=9&signature=[redacted]&w=2"
    assert redact("sig=1&token=2&X-Amz-Credential=3&X-Amz-Signature=4&X-Amz-Security-Token=5&design=6") == (
        "sig=[redacted]&token=[redacted]&X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]"
        "&X-Amz-Security-Token=[redacted]&design=6")
    assert redact("GET /media/uploads/3f/cover.jpg HTTP/1.1") == "GET /media/uploads/3f/cover.jpg HTTP/1.1"
    # Local media URLs as sartiq/media/storage.py signs them.
    from sartiq.media.storage import SignedFileSystemStorage

    url = SignedFileSystemStorage().url("uploads/3f/cover.jpg")
    assert "&s=" in url and redact(f"GET {url} HTTP/1.1") == f"GET {url.split('&s=')[0]}&s=[redacted] HTTP/1.1"
    assert redact("GET /api/v1/products/?search=shirt&sort_by=name") == "GET /api/v1/products/?search=shirt&sort_by=name"


def _request(url: str, method: str = "GET", **headers) -> int:
    request = urllib.request.Request(url, method=method, headers=headers, data=b"x" if method == "PUT" else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.django_db
@pytest.mark.timeout(120)
def test_signed_urls_never_reach_the_access_log_or_djangos_log(tmp_path):
    """`make run`'s own gunicorn command (run.web_command), on a free port, with the test settings."""
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sartiq.test_settings", "DATABASE_URL": database_url(),
           "SECRET_KEY": settings.SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1", "PORT": str(port),
           "WEB_CONCURRENCY": "1", "TEST_MEDIA_ROOT": str(tmp_path), "GUNICORN_ACCESS_LOG": "1"}
    env.pop("HOST", None)
    secret = "s3cr3tS1gnature"
    upload_token = "eyJrZXkiOiJ1cGxvYWRzL3Nob3RzIn0:1uXyZq:" + secret
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(run.web_command(env, Path(sys.executable).parent), cwd=ROOT, env=env,
                                  stdout=output, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(f"{base}/api/v1/utils/health-check/") == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert _request(f"{base}/api/v1/uploads/{upload_token}", method="PUT") >= 400
        assert _request(f"{base}/media/shots/a.jpg?expires=1&signature={secret}") == 403  # no valid signature
        assert _request(f"{base}/media/shots/a.jpg?e=1&s={secret}") == 403  # our own format, expired
        assert _request(f"{base}/api/v1/utils/health-check/?X-Amz-Signature={secret}&token={secret}",
                        Referer=f"{base}/media/b.jpg?sig={secret}") == 200
    finally:
        server.terminate()
        server.wait(30)
    text = log.read_text()
    assert secret not in text, text
    assert re.search(r'"PUT /api/v1/uploads/\[redacted\] HTTP/1.1" 4\d\d', text), text  # gunicorn's line
    assert "/media/shots/a.jpg?expires=1&signature=[redacted]" in text
    assert "/media/shots/a.jpg?e=1&s=[redacted]" in text
    assert "X-Amz-Signature=[redacted]&token=[redacted]" in text and "sig=[redacted]" in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]  # Django's, in JSON
    assert any(line["logger"] == "django.request" and line["level"] == "WARNING"
               and line["message"].endswith(": /api/v1/uploads/[redacted]") and line["request_id"] != "-"
               for line in lines), text
    assert any(line["logger"] == "sartiq.request" and line["path"] == "/api/v1/uploads/[redacted]"
               and line["status"] >= 400 and line["request_id"] for line in lines), text


def test_the_images_build_step_loads_the_production_settings(tmp_path):
    """The Dockerfile's collectstatic step runs under production rules (DATABASE_URL set): the
    throwaway keys it makes must satisfy every start-up check (SECRET_KEY, INTEGRATION_SECRETS_KEY)."""
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    step = re.search(r"&& (SECRET_KEY=.*?python manage\.py collectstatic --noinput)", dockerfile).group(1)
    command = step.replace("python manage.py collectstatic --noinput",
                           f"{sys.executable} manage.py collectstatic --noinput --dry-run")
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_make_run_says_where_everything_is():
    text = run.where_everything_is({"PORT": "9000", "METRICS_TOKEN": "t"}, "admin@example.com")
    for expected in ("http://localhost:9000/api/v1/", "http://localhost:9000/docs", "http://localhost:9000/redoc",
                     "http://localhost:9000/api/v1/openapi.json", "http://localhost:9000/admin/",
                     "http://localhost:9000/metrics", "username=admin@example.com",
                     'curl -s http://localhost:9000/api/v1/users/me -H "Authorization: Bearer $TOKEN"'):
        assert expected in text, expected
    assert "METRICS_TOKEN" in run.where_everything_is({}, None).split("Metrics:")[1].splitlines()[0]
    assert "http://10.1.2.3:8000/docs" in run.where_everything_is({"HOST": "10.1.2.3"}, None)


def test_make_run_shares_metrics_between_its_processes(tmp_path):
    env = {}
    (tmp_path / "prometheus").mkdir()
    (tmp_path / "prometheus" / "counter_1.db").write_bytes(b"stale")
    run.metrics_directory(env, tmp_path)
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "prometheus")
    assert list((tmp_path / "prometheus").iterdir()) == []  # a previous run's counts are not this one's
    chosen = {"PROMETHEUS_MULTIPROC_DIR": "/srv/metrics"}
    run.metrics_directory(chosen, tmp_path)
    assert chosen == {"PROMETHEUS_MULTIPROC_DIR": "/srv/metrics"}


@pytest.mark.django_db
def test_database_and_s3_are_waited_for_a_bounded_time():
    """libpq waits forever for a connection and botocore a minute per try, five tries: a hung
    server held requests and probes (tests/test_health.py shows the probe). The defaults bound both."""
    show = ("from django.conf import settings; from django.core.files.storage import storages; "
            "config = storages['default'].connection.meta.client.meta.config; "
            "print(settings.DATABASES['default']['OPTIONS']['connect_timeout'], config.connect_timeout, "
            "config.read_timeout, config.retries, config.s3, config.signature_version)")
    s3 = {"AWS_STORAGE_BUCKET_NAME": "media", "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9"}
    done = manage("shell", "-c", show, **s3)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == (
        "5 5 60 {'mode': 'standard', 'total_max_attempts': 3} {'addressing_style': 'path'} s3v4")
    done = manage("shell", "-c", show, DB_CONNECT_TIMEOUT=2, AWS_S3_CONNECT_TIMEOUT=3, AWS_S3_READ_TIMEOUT=30, **s3)
    assert done.stdout.split("\n")[-2].startswith("2 3 30 "), done.stderr
