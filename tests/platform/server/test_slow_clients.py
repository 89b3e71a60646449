"""Slow clients (slowloris) against a real server: a request head or body that stalls is
cut off after the configured time, not held open."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from tests.support.live import LiveServer, server_env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("slow") / "data",
                      server_env(request_header_timeout_seconds="2",
                                 request_body_idle_seconds="2")).start()
    try:
        yield live
    finally:
        live.stop()


def closed_within(connection: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server ended the connection (or answered) within `seconds`."""
    connection.settimeout(seconds)
    received = b""
    try:
        while chunk := connection.recv(4096):
            received += chunk
    except TimeoutError:
        return False, received
    return True, received


def test_a_stalled_request_head_is_cut_off(server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as connection:
        connection.sendall(b"GET /api/v1/scans HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        started = time.monotonic()
        closed, _ = closed_within(connection, 8)
    assert closed and time.monotonic() - started < 6


def test_a_stalled_request_body_gets_408(server: LiveServer) -> None:
    key = server.create_key("pro")
    with socket.create_connection(("127.0.0.1", server.port)) as connection:
        connection.sendall(
            b"POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"X-API-Key: {key}\r\nContent-Length: 100\r\n\r\n".encode() + b'{"repo'
        )
        started = time.monotonic()
        _closed, received = closed_within(connection, 8)
    assert time.monotonic() - started < 6
    assert b" 408 " in received.split(b"\r\n", 1)[0], received[:200]
