"""`tavo serve` with a TLS certificate: HTTPS, HTTP/2 negotiated by ALPN, HTTP/1.1 too."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live import LiveServer, server_env


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 and localhost, and its private key."""
    certificate, key = directory / "server.crt", directory / "server.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(certificate), "-days", "2",
         "-subj", "/CN=tavo-test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )
    return certificate, key


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("tls")
    certificate, key = self_signed_certificate(directory)
    trust = ssl.create_default_context(cafile=str(certificate))
    server = LiveServer(
        directory / "data",
        server_env(tls_certificate=str(certificate), tls_key=str(key)),
        scheme="https",
        verify=trust,
    ).start()
    try:
        yield server
    finally:
        server.stop()


def negotiated_protocol(server: LiveServer, offered: list[str]) -> str | None:
    # A context of its own: ALPN settings stick to a context, and clients share this one.
    context = ssl.create_default_context(cafile=server.env["TAVO_TLS_CERTIFICATE"])
    context.set_alpn_protocols(offered)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as secure:
        return secure.selected_alpn_protocol()


def test_alpn_offers_h2_and_http_1_1(tls_server: LiveServer) -> None:
    assert negotiated_protocol(tls_server, ["h2", "http/1.1"]) == "h2"
    assert negotiated_protocol(tls_server, ["http/1.1"]) == "http/1.1"


@pytest.mark.parametrize(("http2", "version"), [(True, "HTTP/2"), (False, "HTTP/1.1")])
def test_the_api_over_https(tls_server: LiveServer, http2: bool, version: str) -> None:
    key = tls_server.create_key("pro")
    assert tls_server.base_url.startswith("https://")
    with httpx.Client(base_url=tls_server.base_url, http2=http2, verify=tls_server.verify,
                      headers={"X-API-Key": key}, timeout=30) as client:
        health = client.get("/health")
        assert health.status_code == 200 and health.http_version == version
        scans = client.get("/api/v1/scans")
        assert scans.status_code == 200 and scans.http_version == version
        assert scans.json()["items"] == []
        assert scans.headers["X-RateLimit-Limit"] == "1000"
        missing = client.get("/api/v1/scans/scan_" + "0" * 32)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
        spec = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
        assert spec.http_version == version and spec.headers["content-encoding"] == "gzip"
        assert spec.json()["openapi"].startswith("3.1")


def test_the_certificate_is_the_one_configured(tls_server: LiveServer) -> None:
    # A client that does not trust the test certificate refuses the connection...
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(tls_server.base_url + "/health", timeout=10)
    # ...and cleartext HTTP gets no answer from the TLS port.
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{tls_server.port}/health", timeout=10)
