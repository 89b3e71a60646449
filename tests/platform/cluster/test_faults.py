"""Faults injected into a running scaled-out deployment (PostgreSQL + Redis + Celery): a
worker SIGKILLed in the middle of a scan, and every PostgreSQL connection terminated while
API traffic is in flight. Nothing accepted is lost, nothing is duplicated, and the service
recovers without a restart."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from tavo_platform.cluster import ManagedProcess

from tests.platform.cluster.test_scale_out import VULNERABLE, wait_finished
from tests.support import services
from tests.support.cluster import TEST_SETTINGS, ScaledDeployment, scaled_deployment
from tests.support.live import make_git_repo

pytestmark = pytest.mark.usefixtures("scale_services")

LEASE_SECONDS = float(TEST_SETTINGS["scan_lease_seconds"])
RESULTS_PAGE = 500


def large_repository(path: Path, modules: int = 400, evals: int = 5) -> Path:
    """A repository whose scan takes a few seconds on one worker: many modules of plain
    code, each with a few eval() calls (modules * evals findings, each one distinct)."""
    plain = "".join(
        f"def helper_{i}(value):\n    total = value * {i} + len(str(value))\n    return total\n\n"
        for i in range(300)
    )
    files = {
        f"pkg/module_{n}.py": plain + "".join(
            f"def run_{i}(expression):\n    return eval(expression + '{n}-{i}')\n\n"
            for i in range(evals)
        )
        for n in range(modules)
    }
    return make_git_repo(path, files)


def all_results(client: httpx.Client, scan_id: str) -> list[dict[str, Any]]:
    """Every finding of a scan, page by page."""
    items: list[dict[str, Any]] = []
    for page in itertools.count():
        response = client.get(f"/api/v1/scans/{scan_id}/results",
                              params={"page": page, "page_size": RESULTS_PAGE})
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["vulnerabilities"])
        if not body["has_more"]:
            assert len(items) == body["total"]
            return items
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Observation:
    status: str
    worker: str | None
    lease_until: datetime | None
    attempts: int


@dataclass
class ScanWatcher:
    """Polls one scan's row in the database (status, worker, lease) every few milliseconds
    on a thread of its own, keeping every change: who held the scan, and until when."""

    database_url: str
    scan_id: str
    interval: float = 0.02
    changes: list[Observation] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _error: BaseException | None = None

    def start(self) -> ScanWatcher:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> list[Observation]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self._error is not None:
            raise self._error
        return self.changes

    def latest(self) -> Observation | None:
        return self.changes[-1] if self.changes else None

    def _run(self) -> None:
        try:
            asyncio.run(self._poll())
        except BaseException as error:  # reported by stop()
            self._error = error

    async def _poll(self) -> None:
        connection = await asyncpg.connect(self.database_url.replace("+asyncpg", ""))
        try:
            while not self._stop.is_set():
                row = await connection.fetchrow(
                    "SELECT status, worker, lease_until, attempts FROM scans WHERE id = $1",
                    self.scan_id,
                )
                if row is not None:
                    seen = Observation(row["status"], row["worker"], row["lease_until"],
                                       row["attempts"])
                    if seen != self.latest():
                        self.changes.append(seen)
                await asyncio.sleep(self.interval)
        finally:
            await connection.close()


def process_of(deployment: ScaledDeployment, worker_identity: str) -> ManagedProcess:
    """The `tavo worker` whose process group holds the pid in a worker identity
    (host:pid:celery:nonce, the prefork child that claimed the scan)."""
    pid = int(worker_identity.rsplit(":", 3)[1])
    group = os.getpgid(pid)
    holders = [w for w in deployment.cluster.scan_workers if w.pid == group]
    assert len(holders) == 1, (worker_identity, [w.pid for w in deployment.cluster.scan_workers])
    return holders[0]


def test_sigkill_of_a_worker_mid_scan_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """Two workers on RabbitMQ. The worker running a scan is SIGKILLed (with its children)
    in the middle of it: the scan completes on the other worker, claimed only once the dead
    worker's lease had run out, with exactly the findings of an undisturbed run of the
    same repository — none lost, none duplicated."""
    repo = large_repository(tmp_path / "repo")
    body = {"repository_url": repo.as_uri(), "scan_type": "code"}
    with scaled_deployment(tmp_path, workers=2, queue_url=services.AMQP_URL) as deployment:
        key = deployment.create_key("pro")
        with httpx.Client(base_url=deployment.base_urls[0], headers={"X-API-Key": key},
                          timeout=30) as client:
            # The undisturbed run: the findings to expect.
            created = client.post("/api/v1/scans", json=body)
            assert created.status_code == 202, created.text
            undisturbed = wait_finished(client, created.json()["id"], timeout=120)
            assert undisturbed["status"] == "completed", undisturbed
            assert undisturbed["attempts"] == 1
            expected = all_results(client, undisturbed["id"])
            expected_fingerprints = {f["fingerprint"] for f in expected}
            assert len(expected) == len(expected_fingerprints) == 2000
            assert undisturbed["summary"]["total"] == 2000
            took = (datetime.fromisoformat(undisturbed["finished_at"])
                    - datetime.fromisoformat(undisturbed["started_at"])).total_seconds()
            assert took > 1.5, f"the scan took {took:.1f}s: too short to kill it midway"

            # The same scan again; its worker dies about a second into it.
            created = client.post("/api/v1/scans", json=body)
            assert created.status_code == 202, created.text
            scan_id = created.json()["id"]
            watcher = ScanWatcher(deployment.database_url, scan_id).start()
            try:
                deadline = time.monotonic() + 60
                while (seen := watcher.latest()) is None or seen.status != "running":
                    assert seen is None or seen.status == "queued", seen
                    assert time.monotonic() < deadline, "the scan never started"
                    time.sleep(0.02)
                assert seen.worker is not None
                first_worker = seen.worker
                victim = process_of(deployment, first_worker)
                survivor = next(w for w in deployment.cluster.scan_workers if w is not victim)
                time.sleep(min(took / 4, 1.0))  # into the engine's work, well before its end
                midway = watcher.latest()
                assert midway is not None and midway.status == "running", (
                    "the scan ended before its worker could be killed", watcher.changes)
                assert (midway.worker, midway.attempts) == (first_worker, 1), watcher.changes
                victim.kill()
                killed_at = time.monotonic()
                assert not victim.alive

                final = wait_finished(client, scan_id, timeout=180)
                recovery = time.monotonic() - killed_at
                deadline = time.monotonic() + 5  # until the watcher has seen the end too
                while (last := watcher.latest()) is None or last.status == "running":
                    assert time.monotonic() < deadline, watcher.changes
                    time.sleep(0.02)
            finally:
                changes = watcher.stop()

            assert final["status"] == "completed", final
            # Claimed twice in all: by the worker that died, then by the survivor.
            assert final["attempts"] == 2, final
            assert final["summary"]["total"] == undisturbed["summary"]["total"]
            found = all_results(client, scan_id)
            fingerprints = [f["fingerprint"] for f in found]
            ids = [f["id"] for f in found]
            assert len(fingerprints) == len(set(fingerprints)), "duplicate findings"
            assert len(ids) == len(set(ids)), "duplicate finding ids"
            assert set(fingerprints) == expected_fingerprints
            assert len(found) == len(expected)

        # Never running on two workers at once: the row went from the dead worker to the
        # survivor exactly once, and the survivor's claim (its first lease minus the lease
        # length: the watcher sees a claim well before its first renewal) came after the
        # dead worker's last lease had run out.
        holders = [who for who, _ in itertools.groupby(c.worker for c in changes if c.worker)]
        assert len(holders) == 2 and holders[0] == first_worker, changes
        assert process_of(deployment, holders[1]) is survivor
        last_lease = [c.lease_until for c in changes if c.worker == first_worker][-1]
        taken = next(c for c in changes if c.worker == holders[1])
        assert last_lease is not None and taken.lease_until is not None
        assert taken.attempts == 2 and taken.status == "running"
        assert taken.lease_until - timedelta(seconds=LEASE_SECONDS) >= last_lease, changes
        statuses = [status for status, _ in itertools.groupby(c.status for c in changes)]
        assert statuses in (["running", "completed"], ["queued", "running", "completed"])
        # The survivor ran it once and recorded it; nobody's result was dropped.
        deadline = time.monotonic() + 10  # the worker logs just after it recorded the scan
        while f"scan {scan_id}: completed" not in (log := survivor.output()):
            assert time.monotonic() < deadline, log[-3000:]
            time.sleep(0.1)
        assert log.count(f"running scan {scan_id} (attempt 2)") == 1, log[-3000:]
        assert f"running scan {scan_id} (attempt 1)" in victim.output()
        for worker in deployment.cluster.scan_workers:
            assert "taken over by another worker" not in worker.output()
        assert recovery < 180
        print(f"scan took {took:.1f}s undisturbed; completed {recovery:.1f}s after the kill")


# --- PostgreSQL connections terminated under traffic --------------------------------------

CREATES = 30
TRAFFIC_THREADS = 8


@dataclass
class Traffic:
    """What the traffic threads saw: creates per Idempotency-Key, and anything that was
    neither a success nor a 503 envelope."""

    creates: dict[str, list[httpx.Response]] = field(default_factory=dict)
    scan_ids: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, response: httpx.Response, *ok: int) -> bool:
        with self.lock:
            self.statuses.append(response.status_code)
        if response.status_code in ok:
            return True
        if response.status_code == 503 and is_unavailable_envelope(response):
            return False
        with self.lock:
            self.violations.append(
                f"{response.request.method} {response.request.url.path}: "
                f"{response.status_code} {response.text[:300]}"
            )
        return False


def is_unavailable_envelope(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return (
        body.get("success") is False
        and isinstance(error, dict)
        and error.get("code") == "SERVICE_UNAVAILABLE"
        and isinstance(error.get("message"), str)
        and response.headers.get("Retry-After") is not None
    )


def drive(
    traffic: Traffic, url: str, key: str, body: dict[str, str], seed: int,
    stop: threading.Event, create_numbers: itertools.count[int],
) -> None:
    """Creates (each with a new Idempotency-Key), gets and lists until told to stop."""
    chooser = random.Random(seed)
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
        while not stop.is_set():
            choice = chooser.random()
            try:
                if choice < 0.2:
                    number = next(create_numbers)
                    if number >= CREATES:
                        continue
                    idempotency_key = f"fault-create-{number}"
                    response = client.post("/api/v1/scans", json=body,
                                           headers={"Idempotency-Key": idempotency_key})
                    with traffic.lock:
                        traffic.creates.setdefault(idempotency_key, []).append(response)
                    if traffic.record(response, 202):
                        with traffic.lock:
                            traffic.scan_ids.append(response.json()["id"])
                elif choice < 0.6 and traffic.scan_ids:
                    scan_id = chooser.choice(traffic.scan_ids)
                    path = chooser.choice(["", "/status", "/results"])
                    traffic.record(client.get(f"/api/v1/scans/{scan_id}{path}"), 200)
                else:
                    traffic.record(client.get("/api/v1/scans", params={"limit": 20}), 200)
            except httpx.TransportError as error:
                with traffic.lock:
                    traffic.violations.append(f"transport error: {error!r}")


def list_all_scans(client: httpx.Client) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in itertools.count():
        response = client.get("/api/v1/scans", params={"page": page, "page_size": 7})
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        if not body["has_more"]:
            assert len(items) == body["total"]
            return items
    raise AssertionError("unreachable")


def test_postgres_backends_terminated_during_traffic(tmp_path: Path) -> None:
    """Every PostgreSQL connection of the deployment is terminated, three times, while
    creates (with Idempotency-Key), gets and lists run concurrently on two API processes:
    each answer is a success or a 503 envelope (never a 500, never a dropped connection);
    the API serves again within seconds without a restart; a create retried with its key
    yields exactly one scan; every accepted scan completes."""
    repo = make_git_repo(tmp_path / "repo", VULNERABLE)
    body = {"repository_url": repo.as_uri(), "scan_type": "code"}
    with scaled_deployment(tmp_path, api_processes=2, workers=1, worker_concurrency=2,
                           queue_resend_seconds="3") as deployment:
        key = deployment.create_key("enterprise", requests_per_hour=1_000_000,
                                    requests_per_day=1_000_000, scans_per_hour=10_000)
        traffic = Traffic()
        stop = threading.Event()
        numbers = itertools.count()
        terminated: list[int] = []
        with ThreadPoolExecutor(TRAFFIC_THREADS) as pool:
            running = [
                pool.submit(drive, traffic, deployment.base_urls[n % 2], key, body, n, stop,
                            numbers)
                for n in range(TRAFFIC_THREADS)
            ]
            try:
                for _ in range(3):
                    time.sleep(1.5)
                    terminated.append(services.terminate_backends(deployment.database_url))
                time.sleep(1.0)
            finally:
                stop.set()
            for future in running:
                future.result()

        assert not traffic.violations, traffic.violations[:20]
        assert all(count > 0 for count in terminated), terminated
        assert 0 < len(traffic.creates) <= CREATES  # each key used by one create (and retries)
        unavailable = traffic.statuses.count(503)

        # Recovery without a restart: both API processes answer again within seconds.
        with httpx.Client(headers={"X-API-Key": key}, timeout=30) as client:
            for url in deployment.base_urls:
                deadline = time.monotonic() + 5
                while client.get(url + "/api/v1/scans").status_code != 200:
                    assert time.monotonic() < deadline, f"{url} did not recover"
                    time.sleep(0.1)
                for _ in range(10):
                    assert client.get(url + "/api/v1/scans").status_code == 200
                assert client.get(url + "/health").status_code == 200
            assert all(p.alive for p in deployment.cluster.processes)

        with httpx.Client(base_url=deployment.base_urls[0], headers={"X-API-Key": key},
                          timeout=30) as client:
            # Retrying every create with its key: one scan per key, the same one every time.
            by_key: dict[str, str] = {}
            for idempotency_key, responses in sorted(traffic.creates.items()):
                accepted = {r.json()["id"] for r in responses if r.status_code == 202}
                assert len(accepted) <= 1, (idempotency_key, accepted)
                deadline = time.monotonic() + 10
                while True:
                    retry = client.post("/api/v1/scans", json=body,
                                        headers={"Idempotency-Key": idempotency_key})
                    if retry.status_code == 202:
                        break
                    assert retry.status_code == 503 and is_unavailable_envelope(retry), retry.text
                    assert time.monotonic() < deadline, f"{idempotency_key} never accepted"
                    time.sleep(0.2)
                assert retry.headers.get("Idempotent-Replayed") == "true" or not accepted
                scan_id = retry.json()["id"]
                assert accepted <= {scan_id}, (idempotency_key, accepted, scan_id)
                again = client.post("/api/v1/scans", json=body,
                                    headers={"Idempotency-Key": idempotency_key})
                assert again.status_code == 202 and again.json()["id"] == scan_id
                assert again.headers["Idempotent-Replayed"] == "true"
                by_key[idempotency_key] = scan_id

            listed = list_all_scans(client)
            assert len(listed) == len(set(by_key.values())) == len(by_key) == len(traffic.creates)
            assert {s["id"] for s in listed} == set(by_key.values())
            assert set(traffic.scan_ids) <= set(by_key.values())

            finals = [wait_finished(client, scan_id, timeout=120) for scan_id in by_key.values()]
            assert {f["status"] for f in finals} == {"completed"}, [
                (f["id"], f["status"], f["error"]) for f in finals if f["status"] != "completed"]
            assert {f["summary"]["total"] for f in finals} == {1}
        print(f"{len(traffic.statuses)} requests, {unavailable} answered 503; "
              f"backends terminated: {terminated}")
