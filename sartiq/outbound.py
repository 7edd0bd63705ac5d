"""The one HTTP client for every request the server or a worker sends to another system.

Retailer pushes and polls, the image provider, the LLM stylist and any future webhook go through
`request()` / `OutboundClient`, which refuses what a server-side request forgery needs:
- https only; http only to hosts the operator lists in `OUTBOUND_ALLOWED_HOSTS`; no user name or
  password in URLs; no proxy, .netrc or certificate settings taken from the environment;
- the host name is resolved once, every address is checked, and the connection goes to a checked
  address (no second lookup that a rebinding DNS server could answer differently). Loopback,
  private, link-local, CGNAT, multicast, reserved and unspecified addresses are refused unless the
  host is listed; an IPv6 address that embeds an IPv4 one (mapped, compatible, NAT64, 6to4,
  Teredo) is judged by that IPv4 address;
- redirects are not followed: a 3xx answer is an error;
- the answer is read up to a size limit, and the whole exchange happens within one deadline (a
  server that drips bytes cannot hold a worker past it).

Errors: `OutboundRefused` (the destination) and `OutboundBadResponse` (the answer) are permanent;
`OutboundUnavailable` and its `OutboundTimeout` are transient. No message carries a resolved
address. What another host answered reaches tenants only through `describe(response)`: the status
code and a short sanitized reason, never its raw body.
"""
from __future__ import annotations

import contextvars
import ipaddress
import json
import logging
import socket
import threading
import time
import unicodedata
from typing import Callable

import httpcore
import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from httpcore._backends.sync import SyncStream  # httpcore is pinned: this is its plain socket stream

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> [(address family, socket address)], as socket.getaddrinfo gives them.
Resolver = Callable[[str, int], list[tuple[int, tuple]]]


# --- errors ---------------------------------------------------------------------------------------
class OutboundError(Exception):
    """Base of the client's errors; `permanent` tells a retry policy whether trying again can help."""

    permanent = False

    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


class OutboundRefused(OutboundError):
    """The destination is not allowed (scheme, user info, address, port): never retried."""

    permanent = True


class OutboundBadResponse(OutboundError):
    """The answer breaks a rule (a redirect, too large, compressed): never retried."""

    permanent = True


class OutboundUnavailable(OutboundError):
    """The destination could not be reached or the exchange broke off: worth retrying later."""


class OutboundTimeout(OutboundUnavailable):
    """The exchange did not finish within its deadline: worth retrying later."""


NOT_PUBLIC = "The destination is not allowed: it is not a public internet address"
NOT_LISTED = "The destination is not allowed: only the hosts the operator lists may be reached"


# --- which addresses are public ---------------------------------------------------------------------
def _networks(*cidrs):
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


# Not reachable on the public internet, in addition to what `ipaddress` says is not global
# (the list of the IANA special-purpose registries, spelled out: Python versions differ).
_NOT_PUBLIC_V4 = _networks(
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)
_NOT_PUBLIC_V6 = _networks(
    "::/128", "::1/128", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "5f00::/16", "fc00::/7",
    "fe80::/10", "fec0::/10", "ff00::/8",
)
# Local-use NAT64 (RFC 8215) translates into the operator's own network, with the IPv4 address at
# a place that depends on the prefix length: refused as a whole.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
# IPv6 ranges whose last 32 bits are an IPv4 address: compatible (deprecated), SIIT, NAT64.
_LAST_32_BITS_V4 = _networks("::/96", "::ffff:0:0:0/96", "64:ff9b::/96")


def embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for (mapped, compatible, NAT64, 6to4, Teredo)."""
    if ip.version == 4:
        return []
    if ip.ipv4_mapped:
        return [ip.ipv4_mapped]
    if ip.sixtofour:
        return [ip.sixtofour]
    if ip.teredo:
        return list(ip.teredo)  # the Teredo server and the client's own address
    if any(ip in network for network in _LAST_32_BITS_V4):
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return []


def is_public(ip: IPAddress) -> bool:
    """Whether a connection to `ip` stays on the public internet."""
    if ip in _LOCAL_NAT64:
        return False
    embedded = embedded_ipv4(ip)
    if embedded:
        return all(is_public(address) for address in embedded)
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return False
    return not any(ip in network for network in (_NOT_PUBLIC_V4 if ip.version == 4 else _NOT_PUBLIC_V6))


def _ip_literal(host: str) -> IPAddress | None:
    """The address a host name written as an IP literal stands for, in any form the C library
    reads (`127.1`, `0x7f000001`, `2130706433` are 127.0.0.1 to getaddrinfo)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


