"""What the benchmark scripts share: free ports, server processes started as a user starts
them, and wrk (Debian package `wrk`) with its output read into figures.

The scripts run as `python bench/NAME.py`, so this directory is on the import path."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

START_TIMEOUT = 90.0
STOP_TIMEOUT = 40.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Process:
    """A process in its own session, so that signals reach its children too; its output
    goes to a temporary file, shown when it fails."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        self.stopped = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def wait_http(self, url: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                sys.exit(f"error: server exited early:\n{self.output()}")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        output = self.output()
        self.stop()
        sys.exit(f"error: server did not answer {url}:\n{output}")

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        self.log.close()


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian with apt-get when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        sys.exit("error: wrk is not installed and apt-get is unavailable; install wrk first")
    print("wrk not found: installing the Debian package with apt-get ...", flush=True)
    install = [apt, "install", "-y", "wrk"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run([apt, "update"], capture_output=True)
        result = subprocess.run(install, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"error: could not install wrk (apt-get install -y wrk):\n{result.stderr}")
    found = shutil.which("wrk")
    if found is None:
        sys.exit("error: wrk is still missing after apt-get install")
    return found


@dataclass
class WrkFigures:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int  # answers outside 2xx/3xx: a failing run must not pass for a fast one
    socket_errors: int


def parse_duration_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(output: str) -> WrkFigures:
    """The figures of `wrk --latency` output; exits when the output is not wrk's."""

    def percentile(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+(\S+)", output, re.MULTILINE)
        if match is None:
            sys.exit(f"error: no {label}th percentile in wrk output:\n{output}")
        return parse_duration_ms(match.group(1))

    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    if rate is None or total is None:
        sys.exit(f"error: unexpected wrk output:\n{output}")
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkFigures(
        requests_per_second=float(rate.group(1)),
        p50_ms=percentile("50"),
        p99_ms=percentile("99"),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )
