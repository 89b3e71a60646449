"""The scaled-out platform on the real services: several API processes and Celery workers
behind PostgreSQL, Redis and RabbitMQ, started the documented way (`tavo cluster`), exact
global rate limits, cancel reaching a worker, and outages of Redis (rate limits) and of the
broker that cost neither correctness nor an accepted scan."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import time
from pathlib import Path

import asyncpg
import httpx
import pytest
from tavo_platform.cluster import TAVO
from tavo_platform.tiers import DEFAULT_TIERS

from tests.support import services
from tests.support.cluster import create_key, scaled_deployment, scaled_env
from tests.support.live import make_git_repo

pytestmark = pytest.mark.usefixtures("scale_services")

VULNERABLE = {"app.py": "def run(expression):\n    return eval(expression)\n"}


def consecutive_free_ports(count: int) -> int:
    """The first of `count` consecutive ports that are free right now, below the kernel's
    ephemeral range: a port in that range can be handed to any outgoing connection between
    this probe and the server's bind (seen once: "127.0.0.1:40854 is already in use")."""
    low, _ = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    for _ in range(100):
        first = random.randrange(10000, max(10001, low - count))
        probes = []
        try:
            for port in range(first, first + count):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError("no consecutive free ports")


def wait_finished(client: httpx.Client, scan_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/v1/scans/{scan_id}/status")
        if status.status_code == 200 and status.json()["finished"]:
            return client.get(f"/api/v1/scans/{scan_id}").json()
        time.sleep(0.2)
    raise AssertionError(f"scan {scan_id} did not finish")


def wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not become healthy")


async def scan_workers(database_url: str) -> set[str]:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        rows = await connection.fetch("SELECT DISTINCT worker FROM scans WHERE worker IS NOT NULL")
        return {row["worker"] for row in rows}
    finally:
        await connection.close()


def test_tavo_cluster_two_apis_two_workers_one_exact_limit(tmp_path: Path) -> None:
    """`tavo cluster` (RabbitMQ broker): a burst from one key spread over both API processes
    gets exactly the key's budget; scan creations likewise; the scans run on both workers;
    SIGTERM stops every process."""
    repo = make_git_repo(tmp_path / "repo", VULNERABLE)
    base_port = consecutive_free_ports(2)
    with services.fresh_database() as database_url:
        env = scaled_env(database_url, queue_url=services.AMQP_URL)
        data_dir = tmp_path / "data"
        cluster = subprocess.Popen(
            [TAVO, "cluster", "--api-processes", "2", "--workers", "2",
             "--base-port", str(base_port), "--data-dir", str(data_dir)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
        urls = [f"http://127.0.0.1:{base_port + n}" for n in range(2)]
        try:
            for url in urls:
                wait_healthy(url, cluster)
            budget, scan_budget = 60, 5
            key = create_key(env, data_dir, "free", requests_per_hour=budget,
                             scans_per_hour=scan_budget)

            async def burst() -> list[int]:
                limits = httpx.Limits(max_connections=100)
                clients = [httpx.AsyncClient(base_url=url, headers={"X-API-Key": key},
                                             limits=limits, timeout=60) for url in urls]
                try:
                    gets = await asyncio.gather(*[
                        clients[n % 2].get("/api/v1/scans", params={"limit": 1})
                        for n in range(4 * budget)])
                    return [r.status_code for r in gets]
                finally:
                    await asyncio.gather(*(c.aclose() for c in clients))

            codes = asyncio.run(burst())
            assert codes.count(200) == budget, codes
            assert codes.count(429) == 3 * budget

            creator = create_key(env, data_dir, "pro", scans_per_hour=scan_budget)

            async def create_scans() -> list[httpx.Response]:
                clients = [httpx.AsyncClient(base_url=url, headers={"X-API-Key": creator},
                                             timeout=60) for url in urls]
                try:
                    return list(await asyncio.gather(*[
                        clients[n % 2].post("/api/v1/scans", json={
                            "repository_url": repo.as_uri(), "scan_type": "code"})
                        for n in range(3 * scan_budget)]))
                finally:
                    await asyncio.gather(*(c.aclose() for c in clients))

            created = asyncio.run(create_scans())
            statuses = [r.status_code for r in created]
            assert statuses.count(202) == scan_budget and statuses.count(429) == 2 * scan_budget
            with httpx.Client(base_url=urls[1], headers={"X-API-Key": creator},
                              timeout=30) as client:
                finals = [wait_finished(client, r.json()["id"])
                          for r in created if r.status_code == 202]
            assert {f["status"] for f in finals} == {"completed"}
            assert {f["summary"]["total"] for f in finals} == {1}
            assert len(asyncio.run(scan_workers(database_url))) == 2
        finally:
            os.killpg(cluster.pid, signal.SIGTERM)
            output, _ = cluster.communicate(timeout=60)
            services.delete_queue(services.AMQP_URL, env["TAVO_QUEUE_NAME"])
        assert cluster.returncode == 0, output
        assert "api-1: http://127.0.0.1" in output and "worker-1: pid" in output
        for url in urls:
            with pytest.raises(httpx.TransportError):
                httpx.get(url + "/health", timeout=2)


def test_cancel_reaches_a_scan_running_on_a_worker(tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo", {
        f"pkg/m{n}.py": "def f(x):\n    return eval(x)\n" * 40 for n in range(600)})
    with scaled_deployment(tmp_path) as deployment:
        key = deployment.create_key("pro")
        with httpx.Client(base_url=deployment.base_urls[0], headers={"X-API-Key": key},
                          timeout=30) as client:
            scan_id = client.post("/api/v1/scans", json={"repository_url": repo.as_uri(),
                                                          "scan_type": "code"}).json()["id"]
            deadline = time.monotonic() + 60
            while client.get(f"/api/v1/scans/{scan_id}/status").json()["status"] != "running":
                assert time.monotonic() < deadline, "the scan never started"
                time.sleep(0.05)
            cancelling = client.post(f"/api/v1/scans/{scan_id}/cancel").json()
            assert cancelling["status"] == "running" and cancelling["cancel_requested"]
            final = wait_finished(client, scan_id, timeout=60)
            assert final["status"] == "cancelled", final.get("error")
            results = client.get(f"/api/v1/scans/{scan_id}/results").json()
            assert results["total"] == 0


def test_a_worker_holds_a_scan_to_its_tier_wall_clock_limit(tmp_path: Path) -> None:
    """Celery workers run each scan in a process of its own, held to the tier's limits as
    the embedded pool is: a scan over its wall-clock limit is stopped and failed with why."""
    tiers = {name: limits.model_dump() for name, limits in DEFAULT_TIERS.items()}
    tiers["pro"]["scan_seconds"] = 1.0
    repo = make_git_repo(tmp_path / "repo", {
        f"pkg/m{n}.py": "def f(x):\n    return eval(x)\n" * 40 for n in range(600)})
    with scaled_deployment(tmp_path, tiers=json.dumps(tiers)) as deployment:
        key = deployment.create_key("pro")
        with httpx.Client(base_url=deployment.base_urls[0], headers={"X-API-Key": key},
                          timeout=30) as client:
            scan_id = client.post("/api/v1/scans", json={"repository_url": repo.as_uri(),
                                                          "scan_type": "code"}).json()["id"]
            final = wait_finished(client, scan_id, timeout=90)
            assert final["status"] == "failed", final
            assert "longer than its limit of 1 s" in final["error"], final


def test_redis_and_broker_outages_cost_no_request_and_no_scan(tmp_path: Path) -> None:
    """Rate-limit Redis down: requests get a 503 envelope (never a 500, never let through
    uncounted), and the API recovers by itself. Broker down: a scan is still accepted (202),
    and runs once the broker is back (the API's sweeper re-sends it)."""
    limiter = services.PrivateRedis(tmp_path / "limiter-redis").start()
    broker = services.PrivateRedis(tmp_path / "broker-redis").start()
    repo = make_git_repo(tmp_path / "repo", VULNERABLE)
    try:
        with scaled_deployment(tmp_path, redis_url=limiter.url, queue_url=broker.url,
                               queue_resend_seconds="2") as deployment:
            key = deployment.create_key("pro")
            with httpx.Client(base_url=deployment.base_urls[0], headers={"X-API-Key": key},
                              timeout=30) as client:
                assert client.get("/api/v1/scans").status_code == 200

                limiter.stop()
                for _ in range(5):
                    refused = client.get("/api/v1/scans")
                    assert refused.status_code == 503
                    assert refused.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
                    assert refused.headers["Retry-After"] == "1"
                assert httpx.get(deployment.base_urls[0] + "/health").status_code == 200
                limiter.start()  # same port, empty
                recovered = client.get("/api/v1/scans")
                assert recovered.status_code == 200
                assert recovered.headers["X-RateLimit-Remaining"] == "999"

                broker.stop()
                created = client.post("/api/v1/scans", json={"repository_url": repo.as_uri(),
                                                              "scan_type": "code"})
                assert created.status_code == 202, created.text
                scan_id = created.json()["id"]
                time.sleep(3)
                assert client.get(f"/api/v1/scans/{scan_id}/status").json()["status"] == "queued"
                broker.start()
                final = wait_finished(client, scan_id, timeout=90)
                assert final["status"] == "completed" and final["summary"]["total"] == 1
    finally:
        limiter.stop()
        broker.stop()
