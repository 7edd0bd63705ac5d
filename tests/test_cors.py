"""Browser clients on other origins (issue #17, docs/operations.md "CORS"): the origins listed in
BACKEND_CORS_ORIGINS, and no other, may call the API from a page; preflights are answered without a
token; no credentials (cookies) ever go with a cross-origin request.

The preflights and requests below are what a browser sends (Origin, Access-Control-Request-*);
the last test has a real Chromium enforce the answers on a page of another origin."""
import http.server
import socketserver
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured

from sartiq.config import env_origins

pytestmark = pytest.mark.django_db

APP = "https://app.example.com"
ME = "/api/v1/users/me"


@pytest.fixture
def allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP, "http://localhost:5173"]


def preflight(client, path, origin=APP, method="GET", headers="authorization"):
    return client.options(path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
                          HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers)


def test_nothing_is_allowed_by_default(anon, settings):
    """The settings as loaded (no BACKEND_CORS_ORIGINS in the test environment)."""
    assert settings.CORS_ALLOWED_ORIGINS == [] and not getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False)
    assert not getattr(settings, "CORS_ALLOWED_ORIGIN_REGEXES", [])
    response = preflight(anon, ME)
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Origin" not in anon.get("/api/v1/utils/health-check/", HTTP_ORIGIN=APP)


def test_a_preflight_of_an_allowed_origin_is_answered_without_a_token(anon, allowed):
    response = preflight(anon, ME, method="PATCH", headers="authorization,content-type,if-match")
    assert response.status_code == 200 and response.content == b""
    assert response["Access-Control-Allow-Origin"] == APP
    assert {"DELETE", "GET", "PATCH", "POST", "PUT"} <= set(response["Access-Control-Allow-Methods"].split(", "))
    assert {"authorization", "content-type", "if-match", "if-none-match"} <= set(
        response["Access-Control-Allow-Headers"].split(", "))
    assert response["Access-Control-Max-Age"] == "3600"
    assert "Access-Control-Allow-Credentials" not in response  # the token is a header, never a cookie


def test_the_actual_request_of_an_allowed_origin_can_read_the_answer_and_its_headers(api, allowed):
    response = api.get(ME, HTTP_ORIGIN=APP)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    exposed = set(response["Access-Control-Expose-Headers"].split(", "))
    assert {"ETag", "Retry-After", "Content-Disposition", "WWW-Authenticate"} <= exposed
    assert "origin" in response["Vary"].lower()  # caches keep one answer per origin
    assert "Access-Control-Allow-Credentials" not in response


def test_errors_carry_the_headers_too_so_the_page_can_read_them(anon, api, allowed):
    unauthenticated = anon.get(ME, HTTP_ORIGIN=APP)
    assert unauthenticated.status_code == 401 and unauthenticated["Access-Control-Allow-Origin"] == APP
    invalid = api.get("/api/v1/products/not-a-uuid", HTTP_ORIGIN=APP)
    assert invalid.status_code == 422 and invalid["Access-Control-Allow-Origin"] == APP
    unknown = api.get("/api/v1/no-such-thing", HTTP_ORIGIN=APP)
    assert unknown.status_code == 404 and unknown["Access-Control-Allow-Origin"] == APP


def test_a_refused_origin_gets_no_permission(anon, api, allowed):
    for origin in ("https://evil.example.com", "http://app.example.com", "https://app.example.com:8443",
                   "https://app.example.com.evil.example", "null"):
        response = preflight(anon, ME, origin=origin)
        assert "Access-Control-Allow-Origin" not in response, origin
        assert "Access-Control-Allow-Methods" not in response, origin
        actual = api.get(ME, HTTP_ORIGIN=origin)
        assert actual.status_code == 200 and "Access-Control-Allow-Origin" not in actual, origin


def test_cors_covers_the_api_only(client, allowed):
    """The admin (a session cookie) and the documentation pages are same-origin only."""
    for path in ("/admin/login/", "/docs"):
        response = client.get(path, HTTP_ORIGIN=APP)
        assert "Access-Control-Allow-Origin" not in response, path


def test_the_variable_takes_origins_and_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("BACKEND_CORS_ORIGINS", "https://App.example.com/, http://localhost:5173,http://[::1]:3000")
    assert env_origins("BACKEND_CORS_ORIGINS") == ["https://app.example.com", "http://localhost:5173",
                                                   "http://[::1]:3000"]
    for value in ("*", "app.example.com", "https://app.example.com/path", "ftp://app.example.com",
                  "https://app.example.com?x=1", "https://user@app.example.com"):
        monkeypatch.setenv("BACKEND_CORS_ORIGINS", value)
        with pytest.raises(ImproperlyConfigured, match="BACKEND_CORS_ORIGINS=.* is not understood: expected origins"):
            env_origins("BACKEND_CORS_ORIGINS")


# --- a real browser ---------------------------------------------------------------------------------
class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>client</title><p>another origin</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


FETCH = """
const [url, token, done] = arguments;
fetch(url, {headers: {"Authorization": "Bearer " + token, "If-None-Match": "W/\\"nothing\\""}})
  .then(async r => done({status: r.status, email: (await r.json()).email}))
  .catch(e => done({error: String(e)}));
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(180)
def test_a_page_on_another_origin_calls_the_api_in_chromium(browser, live_server, settings, user):
    """The page's origin (a server on another port) is allowed, then not: Chromium sends the
    preflight (Authorization and If-None-Match are not safelisted) and enforces both answers."""
    from sartiq.api.auth import create_access_token

    token, _ = create_access_token(user)
    with socketserver.TCPServer(("127.0.0.1", 0), _Page) as page_server:
        threading.Thread(target=page_server.serve_forever, daemon=True).start()
        page = f"http://127.0.0.1:{page_server.server_address[1]}"
        driver = browser
        try:
            driver.set_script_timeout(30)
            driver.get(page + "/")
            api = live_server.url + ME

            settings.CORS_ALLOWED_ORIGINS = [page]
            result = driver.execute_async_script(FETCH, api, token)
            assert result.get("status") == 200 and result["email"] == user.email, result

            settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
            driver.execute_cdp_cmd("Network.clearBrowserCache", {})  # the preflight's answer is cached
            result = driver.execute_async_script(FETCH, api + "?again=1", token)
            assert "error" in result and "Failed to fetch" in result["error"], result
        finally:
            page_server.shutdown()
