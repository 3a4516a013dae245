"""Fetching from the open web on a worker, and only from it: never an address of our own networks (SSRF).

Every hop is checked before anything is sent: the scheme (http or https), the port (80 or 443), and every address
the name resolves to must be public; the connection then goes to the address that was checked (a second lookup
could answer otherwise), with the name kept for the Host header and the certificate. Redirects are followed a few
times, each checked the same way. The whole fetch has one deadline and a size limit; nothing is decompressed.

`EMBED_FETCH_ALLOW` lists `host:port` pairs that may be fetched even on a private address (a provider stub on
loopback in the tests, say); nothing else is let through.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

USER_AGENT = "NewsroomEmbeds/1.0 (+oEmbed)"
REDIRECTS = 3
CHUNK = 16 * 1024


class FetchError(Exception):
    """Why a fetch was refused or failed, in words fit for the back office."""


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str
    body: bytes


def _allowed_pairs() -> set[tuple[str, int]]:
    pairs = set()
    for entry in getattr(settings, "EMBED_FETCH_ALLOW", ()):
        host, _, port = entry.rpartition(":")
        pairs.add((host.strip("[]").lower(), int(port)))
    return pairs


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) for a URL that may be fetched; else FetchError."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in {"http", "https"} or not host:
        raise FetchError(f"not a web address: {url[:200]}")
    if parts.username or parts.password:
        raise FetchError("an address with a user name or password is not fetched")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(f"a bad port in {url[:200]}") from exc
    allowed = _allowed_pairs()
    if port not in {80, 443} and (host, port) not in allowed:
        raise FetchError(f"port {port} is not fetched")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"{host} does not resolve") from exc
    addresses = [info[4][0] for info in infos]
    if (host, port) not in allowed and not all(_public(address) for address in addresses):
        raise FetchError(f"{host} is on a private or reserved network")
    return scheme, host, port, addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = self.pinned = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self.pinned = self._context.wrap_socket(sock, server_hostname=self.host)


def fetch(url: str, *, max_bytes: int, accept: str = "*/*", timeout: float | None = None) -> Fetched:
    """GET the URL within `timeout` seconds in all (redirects included) and at most `max_bytes`."""
    timeout = timeout or settings.EMBED_FETCH_TIMEOUT
    deadline = time.monotonic() + timeout
    for _ in range(REDIRECTS + 1):
        scheme, host, port, address = _target(url)
        kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(f"no answer within {timeout:g} s")
        connection = kind(host, port, address, timeout=left)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(
                "GET", path, headers={"User-Agent": USER_AGENT, "Accept": accept, "Accept-Encoding": "identity"}
            )
            response = connection.getresponse()
            if response.status in {301, 302, 303, 307, 308} and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location"))
                continue
            if response.status != 200:
                raise FetchError(f"{host} answered HTTP {response.status}")
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchError(f"{host} sent more than {max_bytes:,} bytes")
            body = bytearray()
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise FetchError(f"no answer within {timeout:g} s")
                connection.pinned.settimeout(left)  # a server sending a byte at a time still meets the deadline
                if not (chunk := response.read1(CHUNK)):
                    break
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(f"{host} sent more than {max_bytes:,} bytes")
            return Fetched(url=url, content_type=response.getheader("Content-Type") or "", body=bytes(body))
        except TimeoutError as exc:
            raise FetchError(f"no answer within {timeout:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"{host} could not be reached ({type(exc).__name__})") from exc
        finally:
            connection.close()
    raise FetchError(f"more than {REDIRECTS} redirects")
