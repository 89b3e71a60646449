"""`tavo serve` on a port that is taken: one clear line and a non-zero exit, whether the
holder is another `tavo serve` or another program; sharing is only on request."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.support.live import TAVO, LiveServer, server_env


def serve(port: int, data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TAVO, "serve", "--port", str(port), "--data-dir", str(data_dir), *extra],
        env=server_env(), capture_output=True, text=True, timeout=60,
    )


def test_port_held_by_another_program(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = serve(port, tmp_path / "data")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port} is already in use" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_second_tavo_serve_on_the_same_port(tmp_path: Path) -> None:
    first = LiveServer(tmp_path / "one", server_env()).start()
    try:
        result = serve(first.port, tmp_path / "two")
        assert result.returncode != 0
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "already in use" in lines[0], result.stderr
    finally:
        first.stop()


def test_sharing_a_port_on_purpose(tmp_path: Path) -> None:
    """--share-port: several processes on one port (the kernel spreads connections)."""
    first = LiveServer(tmp_path / "one", server_env()).start()
    second = subprocess.Popen(
        [TAVO, "serve", "--port", str(first.port), "--data-dir", str(tmp_path / "two"),
         "--share-port"], env=server_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True)
    try:
        assert second.stdout is not None
        for line in second.stdout:
            if line.startswith("Tavo API on"):
                break
        time.sleep(1.0)
        assert second.poll() is None
    finally:
        os.killpg(second.pid, signal.SIGKILL)
        second.communicate()
        first.stop()
