"""The guarded outbound client (sartiq/outbound.py) against real local listeners.

Each refusal is checked at the listener too: a refused request makes no TCP connection at all.
"""
import datetime
import gzip
import ipaddress
import json
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sartiq import outbound
from sartiq.outbound import OutboundBadResponse, OutboundClient, OutboundRefused, OutboundTimeout, OutboundUnavailable
from tests.fake_http import FakeService, RawService


@pytest.fixture(autouse=True)
def nothing_allowed(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    return settings


@pytest.fixture
def service():
    with FakeService() as service:
        service.route("GET /ok", lambda r: (200, {"ok": True}, {}))
        yield service


def resolver(*answers):
    """A resolver answering each call with the next list of addresses (the last one repeats)."""
    calls = []

    def resolve(host, port):
        calls.append(host)
        answer = answers[min(len(calls), len(answers)) - 1]
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, (a, port)) for a in answer]

    resolve.calls = calls
    return resolve


def get(url, **kwargs):
    with OutboundClient(resolver=kwargs.pop("resolver", None)) as client:
        return client.get(url, **kwargs)


# --- the operator's list ----------------------------------------------------------------------------
def test_a_local_listener_is_refused_unless_listed(service, settings):
    with pytest.raises(OutboundRefused, match="^Only https URLs are allowed"):
        get(f"{service.url}/ok")
    with pytest.raises(OutboundRefused, match="not a public internet address"):
        get(f"https://127.0.0.1:{service.port}/ok")
    assert service.connections == 0

    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{service.port}"]
    response = get(f"{service.url}/ok")
    assert (response.status_code, response.json()) == (200, {"ok": True})

    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]  # any port
    assert get(f"{service.url}/ok").status_code == 200

    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{service.port + 1}"]  # another port only
    before = service.connections
    with pytest.raises(OutboundRefused):
        get(f"{service.url}/ok")
    assert service.connections == before


