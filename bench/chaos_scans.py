"""Supervision of scan processes: SIGKILL scan children at random while 200 scans from 4
organisations run, and count what became of them.

One `tavo serve` (embedded: SQLite, two scan runners, one process per scan, forked by a
forkserver). Four organisations upload small projects (50 scans each); a killer sends
SIGKILL to a random running scan process every 0.5 to 2 seconds, and /ready is polled
throughout. Prints the scans lost (never finished; goal 0), failed without a reason (goal 0),
failed with one (the killed ones), completed, and the longest time /ready was not ok after a
kill (`ready_again_s`). With `--kill-forkserver`, the forkserver itself is killed once
half-way, which /ready must report until scan processes start again. The last line is one
JSON object.

    .venv/bin/python bench/chaos_scans.py [--scans 200] [--kill-forkserver]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import signal
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from _harness import Process, free_port

TAVO = str(Path(sys.executable).parent / "tavo")
ORGS = 4
CODE = b"import subprocess\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


def archive(n: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in ((f"app{n}.py", CODE), ("README.md", b"demo\n")):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def descendants(root: int) -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process under `root`."""
    table: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(next(line.split()[1] for line in status.splitlines()
                        if line.startswith("PPid:")))
        table[int(entry)] = (ppid, cmdline)
    found: dict[int, tuple[int, str]] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, cmdline) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = (ppid, cmdline)
                frontier.append(pid)
    return found


def forkserver_and_children(server_pid: int) -> tuple[int | None, list[int]]:
    tree = descendants(server_pid)
    forkservers = [pid for pid, (_, cmd) in tree.items() if "forkserver" in cmd]
    if not forkservers:
        return None, []
    forkserver = forkservers[0]
    return forkserver, [pid for pid, (ppid, _) in tree.items() if ppid == forkserver]


class Chaos:
    def __init__(self, base_url: str, server_pid: int, kill_forkserver: bool) -> None:
        self.base_url = base_url
        self.server_pid = server_pid
        self.kill_forkserver = kill_forkserver
        self.stop = threading.Event()
        self.kills = 0
        self.forkserver_killed = False
        self.not_ready_since: float | None = None
        self.longest_not_ready = 0.0

    def killer(self, halfway: threading.Event) -> None:
        rng = random.Random(14)
        while not self.stop.wait(rng.uniform(0.5, 2.0)):
            forkserver, children = forkserver_and_children(self.server_pid)
            if self.kill_forkserver and halfway.is_set() and not self.forkserver_killed \
                    and forkserver is not None:
                os.kill(forkserver, signal.SIGKILL)
                self.forkserver_killed = True
                continue
            if children:
                try:
                    os.kill(rng.choice(children), signal.SIGKILL)
                    self.kills += 1
                except ProcessLookupError:
                    pass

    def watch_ready(self) -> None:
        while not self.stop.wait(0.1):
            try:
                ok = httpx.get(self.base_url + "/ready", timeout=2).status_code == 200
            except httpx.TransportError:
                ok = False
            now = time.monotonic()
            if not ok and self.not_ready_since is None:
                self.not_ready_since = now
            elif ok and self.not_ready_since is not None:
                self.longest_not_ready = max(self.longest_not_ready, now - self.not_ready_since)
                self.not_ready_since = None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument("--kill-forkserver", action="store_true")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAVO_")}
        env.update(TAVO_SCAN_CONCURRENCY="2")
        server = Process([TAVO, "serve", "--port", str(port), "--data-dir",
                          str(Path(directory) / "data")], env)
        try:
            server.wait_http(base_url + "/health")
            admin = next(ln.strip() for ln in server.output().splitlines()
                         if ln.strip().startswith("tavo_"))
            result = run(base_url, server.pid, admin, args)
        finally:
            server.stop()
    print(f"scans: {result['scans']} from {ORGS} organisations; scan processes killed: "
          f"{result['kills']}{' (and the forkserver once)' if args.kill_forkserver else ''}")
    print(f"completed {result['completed']}, failed with a reason {result['failed_with_reason']}, "
          f"failed without one {result['failed_without_reason']}, lost {result['scans_lost']}")
    print(f"longest time /ready was not ok: {result['ready_again_s']} s")
    for reason, count in sorted(result["reasons"].items()):
        print(f"  {count:4d} x {reason}")
    print(json.dumps({k: v for k, v in result.items() if k != "reasons"}))


def run(base_url: str, server_pid: int, admin: str, args: Any) -> dict[str, Any]:
    keys = []
    for n in range(ORGS):
        response = httpx.post(base_url + "/api/v1/admin/keys", timeout=30,
                              headers={"Authorization": f"Bearer {admin}"},
                              json={"tier": "pro", "org": f"chaos-{n}", "limits": {
                                  "requests_per_hour": 10**7, "scans_per_hour": 10**6}})
        response.raise_for_status()
        keys.append(response.json()["key"])
    chaos = Chaos(base_url, server_pid, args.kill_forkserver)
    halfway = threading.Event()
    threads = [threading.Thread(target=chaos.killer, args=(halfway,)),
               threading.Thread(target=chaos.watch_ready)]
    for thread in threads:
        thread.start()
    submitted: list[tuple[str, str]] = []
    try:
        for n in range(args.scans):
            key = keys[n % ORGS]
            response = httpx.post(base_url + "/api/v1/uploads/scans", content=archive(n),
                                  params={"scan_type": "code"}, timeout=60,
                                  headers={"X-API-Key": key, "Content-Type": "application/gzip"})
            response.raise_for_status()
            submitted.append((key, response.json()["id"]))
            time.sleep(0.05)
        final = wait_all(base_url, submitted, args.timeout, halfway)
    finally:
        chaos.stop.set()
        for thread in threads:
            thread.join()
    if chaos.not_ready_since is not None:  # still not ready at the end
        chaos.longest_not_ready = max(chaos.longest_not_ready,
                                      time.monotonic() - chaos.not_ready_since)
    reasons: dict[str, int] = {}
    for scan in final:
        if scan["status"] == "failed":
            reason = (scan.get("error") or "").split(":")[0] or "(none)"
            reasons[reason] = reasons.get(reason, 0) + 1
    return {
        "scans": len(submitted),
        "kills": chaos.kills,
        "completed": sum(s["status"] == "completed" for s in final),
        "failed_with_reason": sum(s["status"] == "failed" and bool(s.get("error"))
                                  for s in final),
        "failed_without_reason": sum(s["status"] == "failed" and not s.get("error")
                                     for s in final),
        "scans_lost": sum(s["status"] not in ("completed", "failed", "cancelled") for s in final),
        "ready_again_s": round(chaos.longest_not_ready, 2),
        "reasons": reasons,
    }


def wait_all(base_url: str, submitted: list[tuple[str, str]], timeout: float,
             halfway: threading.Event) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    pending = dict(enumerate(submitted))
    final: dict[int, dict[str, Any]] = {}
    while pending and time.monotonic() < deadline:
        for index, (key, scan_id) in list(pending.items()):
            scan = httpx.get(f"{base_url}/api/v1/scans/{scan_id}", timeout=30,
                             headers={"X-API-Key": key}).json()
            if scan["status"] in ("completed", "failed", "cancelled"):
                final[index] = scan
                del pending[index]
        if len(final) >= len(submitted) // 2:
            halfway.set()
        time.sleep(0.5)
    for index, (_key, scan_id) in pending.items():
        final[index] = {"id": scan_id, "status": "lost"}
    return [final[i] for i in sorted(final)]


if __name__ == "__main__":
    main()
