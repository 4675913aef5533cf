"""Where webhooks may go: http(s) URLs on public addresses only.

A webhook URL is chosen by a customer, so without a guard it could make this
server post to its own database, cloud metadata service or private network
(server-side request forgery). The check runs when the connection is opened,
on the addresses the name resolves to at that moment, and the socket connects
to the address that was checked: a DNS answer that changes between a check and
the connection (DNS rebinding) cannot slip through. Redirects are never
followed. ``WEBHOOKS_ALLOW_PRIVATE=true`` lifts the address rule for
self-hosted installs that post inside their own network.
"""

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Wrapped addresses that can carry an IPv4 address through an IPv6 one.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeDestination(Exception):  # noqa: N818 - reads better at the call sites
    """The receiver resolves to an address webhooks must not reach.

    Deliberately not an ``OSError``: urllib3 would treat it as a network error
    and retry it.
    """


def address_is_public(address: IPAddress) -> bool:
    """False for private, loopback, link-local, multicast, reserved, unspecified,
    shared (CGNAT) and other non-global addresses, including IPv4 ones wrapped in IPv6."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is not None and not address_is_public(embedded):
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def webhook_url_validate(url: str, *, resolve: bool = False) -> str:
    """The shape rule for a receiver URL: absolute http(s) with a host, no credentials, and
    (unless private receivers are allowed) no private address in any spelling of it.

    Addresses are checked again at delivery time (they can change); this is what an
    integration's config should be validated with, ``resolve=True`` when it is saved (the
    name's current addresses are checked too). Raises ``ValidationError``.
    """
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"{url!r} is not a valid URL.") from exc
    if parts.scheme not in ("http", "https"):
        raise ValidationError(f"{url!r} must be an http or https URL.")
    if not parts.hostname:
        raise ValidationError(f"{url!r} has no host.")
    if parts.username or parts.password:
        raise ValidationError(f"{url!r} must not contain credentials.")
    if port == 0:
        raise ValidationError(f"{url!r} has an invalid port.")
    if not settings.WEBHOOKS_ALLOW_PRIVATE and not _host_allowed(
        parts.hostname, port or (443 if parts.scheme == "https" else 80), resolve=resolve
    ):
        raise ValidationError(f"{url!r} points to a private address.")
    return text


def _host_allowed(hostname: str, port: int, *, resolve: bool) -> bool:
    host = hostname.lower().rstrip(".")
    literal = host_literal(host)
    if literal is not None:
        return address_is_public(literal)
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return False
    if resolve:
        # Resolved now as it will be at delivery. A name that does not resolve yet is kept:
        # delivery resolves it again, and refuses it then if it turns private.
        try:
            resolve_public(host, port)
        except UnsafeDestination:
            return False
        except OSError:
            pass
    return True


def host_literal(host: str) -> IPAddress | None:
    """The address a host names without DNS, in every spelling the resolver accepts:
    ``127.0.0.1`` but also ``127.1``, ``2130706433`` and ``0x7f000001`` (inet_aton's forms)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def resolve_public(host: str, port: int) -> list[tuple[int, str]]:
    """(family, address) pairs ``host`` resolves to, every one of them allowed.

    Raises ``UnsafeDestination`` if any is not: a name that mixes public and
    private answers is refused as a whole rather than half-trusted.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise  # a network error, retried like any other
    results: list[tuple[int, str]] = []
    for family, _, _, _, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not settings.WEBHOOKS_ALLOW_PRIVATE and not address_is_public(address):
            raise UnsafeDestination(f"{host} resolves to {address}, a private or reserved address")
        if (family, str(address)) not in results:
            results.append((family, str(address)))
    return results


class _GuardedConnectionMixin:
    """Opens the socket to a checked address instead of letting the OS resolve the name again."""

    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        try:
            addresses = resolve_public(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NewConnectionError(self, f"Failed to resolve {self._dns_host}: {exc}") from exc  # type: ignore[arg-type]
        last_error: OSError | None = None
        for family, address in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                if isinstance(self.timeout, int | float):
                    sock.settimeout(self.timeout)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect((address, self.port))
                return sock
            except OSError as exc:
                sock.close()
                last_error = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}")  # type: ignore[arg-type]


class GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": GuardedHTTPConnectionPool,
            "https": GuardedHTTPSConnectionPool,
        }


def guarded_session() -> requests.Session:
    """A requests session whose every connection passes the address check.

    Environment proxies are ignored: through a proxy the check would only see
    the proxy's address, not the receiver's.
    """
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(max_retries=0, pool_maxsize=4)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
