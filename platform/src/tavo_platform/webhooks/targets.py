"""Where a webhook may point: http(s) URLs that pass the repository fetching SSRF policy
(fetch/urls.py: every address the host resolves to must be public unless the server's
`fetch_allow_hosts` names the host or a network holding it). A delivery connects to the
very addresses checked, so a DNS answer that changes after the check reaches nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from tavo_platform.fetch import FetchError
from tavo_platform.fetch.urls import check_repository_url


@dataclass(frozen=True)
class Target:
    url: str  # with the checked address in place of the host name
    host_header: str
    sni_hostname: str | None


def check_target(url: str, allow_hosts: list[str]) -> Target:
    """The target to connect to; raises FetchError when the URL is not allowed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise FetchError("not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("webhook targets must be http:// or https:// URLs with a host")
    if parts.username or parts.password:
        raise FetchError("webhook targets must not carry credentials in the URL")
    checked = check_repository_url(url, allow_hosts)
    address = checked.addresses[0]
    literal = f"[{address}]" if ":" in address else address
    port = parts.port
    netloc = f"{literal}:{port}" if port else literal
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return Target(pinned, host_header, parts.hostname if parts.scheme == "https" else None)
