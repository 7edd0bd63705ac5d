"""What `make run` answers on API paths (robustness issue #11): gunicorn with DEBUG=1, as
`make run` starts it, and a route with a bug nobody handled (tests/error_urls.py)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from sartiq.api.auth import create_access_token
from sartiq.catalog.models import Product
from tests.servers import database_url, gunicorn

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def debug_server(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.error_settings", "DATABASE_URL": database_url(),
           "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT), "SECRET_KEY": settings.SECRET_KEY, "DEBUG": "1",
           "MEDIA_MAX_UPLOAD_BYTES": "3000"}  # DATA_UPLOAD_MAX_MEMORY_SIZE: 4000 bytes + 1 MiB
    log = tmp_path / "gunicorn.log"
    with gunicorn(["-c", "python:sartiq.gunicorn_conf", "--workers", "1", "--threads", "2", "--worker-class",
                   "gthread"], env, log) as (base, _):
        yield base, log


def test_make_runs_server_answers_json_on_api_paths_whatever_the_error(debug_server, user):
    base, log = debug_server
    token, _ = create_access_token(user)
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=auth) as client:
        for url in ("/api/v1/test-only/drf-error", "/api/v1/test-only/django-error"):
            response = client.get(url)
            assert (response.status_code, response.headers["content-type"]) == (500, "application/json"), url
            assert response.json() == {"detail": "Internal Server Error"}
        assert "RuntimeError: a bug nobody handled" in log.read_text()  # logged, with its traceback
        assert client.get("/api/v1/nope").json() == {"detail": "Not Found"}
        assert client.get("/api/v1/products/", headers={"Host": "evil.example"}).json() == {"detail": "Bad Request"}
        for url in ("/api/v1/login/access-token", "/api/v1/export-configuration/"):
            assert client.options(url).status_code == 200
        response = client.post("/api/v1/products/", content=b"[" * 100_000 + b"]" * 100_000,
                               headers={"content-type": "application/json"})
        assert (response.status_code, response.json()) == (400, {"detail": "There was an error parsing the body"})


def test_what_gunicorn_refuses_itself_is_answered_in_json_too(debug_server):
    """A request line or a header beyond gunicorn's limits never reaches Django: gunicorn answers
    414/431 (found by make fuzz: a 5 KB query string) with sartiq/gunicorn_conf.py's JSON body."""
    base, _ = debug_server
    response = httpx.get(f"{base}/api/v1/set-designs/?limit={'9' * 5000}")
    assert (response.status_code, response.headers["content-type"]) == (414, "application/json")
    assert response.json()["detail"].startswith("URI Too Long")
    response = httpx.get(f"{base}/api/v1/set-designs/", headers={"X-Big": "x" * 10_000})
    assert (response.status_code, response.headers["content-type"]) == (431, "application/json")
    assert response.json()["detail"].startswith("Request Header Fields Too Large")


def test_a_chunked_json_body_is_read(debug_server, user):
    """gunicorn passes a chunked body without Content-Length; Django alone reads it as empty."""
    base, _ = debug_server
    token, _ = create_access_token(user)
    body = json.dumps({"name": "Chunked"}).encode()
    response = httpx.post(f"{base}/api/v1/products/", content=iter([body[:5], body[5:]]),
                          headers={"Authorization": f"Bearer {token}", "content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert Product.objects.get().name == "Chunked"
    limit = 4000 + 1024 * 1024
    big = json.dumps({"name": "Big", "description": "x" * limit}).encode()
    response = httpx.post(f"{base}/api/v1/products/", content=iter([big[:1000], big[1000:]]),
                          headers={"Authorization": f"Bearer {token}", "content-type": "application/json"})
    assert (response.status_code, response.json()) == (413, {"detail": f"Request body too large: at most {limit} bytes"})
    assert Product.objects.count() == 1
