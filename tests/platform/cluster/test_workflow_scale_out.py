"""The workflow's background work scaled out on PostgreSQL + Redis + Celery: schedules fire
exactly once per tick with two API processes each running a scheduler loop, and a webhook
delivery whose first attempt failed is retried after every process of the deployment was
SIGKILLed and the deployment started again (the retry is in the database, not in memory):
delivered, once more, with the same event id."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.platform.cluster.test_scale_out import VULNERABLE, wait_finished
from tests.support.cluster import scaled_deployment
from tests.support.live import make_git_repo
from tests.support.receiver import Receiver

pytestmark = pytest.mark.usefixtures("scale_services")

EVERY_TWO_SECONDS = "* * * * * */2"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_schedule_fires_once_per_tick_across_two_api_processes(tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo", VULNERABLE)
    with scaled_deployment(tmp_path, api_processes=2, workers=1) as deployment:
        key = deployment.create_key("pro", requests_per_hour=10**6, scans_per_hour=10**5)
        first, second = (httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30)
                         for url in deployment.base_urls)
        with first, second:
            assert first.post("/api/v1/repositories", json={"url": repo.as_uri()}
                              ).status_code == 201
            created = second.post("/api/v1/schedules", json={
                "repository": repo.as_uri(), "cron": EVERY_TWO_SECONDS, "scan_type": "code"})
            assert created.status_code == 201, created.text
            schedule_id = created.json()["id"]
            time.sleep(9)
            # The runs both schedulers recorded and the organisation's scans, read in one
            # snapshot (a tick fires in one transaction: its scan and its run together).
            runs, scans = fired(deployment.database_url, schedule_id)
            assert first.delete(f"/api/v1/schedules/{schedule_id}").status_code == 204
    ticks = sorted(tick for tick, _ in runs)
    assert len(ticks) >= 3, runs
    assert len(set(ticks)) == len(ticks)
    assert all((b - a).total_seconds() == 2 for a, b in itertools.pairwise(ticks)), ticks
    assert sorted(scans) == sorted(scan_id for _, scan_id in runs)


def fired(database_url: str, schedule_id: str) -> tuple[list[tuple[datetime, str]], list[str]]:
    async def read() -> tuple[list[tuple[datetime, str]], list[str]]:
        connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg",
                                                                "postgresql"))
        try:
            async with connection.transaction(isolation="repeatable_read", readonly=True):
                org_id = await connection.fetchval(
                    "SELECT org_id FROM schedules WHERE id = $1", schedule_id)
                runs = await connection.fetch(
                    "SELECT tick, scan_id FROM schedule_runs WHERE schedule_id = $1",
                    schedule_id)
                scans = await connection.fetch("SELECT id FROM scans WHERE org_id = $1", org_id)
        finally:
            await connection.close()
        return [(row["tick"], row["scan_id"]) for row in runs], [row["id"] for row in scans]

    return asyncio.run(read())


def deliveries(client: httpx.Client, webhook_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_a_pending_webhook_retry_survives_sigkill_of_every_process(tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo", VULNERABLE)
    receiver = Receiver(answers_by_event={"scan.completed": [500]}).start()
    settings = {"fetch_allow_hosts": '["127.0.0.0/8"]', "webhook_retry_base_seconds": "4"}
    try:
        with scaled_deployment(tmp_path, api_processes=2, workers=1, **settings) as deployment:
            key = deployment.create_key("pro")
            with httpx.Client(base_url=deployment.base_urls[0], headers={"X-API-Key": key},
                              timeout=30) as client:
                hook = client.post("/api/v1/webhooks", json={
                    "url": f"http://127.0.0.1:{receiver.port}/hook",
                    "events": ["scan.completed"]})
                assert hook.status_code == 201, hook.text
                webhook_id = hook.json()["id"]
                created = client.post("/api/v1/scans", json={"repository_url": repo.as_uri(),
                                                              "scan_type": "code"})
                assert created.status_code == 202, created.text
                assert wait_finished(client, created.json()["id"])["status"] == "completed"
                # Wait until the failed first attempt is recorded: killed between the
                # receiver's answer and that write, the delivery would stay claimed until
                # its two-minute lease ran out (at-least-once, but not this test's case).
                deadline = time.monotonic() + 30
                while (first := deliveries(client, webhook_id))[0]["last_status_code"] is None:
                    assert time.monotonic() < deadline, ("the first attempt never came", first)
                    time.sleep(0.05)
                assert first[0]["status"] == "pending" and first[0]["last_status_code"] == 500
                assert first[0]["attempts"] == 1, first
                # The first attempt failed (500): a retry is due in about four seconds.
                deployment.kill()
            assert len(receiver.received) == 1
            restarted = deployment.restarted().start()
            try:
                with httpx.Client(base_url=restarted.base_urls[1],
                                  headers={"X-API-Key": key}, timeout=30) as client:
                    deadline = time.monotonic() + 60
                    while (items := deliveries(client, webhook_id))[0]["status"] != "succeeded":
                        assert items[0]["status"] in ("pending", "delivering"), items
                        assert time.monotonic() < deadline, items
                        time.sleep(0.2)
            finally:
                restarted.stop()
    finally:
        receiver.stop()
    [delivery] = items
    assert delivery["attempts"] == 2 and delivery["last_status_code"] == 200, delivery
    sent = [r for r in receiver.received if r.headers.get("Tavo-Event") == "scan.completed"]
    assert len(sent) == 2, [r.headers for r in receiver.received]
    assert len({r.headers.get("Tavo-Event-Id") for r in sent}) == 1
