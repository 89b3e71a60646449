"""Repository URL policy: which URLs the server may fetch (SSRF protection).

Only https, http, ssh and git URLs (and scp-like `user@host:path`) are accepted. The host
is resolved here, and every address it resolves to must be public unless the host or the
address is in the server's allow-list; `file://` only reaches into the directories an admin
named (`fetch_file_roots`). The addresses
checked are handed to git so that it connects to exactly those (no DNS rebinding window).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tavo_platform.fetch import FetchError

ALLOWED_SCHEMES = frozenset({"https", "http", "ssh", "git"})
DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22, "git": 9418}
_SCP_LIKE = re.compile(
    r"^(?:(?P<user>[A-Za-z0-9._-]+)@)?(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/].*)$"
)
MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class CheckedURL:
    url: str
    scheme: str
    host: str | None
    port: int | None
    addresses: tuple[str, ...]
    local_path: str | None = None  # for file:// URLs


def check_repository_url(
    url: str,
    allow_hosts: list[str] | tuple[str, ...] = (),
    file_roots: Sequence[str | Path] = (),
) -> CheckedURL:
    """`file_roots`: directories file:// URLs may point into (none: file:// is refused)."""
    if not url or len(url) > MAX_URL_LENGTH or any(ord(c) < 0x21 for c in url):
        raise FetchError("repository_url must be a URL without spaces or control characters")
    if url.startswith("-"):
        raise FetchError("repository_url must not start with '-'")
    scp = _SCP_LIKE.match(url)
    if scp and "://" not in url:
        host = scp.group("host")
        return _checked(url, "ssh", host, 22, allow_hosts)
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket: "https://[::1/x"
        raise FetchError("repository_url is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme == "file":
        if not file_roots:
            raise FetchError("file:// repository URLs are not allowed on this server")
        if parts.netloc not in ("", "localhost"):
            raise FetchError("file:// URLs must not name a host")
        _check_under_roots(unquote(parts.path), file_roots)
        return CheckedURL(url, "file", None, None, (), local_path=unquote(parts.path))
    if scheme not in ALLOWED_SCHEMES:
        raise FetchError(
            f"unsupported repository URL scheme {scheme or '(none)'!r}: use https, ssh or git"
        )
    if not parts.hostname:
        raise FetchError("repository_url has no host")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise FetchError("repository_url has an invalid port") from None
    return _checked(url, scheme, parts.hostname, port, allow_hosts)


def _check_under_roots(local: str, roots: Sequence[str | Path]) -> None:
    """The real path (symlinks and `..` resolved) must lie inside one of the roots."""
    real = Path(os.path.realpath(local))
    if not any(real.is_relative_to(os.path.realpath(root)) for root in roots):
        raise FetchError("the file:// path is outside the allowed directories of this server")


def _checked(
    url: str, scheme: str, host: str, port: int, allow_hosts: list[str] | tuple[str, ...]
) -> CheckedURL:
    addresses = _resolve(host, port)
    for address in addresses:
        if not _is_public(address) and not _allowed(host, address, allow_hosts):
            raise FetchError(
                f"repository host {host!r} resolves to a non-public address; "
                "it must be in the server's fetch allow-list"
            )
    return CheckedURL(url, scheme, host, port, tuple(str(a) for a in addresses))


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        return [literal]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError(f"repository host {host!r} cannot be resolved") from None
    seen: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in seen:
            seen.append(address)
    return seen


# Refused whatever the Python version's idea of "global" is (192.0.0.9 and .10 count as
# global in newer ones), and IPv6 prefixes that only lead to someone's private network.
_NEVER_PUBLIC = tuple(
    ipaddress.ip_network(net)
    for net in ("0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15",
                "64:ff9b:1::/48", "fc00::/7", "fe80::/10")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _is_public(address: IPAddress) -> bool:
    """An IPv6 address that carries an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo)
    reaches that IPv4 address, so both must be public."""
    if any(address in network for network in _NEVER_PUBLIC):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded and not all(_is_public(inner) for inner in embedded):
            return False
        if address in _IPV4_COMPATIBLE or address in _NAT64:
            return bool(embedded)
    return address.is_global and not address.is_multicast


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def _allowed(host: str, address: IPAddress, allow_hosts: list[str] | tuple[str, ...]) -> bool:
    for entry in allow_hosts:
        if entry.lower() == host.lower():
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