def test_listing_is_by_host_as_written(service, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["LocalHost"]
    assert get(f"http://localhost:{service.port}/ok").status_code == 200
    with pytest.raises(OutboundRefused):  # the same address under another name is not listed
        get(f"{service.url}/ok")


def test_ipv6_loopback_and_its_ipv4_mapped_form():
    with FakeService(host="::1") as service, FakeService() as service4:
        service.route("GET /ok", lambda r: (200, {"ok": True}, {}))
        for url in (f"https://[::1]:{service.port}/ok", f"https://[::ffff:127.0.0.1]:{service4.port}/ok",
                    f"https://[::ffff:7f00:1]:{service4.port}/ok", f"https://[64:ff9b::7f00:1]:{service4.port}/ok"):
            with pytest.raises(OutboundRefused, match="not a public"):
                get(url)
        # Names that resolve to these forms are refused when connecting.
        for address in ("::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::", "::127.0.0.1"):
            with pytest.raises(OutboundRefused, match="not a public"):
                get(f"https://service.test:{service.port}/ok", resolver=resolver([address]))
        assert service.connections == service4.connections == 0


def test_a_listed_ipv6_listener(settings):
    with FakeService(host="::1") as service:
        service.route("GET /ok", lambda r: (200, {"ok": True}, {}))
        settings.OUTBOUND_ALLOWED_HOSTS = [service.allowed]  # "[::1]:port"
        assert get(f"{service.url}/ok").json() == {"ok": True}
        settings.OUTBOUND_ALLOWED_HOSTS = ["::1"]
        assert get(f"{service.url}/ok").status_code == 200


def test_listed_hosts_only_refuses_public_destinations_before_any_lookup(service, settings):
    """OUTBOUND_ALLOWED_HOSTS_ONLY (`make fuzz`): a public https host is refused without a DNS query
    or a connection; the listed hosts are still reached."""
    settings.OUTBOUND_ALLOWED_HOSTS = [service.allowed]
    settings.OUTBOUND_ALLOWED_HOSTS_ONLY = True
    resolve = resolver(["93.184.215.14"])
    with pytest.raises(OutboundRefused, match="only the hosts the operator lists"):
        get("https://retailer.example.com/api/images", resolver=resolve)
    assert resolve.calls == []
    assert get(f"{service.url}/ok").json() == {"ok": True}

    settings.OUTBOUND_ALLOWED_HOSTS_ONLY = False  # the default: the name is looked up and its address judged
    resolve = resolver(["192.0.2.1"])
    with pytest.raises(OutboundRefused, match="not a public internet address"):
        get("https://retailer.example.com/api/images", resolver=resolve)
    assert resolve.calls == ["retailer.example.com"]


# --- names, resolution once -------------------------------------------------------------------------
def test_a_name_that_resolves_to_loopback_is_refused_when_connecting(service):
    with pytest.raises(OutboundRefused, match="not a public"):
        get(f"https://localhost:{service.port}/ok")  # the system's resolver
    assert service.connections == 0


def test_one_internal_address_among_public_ones_refuses_the_name(service):
    resolve = resolver(["8.8.8.8", "127.0.0.1"])
    with pytest.raises(OutboundRefused):
        get(f"https://rebind.test:{service.port}/ok", resolver=resolve)
    assert service.connections == 0


def test_dns_rebinding_cannot_move_the_connection_to_loopback(service):
    """The resolver answers a public address first and loopback afterwards: the name is resolved
    once, and the connection goes to the checked (public, here unreachable) address."""
    resolve = resolver(["8.8.8.8"], ["127.0.0.1"])
    with pytest.raises(OutboundUnavailable):
        get(f"https://rebind.test:{service.port}/ok", resolver=resolve, timeout=0.5)
    assert resolve.calls == ["rebind.test"]
    assert service.connections == 0


def test_the_connection_goes_to_the_resolved_address(service, settings):
    """Resolution happens once, in the guard: `retailer.test` exists only in the injected resolver."""
    settings.OUTBOUND_ALLOWED_HOSTS = [f"retailer.test:{service.port}"]
    resolve = resolver(["127.0.0.1"])
    response = get(f"http://retailer.test:{service.port}/ok", resolver=resolve)
    assert response.json() == {"ok": True} and resolve.calls == ["retailer.test"]
    assert service.requests[0]["headers"]["Host"] == f"retailer.test:{service.port}"


def test_the_metadata_address_is_refused_without_connecting(monkeypatch):
    connects = []
    monkeypatch.setattr(outbound.GuardedBackend, "_connect", staticmethod(lambda *a: connects.append(a)))
    for url in ("http://169.254.169.254/latest/meta-data/", "https://169.254.169.254/latest/meta-data/"):
        with pytest.raises(OutboundRefused):
            get(url)
    with pytest.raises(OutboundRefused, match="not a public"):
        get("https://metadata.test/latest/meta-data/", resolver=resolver(["169.254.169.254"]))
    assert connects == []


@pytest.mark.parametrize("url, message", [
    ("http://example.com/", "Only https"),
    ("ftp://example.com/file", "Only https"),
    ("file:///etc/passwd", "Only https"),
    ("https://user:secret@example.com/", "user name or password"),
    ("https://10.0.0.8/", "not a public"),
    ("https://[fd00::1]/", "not a public"),
    ("https://2130706433/", "not a public"),  # 127.0.0.1 to the C library
    ("https://0x7f.1/", "not a public"),
    ("/api/images", "needs a scheme and a host"),
    ("https:///path", "needs a scheme and a host"),
])
def test_urls_refused_before_any_lookup(url, message):
    resolve = resolver(["8.8.8.8"])
    with pytest.raises(OutboundRefused, match=message):
        get(url, resolver=resolve)
    assert resolve.calls == []


@pytest.mark.parametrize("address, public", [
    ("8.8.8.8", True), ("2606:4700::1111", True), ("::ffff:8.8.8.8", True), ("64:ff9b::808:808", True),
    ("2002:808:808::", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("240.0.0.1", False), ("255.255.255.255", False), ("198.18.0.1", False), ("192.0.0.8", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("ff02::1", False), ("ff0e::1", False),
    ("::ffff:10.0.0.1", False), ("::ffff:169.254.169.254", False), ("64:ff9b::a9fe:a9fe", False),
    ("64:ff9b:1::808:808", False), ("2002:a00:1::", False), ("::ffff:0:7f00:1", False),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo whose client is a documentation address
    ("2001:db8::1", False),
])
def test_which_addresses_are_public(address, public):
    assert outbound.is_public(ipaddress.ip_address(address)) is public


# --- answers ----------------------------------------------------------------------------------------
def test_a_redirect_to_an_internal_address_is_not_followed(service, settings):
    with FakeService() as internal:
        internal.route("GET /secret", lambda r: (200, {"secret": "s3cr3t"}, {}))
        service.route("GET /go", lambda r: (302, b"", {"Location": f"{internal.url}/secret"}))
        settings.OUTBOUND_ALLOWED_HOSTS = [service.allowed]
        with pytest.raises(OutboundBadResponse, match="redirect") as refused:
            get(f"{service.url}/go")
        assert refused.value.status_code == 302 and refused.value.permanent
        assert internal.connections == 0


def test_an_answer_over_the_limit_is_refused(service, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = [service.allowed]
    service.route("GET /big", lambda r: (200, b"x" * 100_000, {"Content-Type": "text/plain"}))
    with pytest.raises(OutboundBadResponse, match="more than 1000 bytes"):
        get(f"{service.url}/big", max_bytes=1000)
    assert len(get(f"{service.url}/big", max_bytes=100_000).content) == 100_000
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 5000  # the operator's ceiling wins over a caller's larger limit
    with pytest.raises(OutboundBadResponse, match="more than 5000 bytes"):
        get(f"{service.url}/big", max_bytes=100_000)


def endless(connection):
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
    chunk = b"y" * 65536
    for _ in range(10_000):  # 640 MB unless the client stops reading
        connection.sendall(chunk)


def test_an_answer_without_length_stops_being_read_at_the_limit(settings):
    with RawService(endless) as server:
        settings.OUTBOUND_ALLOWED_HOSTS = [server.allowed]
        started = time.monotonic()
        with pytest.raises(OutboundBadResponse, match="more than"):
            get(f"{server.url}/", max_bytes=200_000)
        assert time.monotonic() - started < 5


def drip(head: bytes, body: bytes = b""):
    def handler(connection):
        connection.sendall(head)
        for byte in body:
            connection.sendall(bytes([byte]))
            time.sleep(0.1)
    return handler


@pytest.mark.parametrize("handler", [
    drip(b"", b"HTTP/1.1 200 OK\r\n" + b"X-Drip: " + b"z" * 200),  # headers dripped
    drip(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", b"b" * 500),  # body dripped
], ids=["headers", "body"])
def test_a_slow_drip_stops_at_the_deadline(settings, handler):
    with RawService(handler) as server:
        settings.OUTBOUND_ALLOWED_HOSTS = [server.allowed]
        started = time.monotonic()
        with pytest.raises(OutboundTimeout):
            get(f"{server.url}/", timeout=1.0)  # each byte comes well within a read timeout of 1 s
        assert time.monotonic() - started < 2.0
    assert not OutboundTimeout("x").permanent


def test_a_slow_name_server_does_not_hold_the_request_past_its_deadline():
    def slow_resolver(host, port):
        time.sleep(3)
        return [(socket.AF_INET, ("8.8.8.8", port))]

    started = time.monotonic()
    with pytest.raises(OutboundTimeout):
        get("https://slow-dns.test/", resolver=slow_resolver, timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_compressed_answers_are_refused(service, settings):
    """Asked for identity; a compressed answer could inflate past the size limit in memory."""
    settings.OUTBOUND_ALLOWED_HOSTS = [service.allowed]
    bomb = gzip.compress(b"0" * 5_000_000)
    service.route("GET /gz", lambda r: (200, bomb, {"Content-Encoding": "gzip"}))
    with pytest.raises(OutboundBadResponse, match="compressed"):
        get(f"{service.url}/gz")
    assert service.requests[-1]["headers"]["Accept-Encoding"] == "identity"


def test_proxies_from_the_environment_are_ignored(service, settings, monkeypatch):
    with FakeService() as proxy:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        settings.OUTBOUND_ALLOWED_HOSTS = [service.allowed, proxy.allowed]
        assert get(f"{service.url}/ok").json() == {"ok": True}
        assert proxy.connections == 0


def test_the_certificate_is_verified(settings, tmp_path):
    """TLS runs over the guarded socket and checks the certificate: a self-signed one fails."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    handshakes = []

    def serve(listener):
        connection, _ = listener.accept()
        try:
            with context.wrap_socket(connection, server_side=True):
                handshakes.append("done")
        except (ssl.SSLError, OSError) as exc:
            handshakes.append(type(exc).__name__)

    with socket.create_server(("127.0.0.1", 0)) as listener:
        server = threading.Thread(target=serve, args=(listener,), daemon=True)
        server.start()
        port = listener.getsockname()[1]
        settings.OUTBOUND_ALLOWED_HOSTS = [f"localhost:{port}"]
        with pytest.raises(OutboundUnavailable):
            get(f"https://localhost:{port}/", timeout=2)
        server.join(5)
    assert handshakes and handshakes != ["done"]  # the handshake reached the server and failed


def test_error_answers_are_returned_for_the_caller_to_classify(service, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = [service.allowed]
    service.route("GET /nope", lambda r: (404, {"message": "No such image"}, {}))
    response = get(f"{service.url}/nope")
    assert response.status_code == 404 and outbound.describe(response) == "HTTP 404: No such image"


def test_an_unreachable_host_is_transient(settings):
    with FakeService() as gone:
        url = gone.url
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with pytest.raises(OutboundUnavailable, match="could not be reached") as failed:
        outbound.request("GET", url)
    assert not failed.value.permanent


# --- what a tenant may see of an answer ---------------------------------------------------------------
@pytest.mark.parametrize("body, content_type, described", [
    (b"<html><body>internal admin: secret-token</body></html>", "text/html", "HTTP 500"),
    (b"plain text from some host", "text/plain", "HTTP 500"),
    (json.dumps({"message": "Unknown style\ncode\x00\u202e"}).encode(), "application/json",
     "HTTP 500: Unknown style code"),
    (json.dumps({"error": {"message": "Rate limited", "type": "x"}}).encode(), "application/json",
     "HTTP 500: Rate limited"),
    (json.dumps({"error": 42, "detail": "Bad field"}).encode(), "application/json", "HTTP 500: Bad field"),
    (json.dumps(["a", "list"]).encode(), "application/json", "HTTP 500"),
])
def test_describe_gives_a_status_and_a_sanitized_reason(body, content_type, described):
    response = outbound.httpx.Response(500, content=body, headers={"Content-Type": content_type})
    assert outbound.describe(response) == described


def test_reasons_are_short():
    response = outbound.httpx.Response(400, json={"message": "word " * 500})
    text = outbound.describe(response)
    assert len(text) <= len("HTTP 400: ") + 200 and text.endswith("…")
