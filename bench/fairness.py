"""Fair, bounded scan execution: a victim organisation's small scans, alone and while an
attacking organisation submits pathological scans as fast as its (free) tier allows.

One `tavo serve` (embedded: SQLite, two scan runners). The victim (pro tier) uploads a
small project and waits for each scan, one after another; first alone (the baseline,
measured in this run), then while the attacker fires its whole hourly scan budget at once:
a catastrophic regex rule (`^(a+)+b`) over long lines of a's, a file of 80,000 `eval(a)`
lines (the quadratic-context case), and an archive of 200,000 directories. Prints the
victim's p50/p95 latency both ways, their ratio (goal: p95 ratio <= 3), and what became of
each pathological scan (each must fail or finish bounded, with a clear reason). The last
line is one JSON object.

    .venv/bin/python bench/fairness.py [--victim-scans 15]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
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
SMALL = {
    "app.py": "import subprocess\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n",
}
CATASTROPHIC_RULE = """rules:
  - id: attacker-catastrophic
    title: Catastrophic
    message: a's then b
    severity: LOW
    confidence: LOW
    category: test
    languages: [generic]
    fix: none
    regex:
      pattern: '^(a+)+b'
    examples:
      positive: ["aab"]
      negative: ["ccc"]
"""


def tar_gz(files: dict[str, bytes], directories: int = 0) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for n in range(directories):
            info = tarfile.TarInfo(f"d{n}")
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAVO_")}
        env.update(TAVO_SCAN_CONCURRENCY="2")
        self.process = Process(
            [TAVO, "serve", "--port", str(self.port), "--data-dir", str(data_dir)], env
        )
        self.process.wait_http(self.base_url + "/health")
        keys = [ln.strip() for ln in self.process.output().splitlines()
                if ln.strip().startswith("tavo_")]
        self.admin_key = keys[0]

    def key(self, tier: str, org: str, **limits: int) -> str:
        body: dict[str, Any] = {"tier": tier, "org": org}
        if limits:
            body["limits"] = limits
        response = httpx.post(self.base_url + "/api/v1/admin/keys", json=body, timeout=30,
                              headers={"Authorization": f"Bearer {self.admin_key}"})
        response.raise_for_status()
        return str(response.json()["key"])


def upload(server: Server, key: str, data: bytes) -> httpx.Response:
    return httpx.post(server.base_url + "/api/v1/uploads/scans", content=data, timeout=120,
                      params={"scan_type": "security"},
                      headers={"X-API-Key": key, "Content-Type": "application/gzip"})


def wait(server: Server, key: str, scan_id: str, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        scan = httpx.get(f"{server.base_url}/api/v1/scans/{scan_id}", timeout=30,
                         headers={"X-API-Key": key}).json()
        if scan["status"] in ("completed", "failed", "cancelled"):
            return dict(scan)
        time.sleep(0.05)
    return {"status": "lost", "error": f"not finished after {timeout:.0f} s"}


def victim_latencies(server: Server, key: str, count: int) -> list[float]:
    data = tar_gz({name: text.encode() for name, text in SMALL.items()})
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = upload(server, key, data)
        response.raise_for_status()
        scan = wait(server, key, response.json()["id"])
        if scan["status"] != "completed":
            sys.exit(f"error: a victim scan ended {scan['status']}: {scan.get('error')}")
        latencies.append(time.perf_counter() - started)
    return latencies


def pathological_archives() -> list[tuple[str, bytes]]:
    a_lines = ("a" * 4000 + "\n") * 200
    quadratic = "".join("eval(a)\n" for _ in range(80_000))
    return [
        ("catastrophic regex over long lines of a's",
         tar_gz({"input.txt": a_lines.encode()})),
        ("80,000 eval(a) lines (quadratic context)", tar_gz({"big.py": quadratic.encode()})),
        ("archive of 200,000 directories", tar_gz({}, directories=200_000)),
    ]


def attack(
    server: Server, keys: tuple[str, str], archives: list[tuple[str, bytes]],
    outcomes: list[dict[str, Any]],
) -> None:
    """Submits pathological scans until the tier's scan budget refuses more, then waits
    for each to end (watching through a second key of the organisation, whose request
    budget polling cannot exhaust)."""
    key, watcher = keys
    response = httpx.post(server.base_url + "/api/v1/rules/custom", timeout=60,
                          json={"name": "attack.yaml", "content": CATASTROPHIC_RULE},
                          headers={"X-API-Key": key})
    outcomes.append({"what": "catastrophic regex rule upload", "http": response.status_code,
                     "reason": response.json().get("error", {}).get("message", "accepted")})
    submitted: list[tuple[str, str]] = []
    n = 0
    while n < 100:
        what, data = archives[n % len(archives)]
        n += 1
        response = upload(server, key, data)
        if response.status_code == 429:
            outcomes.append({"what": "next submission", "http": 429,
                             "reason": response.json()["error"]["message"]})
            break
        if response.status_code != 202:
            outcomes.append({"what": what, "http": response.status_code,
                             "reason": response.json()["error"]["message"]})
            continue
        submitted.append((what, response.json()["id"]))
    for what, scan_id in submitted:
        scan = wait(server, watcher, scan_id)
        summary = scan.get("summary") or {}
        outcomes.append({
            "what": what, "status": scan["status"], "reason": scan.get("error"),
            "skipped": summary.get("skipped_by_reason"),
            "findings_not_stored": summary.get("findings_not_stored"),
            "seconds": summary.get("duration_seconds"),
        })


def p(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--victim-scans", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        server = Server(Path(directory) / "data")
        try:
            victim = server.key("pro", "victim", requests_per_hour=10**6, scans_per_hour=10**5)
            attacker = server.key("free", "attacker")
            # Same organisation and tier; only its request budget is raised, for polling.
            watcher = server.key("free", "attacker", requests_per_hour=10**6,
                                 requests_per_day=10**7)
            victim_latencies(server, victim, 2)  # warm-up
            alone = victim_latencies(server, victim, args.victim_scans)
            outcomes: list[dict[str, Any]] = []
            archives = pathological_archives()
            attacker_thread = threading.Thread(
                target=attack, args=(server, (attacker, watcher), archives, outcomes)
            )
            attacker_thread.start()
            time.sleep(3.0)  # the attacker's scans are queued and running
            loaded = victim_latencies(server, victim, args.victim_scans)
            attacker_thread.join()
        finally:
            server.process.stop()
    figures = {
        "victim_p50_alone_s": round(statistics.median(alone), 3),
        "victim_p95_alone_s": round(p(alone, 0.95), 3),
        "victim_p50_attacked_s": round(statistics.median(loaded), 3),
        "victim_p95_attacked_s": round(p(loaded, 0.95), 3),
    }
    figures["victim_p95_ratio"] = round(
        figures["victim_p95_attacked_s"] / figures["victim_p95_alone_s"], 2
    )
    bounded = all(o.get("http") in (201, 422, 429) or o.get("status") in ("completed", "failed")
                  for o in outcomes)
    with_reason = all(o.get("reason") or o.get("status") == "completed" for o in outcomes)
    print(f"victim scans alone:    p50 {figures['victim_p50_alone_s']:.3f} s, "
          f"p95 {figures['victim_p95_alone_s']:.3f} s")
    print(f"victim scans attacked: p50 {figures['victim_p50_attacked_s']:.3f} s, "
          f"p95 {figures['victim_p95_attacked_s']:.3f} s "
          f"(p95 ratio {figures['victim_p95_ratio']}, goal <= 3)")
    print("pathological submissions:")
    for outcome in outcomes:
        print("  " + json.dumps(outcome))
    print(json.dumps({**figures, "pathological": len(outcomes),
                      "pathological_bounded": bounded, "pathological_with_reason": with_reason}))


if __name__ == "__main__":
    main()