# --- the operator's list ------------------------------------------------------------------------
def _entry(text: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address -> (host, port or None)."""
    text = text.strip().lower()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None
        if rest and port is None:
            raise ImproperlyConfigured(f"OUTBOUND_ALLOWED_HOSTS: cannot read {text!r}")
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, None
    if not host or (port is not None and not port.isdigit()):
        raise ImproperlyConfigured(f"OUTBOUND_ALLOWED_HOSTS: cannot read {text!r} (host or host:port)")
    return host, None if port is None else int(port)


# Hosts the operator configured for one client only (an image engine's COG_URL, FASHN_BASE_URL):
# set by `OutboundClient(trusted_hosts=...)` for the time of its requests. OUTBOUND_ALLOWED_HOSTS
# admits a host for *every* request, including those to URLs tenants choose (a retailer's
# endpoint, a webhook): an internal service only the server should call (a GPU container) is
# trusted by its client, never listed there.
_trusted: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("outbound_trusted", default=())


def host_entry(url: str) -> str:
    """The `host:port` entry (as OUTBOUND_ALLOWED_HOSTS spells it) of a URL the operator configured."""
    parsed = httpx.URL(url)
    host, port = _host_port(parsed)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def host_allowed(host: str, port: int) -> bool:
    """Whether the operator lists this host (as written in the URL, lower-cased) for this port,
    for every request or for the current client's."""
    host = host.lower().strip("[]")
    for text in (*settings.OUTBOUND_ALLOWED_HOSTS, *_trusted.get()):
        listed, listed_port = _entry(text)
        if listed == host and listed_port in (None, port):
            return True
    return False


def _host_port(url: httpx.URL) -> tuple[str, int]:
    return url.raw_host.decode("ascii").lower(), url.port or (443 if url.scheme == "https" else 80)


def check_url(url: str | httpx.URL) -> httpx.URL:
    """The URL, parsed, if a request may be sent to it as far as the URL itself tells; otherwise
    `OutboundRefused`. For early feedback on input: the connection is checked again (a host name
    may resolve anywhere later)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, UnicodeError):
        raise OutboundRefused("The URL is not valid")
    if parsed.scheme and parsed.scheme not in ("https", "http"):
        raise OutboundRefused("Only https URLs are allowed")
    if not parsed.is_absolute_url:
        raise OutboundRefused("The URL is not valid: it needs a scheme and a host")
    if parsed.userinfo:
        raise OutboundRefused("The URL may not contain a user name or password")
    host, port = _host_port(parsed)
    listed = host_allowed(host, port)
    if parsed.scheme == "http" and not listed:
        raise OutboundRefused("Only https URLs are allowed (http only to hosts the operator allows)")
    literal = _ip_literal(host)
    if literal is not None and not listed and not is_public(literal):
        raise OutboundRefused(NOT_PUBLIC)
    return parsed


# --- the connection ---------------------------------------------------------------------------------
# The deadline of the exchange under way in this thread (set by OutboundClient.request).
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("outbound_deadline", default=None)


def _within_deadline(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("The deadline of the request passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(SyncStream):
    """A socket whose every read, write and TLS handshake ends by the request's deadline."""

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            self._sock.settimeout(_within_deadline(timeout, httpcore.ReadTimeout))
            return self._sock.recv(max_bytes)
        except socket.timeout as exc:
            raise httpcore.ReadTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.ReadError(exc) from exc

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            while buffer:  # the deadline is checked between sends: a slow reader cannot stretch one write
                self._sock.settimeout(_within_deadline(timeout, httpcore.WriteTimeout))
                buffer = buffer[self._sock.send(buffer):]
        except socket.timeout as exc:
            raise httpcore.WriteTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.WriteError(exc) from exc

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        stream = super().start_tls(ssl_context, server_hostname, _within_deadline(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(stream.get_extra_info("socket"))


def _resolve(host: str, port: int) -> list[tuple[int, tuple]]:
    return [(family, sockaddr) for family, _, _, _, sockaddr
            in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)]


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend with the address check: one resolution, every address checked,
    the socket connected to a checked address. TLS still verifies the URL's host name: httpcore
    passes it as `server_hostname`."""

    def __init__(self, resolver: Resolver | None = None):
        self.resolver = resolver or _resolve

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if settings.OUTBOUND_ALLOWED_HOSTS_ONLY and not host_allowed(host, port):
            raise OutboundRefused(NOT_LISTED)  # before any lookup: not even a DNS query leaves
        try:
            addresses = self._resolve(host, port, _within_deadline(timeout, httpcore.ConnectTimeout))
        except OSError as exc:  # socket.gaierror: unknown name, resolver down
            raise httpcore.ConnectError(f"The host name could not be resolved ({exc.__class__.__name__})") from exc
        if not addresses:
            raise httpcore.ConnectError("The host name resolved to no address")
        if not host_allowed(host, port):
            for _, sockaddr in addresses:
                address = ipaddress.ip_address(sockaddr[0].split("%")[0])
                if not is_public(address):
                    logger.warning("Outbound request to %s:%s refused: it resolves to %s", host, port, address)
                    raise OutboundRefused(NOT_PUBLIC)
        return _DeadlineStream(self._connect(addresses, timeout, socket_options or ()))

    def _resolve(self, host: str, port: int, timeout: float | None) -> list[tuple[int, tuple]]:
        """The resolver's answer, within the deadline: getaddrinfo cannot be given a timeout, and a
        tenant's own name server may answer slowly on purpose, so it runs in a thread of its own."""
        if timeout is None:
            return self.resolver(host, port)
        outcome: list = []

        def resolve():
            try:
                outcome.append(self.resolver(host, port))
            except BaseException as exc:  # handed to the caller's thread
                outcome.append(exc)

        thread = threading.Thread(target=resolve, name="outbound-resolve", daemon=True)
        thread.start()
        thread.join(timeout)
        if not outcome:
            raise httpcore.ConnectTimeout("The host name was not resolved in time")
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    @staticmethod
    def _connect(addresses, timeout, socket_options) -> socket.socket:
        error: Exception = httpcore.ConnectError("No address to connect to")
        for family, sockaddr in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                for option in socket_options:
                    sock.setsockopt(*option)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(_within_deadline(timeout, httpcore.ConnectTimeout))
                sock.connect(sockaddr)
                return sock
            except socket.timeout as exc:
                sock.close()
                error = httpcore.ConnectTimeout(exc)
            except OSError as exc:
                sock.close()
                error = httpcore.ConnectError(exc)
            except BaseException:
                sock.close()
                raise
        raise error


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport on a connection pool that connects through `GuardedBackend`, never through a proxy."""

    def __init__(self, resolver: Resolver | None = None):
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                             network_backend=GuardedBackend(resolver))


# --- the client ------------------------------------------------------------------------------------
class OutboundClient:
    """A guarded client for a few requests to one service (connections are kept between them).

    `timeout` (seconds, the whole exchange) and `max_bytes` (of the answer) default to, and are
    capped by, `OUTBOUND_TIMEOUT` and `OUTBOUND_MAX_RESPONSE_BYTES`; each request may ask for less.
    Every answer is returned read (`.content`, `.json()`); 3xx answers raise, 4xx/5xx are returned
    for the caller to classify.
    """

    def __init__(self, *, timeout: float | None = None, max_bytes: int | None = None, headers: dict | None = None,
                 resolver: Resolver | None = None, trusted_hosts: tuple[str, ...] | list[str] = ()):
        self.timeout, self.max_bytes = timeout, max_bytes
        # Entries like OUTBOUND_ALLOWED_HOSTS', admitted for this client's requests only: hosts the
        # operator configured for the service this client talks to (never a tenant's URL).
        self.trusted_hosts = tuple(trusted_hosts)
        self._client = httpx.Client(transport=GuardedTransport(resolver), trust_env=False, follow_redirects=False,
                                    headers={"Accept-Encoding": "identity", **(headers or {})})

    def __enter__(self) -> OutboundClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def request(self, method: str, url: str, *, timeout: float | None = None, max_bytes: int | None = None,
                **kwargs) -> httpx.Response:
        """Send one request (`headers`, `params`, `json`, `data`, `files`, `content` as in httpx)."""
        timeout = min(t for t in (timeout, self.timeout, settings.OUTBOUND_TIMEOUT) if t is not None)
        max_bytes = min(b for b in (max_bytes, self.max_bytes, settings.OUTBOUND_MAX_RESPONSE_BYTES) if b is not None)
        trusted = _trusted.set(self.trusted_hosts)
        try:
            parsed = check_url(url)
            token = _deadline.set(time.monotonic() + timeout)
            try:
                with self._client.stream(method, parsed, timeout=timeout, **kwargs) as response:
                    return self._read(response, max_bytes)
            except httpx.TimeoutException as exc:
                raise OutboundTimeout("timed out") from exc
            except (httpx.TransportError, httpx.DecodingError) as exc:
                raise OutboundUnavailable(f"could not be reached ({exc.__class__.__name__})") from exc
            finally:
                _deadline.reset(token)
        finally:
            _trusted.reset(trusted)

    @staticmethod
    def _read(response: httpx.Response, max_bytes: int) -> httpx.Response:
        status = response.status_code
        if 300 <= status < 400:
            raise OutboundBadResponse(f"answered a redirect ({status}), which is not followed", status)
        if response.headers.get("Content-Encoding", "identity").lower() not in ("identity", ""):
            raise OutboundBadResponse("answered compressed although asked not to", status)
        too_large = OutboundBadResponse(f"answered more than {max_bytes} bytes", status)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise too_large
        body = bytearray()
        for chunk in response.iter_raw():
            body += chunk
            if len(body) > max_bytes:
                raise too_large
        return httpx.Response(status, headers=response.headers, content=bytes(body), request=response.request,
                              extensions={"http_version": response.extensions.get("http_version", b"HTTP/1.1")})


def request(method: str, url: str, **kwargs) -> httpx.Response:
    """One guarded request with a client of its own (arguments as `OutboundClient.request`)."""
    with OutboundClient() as client:
        return client.request(method, url, **kwargs)


# --- failures: worth trying again or not -----------------------------------------------------------
def is_transient(failure: OutboundError | httpx.Response) -> bool:
    """The one rule of every client of an external system: a failure is transient (a timeout, the
    network, a 5xx or 429 answer: try again later, with backoff) or permanent (a refused
    destination, a bad answer, any other 4xx: trying again cannot help)."""
    if isinstance(failure, OutboundError):
        return not failure.permanent
    return failure.status_code >= 500 or failure.status_code == 429


def checked(send: Callable[[], httpx.Response], *, who: str, transient: type[Exception],
            permanent: type[Exception]) -> httpx.Response:
    """The answer of `send()` (a guarded request) when it succeeded; else the client's `transient`
    or `permanent` error (`is_transient`), worded for `who` ("The provider")."""
    try:
        response = send()
    except OutboundError as exc:
        message = (f"{who} timed out" if isinstance(exc, OutboundTimeout)
                   else f"{who} may not be reached: {exc}" if isinstance(exc, OutboundRefused) else f"{who} {exc}")
        raise (transient if is_transient(exc) else permanent)(message) from exc
    if response.status_code >= 400:
        if is_transient(response):
            raise transient(f"{who} answered {response.status_code}")
        raise permanent(f"{who} refused the request: {describe(response)}")
    return response


# --- what tenants may see of an answer ---------------------------------------------------------------
def clean(text: str, limit: int = 200) -> str:
    """`text` without control or format characters, whitespace collapsed, at most `limit` characters."""
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in str(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def reason(response: httpx.Response, limit: int = 200) -> str | None:
    """The answer's own explanation when it gives one as a JSON string field (`message`, `error`,
    `error.message`, `detail`, `error_description`, `title`), cleaned; never raw text or HTML."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    for key in ("message", "error", "detail", "error_description", "title"):
        value = body.get(key)
        if isinstance(value, dict):
            value = value.get("message")
        if isinstance(value, str) and clean(value, limit):
            return clean(value, limit)
    return None


def describe(response: httpx.Response) -> str:
    """What a tenant may be shown of an answer: `HTTP 400: <reason>` or `HTTP 201`."""
    explanation = reason(response)
    return f"HTTP {response.status_code}" + (f": {explanation}" if explanation else "")
