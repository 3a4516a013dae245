"""Fetching from the open web on a worker, and only from it: never an address of our own networks (SSRF).

Every hop is checked before anything is sent: the scheme (http or https), the port (80 or 443), and every address
the name resolves to must be public (an IPv6 address that carries an IPv4 one is judged by the IPv4 address); the
connection then goes to the address that was checked (a second lookup could answer otherwise), with the name kept
for the Host header and the certificate. Redirects are followed a few times, each checked the same way.

The whole fetch has one deadline, redirects included: the name's lookup, the connection, the TLS handshake, the
headers and the body. A watchdog shuts the socket at the deadline, so a server that sends a byte at a time, each
within a read's timeout, is cut off all the same. It also has a size limit; nothing is decompressed.

`EMBED_FETCH_ALLOW` lists `host:port` pairs that may be fetched even on a private address (a provider stub on
loopback in the tests, say); nothing else is let through.
"""

import http.client
import ipaddress
import socket
import ssl
import threading
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


# NAT64 for a network's own translator (RFC 8215): where it leads is that network's business, so never ours.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _carried_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one leads to: IPv4-mapped, IPv4-compatible, NAT64 (RFC 6052) or 6to4."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def address_is_public(address: str) -> bool:
    """Whether an address is on the public internet: not private, loopback, link-local, reserved or multicast,
    also when written as an IPv6 address carrying an IPv4 one. Teredo (2001::/32) is never public here."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64 or ip.teredo:
            return False
        ip = _carried_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    """The addresses of a name, within `timeout` seconds: the lookup runs on a thread of its own, left to finish
    (or not) on its own if the resolver is slow, since getaddrinfo cannot be interrupted."""
    found: dict = {}

    def lookup():
        try:
            found["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            found["error"] = exc

    thread = threading.Thread(target=lookup, name=f"resolve {host[:60]}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError
    if "error" in found or not found.get("infos"):
        raise FetchError(f"{host} does not resolve")
    return [info[4][0] for info in found["infos"]]


def _target(url: str, deadline: float) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) for a URL that may be fetched; else FetchError."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    except ValueError as exc:  # "http://[::1/x": a bracket never closed
        raise FetchError(f"not a web address: {url[:200]}") from exc
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
    addresses = _resolve(host, port, deadline - time.monotonic())
    if (host, port) not in allowed and not all(address_is_public(address) for address in addresses):
        raise FetchError(f"{host} is on a private or reserved network")
    return scheme, host, port, addresses[0]


class _Watchdog:
    """Shuts a socket down at the deadline, whatever is waiting on it (the handshake, a header, the body): a
    timeout on each read is armed afresh by every byte, and would let a server hold a worker for as long as it
    likes. The socket is watched through a duplicate of its descriptor (shutting one shuts the connection), so
    TLS, which takes the socket over, is cut off the same way."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.fired = False
        self._sock = sock.dup()
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(deadline - time.monotonic(), 0), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self):
        with self._lock:
            if self._sock.fileno() != -1:
                self.fired = True
                try:
                    self._sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # closed by the server meanwhile

    def stop(self):
        self._timer.cancel()
        with self._lock:
            self._sock.close()


class _Pinned:
    """A connection to the address that was checked, under the fetch's deadline."""

    def __init__(self, host, port, address, deadline, **options):
        super().__init__(host, port, timeout=max(deadline - time.monotonic(), 0.001), **options)
        self._address, self._deadline, self.watchdog = address, deadline, None

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.watchdog = _Watchdog(sock, self._deadline)
        return sock

    @property
    def cut(self) -> bool:
        return self.watchdog is not None and self.watchdog.fired

    def close(self):
        super().close()
        if self.watchdog:
            self.watchdog.stop()


class _PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    def connect(self):
        self.sock = self.pinned = self._open()


class _PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    def __init__(self, host, port, address, deadline):
        super().__init__(host, port, address, deadline, context=ssl.create_default_context())

    def connect(self):
        self.sock = self.pinned = self._context.wrap_socket(self._open(), server_hostname=self.host)


def fetch(url: str, *, max_bytes: int, accept: str = "*/*", timeout: float | None = None) -> Fetched:
    """GET the URL within `timeout` seconds in all (lookups and redirects included) and at most `max_bytes`."""
    timeout = timeout or settings.EMBED_FETCH_TIMEOUT
    deadline = time.monotonic() + timeout
    late = f"no answer within {timeout:g} s"
    for _ in range(REDIRECTS + 1):
        try:
            scheme, host, port, address = _target(url, deadline)
        except TimeoutError as exc:
            raise FetchError(late) from exc
        if deadline <= time.monotonic():
            raise FetchError(late)
        kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = kind(host, port, address, deadline)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(
                "GET", path, headers={"User-Agent": USER_AGENT, "Accept": accept, "Accept-Encoding": "identity"}
            )
            response = connection.getresponse()
            if response.status in {301, 302, 303, 307, 308} and response.getheader("Location"):
                try:
                    url = urljoin(url, response.getheader("Location"))
                except ValueError as exc:
                    raise FetchError(f"{host} redirected to something that is not a web address") from exc
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
                    raise TimeoutError
                connection.pinned.settimeout(left)
                if not (chunk := response.read1(CHUNK)):
                    break
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(f"{host} sent more than {max_bytes:,} bytes")
            if connection.cut:
                raise TimeoutError  # the end of the body was the watchdog's, not the server's
            return Fetched(url=url, content_type=response.getheader("Content-Type") or "", body=bytes(body))
        except TimeoutError as exc:
            raise FetchError(late) from exc
        except (OSError, http.client.HTTPException) as exc:
            if connection.cut:
                raise FetchError(late) from exc
            raise FetchError(f"{host} could not be reached ({type(exc).__name__})") from exc
        finally:
            connection.close()
    raise FetchError(f"more than {REDIRECTS} redirects")
