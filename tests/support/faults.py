"""A small fault-injecting HTTP/1.1 proxy, for the faults a healthy server does not produce.

It sits between the SDK and the live server on loopback, reads each request, and applies
the next fault from its schedule (no fault: the request is forwarded and the answer passed
back). Faults:

- "reset": the connection is reset (RST) after the request arrived, before the server sees it;
- "reset_after_forward": the server handles the request, then the client's connection is
  reset before the answer reaches it (the answer is lost: a retry must not redo the work);
- "503", "502", "504": answered by the proxy with that status and an error envelope;
- "429:<seconds>": answered 429 with `Retry-After: <seconds>` and the seed's body;
- "slow:<seconds>": forwarded, but the answer is held back that long.

The proxy runs its own event loop in a thread, so sync and async clients can both use it.
Every request it saw is recorded (method, path, headers) for the tests to inspect.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

STATUS_TEXT = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
               429: "Too Many Requests"}


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    fault: str


@dataclass
class FaultProxy:
    upstream_port: int
    port: int = 0
    faults: deque[str] = field(default_factory=deque)
    seen: list[SeenRequest] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _server: asyncio.Server | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, faults: Iterable[str]) -> None:
        """Applies these faults, in order, to the next requests (then forwards again)."""
        with self._lock:
            self.faults.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.seen.clear()

    def _next_fault(self) -> str:
        with self._lock:
            return self.faults.popleft() if self.faults else "pass"

    def start(self) -> FaultProxy:
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="fault-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return

        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        self._loop.close()

    # --- one client connection -------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                request = await _read_message(reader, is_request=True)
                if request is None:
                    return
                head, body = request
                fault = self._next_fault()
                self._record(head, fault)
                if fault == "reset":
                    _reset(writer)
                    return
                if fault in ("502", "503", "504") or fault.startswith("429:"):
                    writer.write(_canned(fault))
                    await writer.drain()
                    continue
                if upstream is None:
                    upstream = await asyncio.open_connection("127.0.0.1", self.upstream_port)
                up_reader, up_writer = upstream
                up_writer.write(head + body)
                await up_writer.drain()
                response = await _read_message(up_reader, is_request=False)
                if response is None:
                    return
                response_head, response_body = response
                if fault == "reset_after_forward":
                    _reset(writer)
                    return
                if fault.startswith("slow:"):
                    await asyncio.sleep(float(fault.split(":", 1)[1]))
                writer.write(response_head + response_body)
                await writer.drain()
                if _is_streamed(response_head):
                    await _pipe(up_reader, writer)
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            for stream_writer in (writer, upstream[1] if upstream else None):
                if stream_writer is not None and not stream_writer.is_closing():
                    stream_writer.close()

    def _record(self, head: bytes, fault: str) -> None:
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        with self._lock:
            self.seen.append(SeenRequest(method, target, headers, fault))


async def _read_message(
    reader: asyncio.StreamReader, *, is_request: bool
) -> tuple[bytes, bytes] | None:
    """One HTTP/1.1 message: (head, body). A streamed (chunked) response's body is left
    in the reader. None when the peer closed the connection between messages."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    length = _content_length(head)
    if length is None:
        return head, b""
    return head, await reader.readexactly(length)


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


def _is_streamed(head: bytes) -> bool:
    return b"transfer-encoding: chunked" in head.lower()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while chunk := await reader.read(65536):
        writer.write(chunk)
        await writer.drain()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Closes with a TCP RST (SO_LINGER 0), as a crashed peer or a middlebox would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _canned(fault: str) -> bytes:
    if fault.startswith("429:"):
        seconds = fault.split(":", 1)[1]
        body = {
            "success": False,
            "error": {
                "code": "RATE_LIMIT_EXCEEDED",
                "message": "API rate limit exceeded. Please try again later.",
                "details": {"limit": 1000, "remaining": 0, "reset": 0,
                            "retry_after": float(seconds)},
            },
        }
        status, extra = 429, f"Retry-After: {seconds}\r\n"
    else:
        status, extra = int(fault), ""
        body = {"success": False, "error": {"code": "SERVICE_UNAVAILABLE",
                                            "message": "injected by the test proxy",
                                            "details": {}}}
    payload = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {STATUS_TEXT[status]}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n{extra}X-Request-ID: injected-{status}\r\n\r\n"
    )
    return head.encode() + payload
