"""Outbound webhooks through the SDK against a real server (its SSRF allow-list admits
loopback, as an admin would for a receiver on the same host): signed deliveries verified
with the SDK helper, retries with backoff, the delivery log, redelivery, rotation, delivery
after a server crash, and bad input refused without changing anything."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tavo import (
    SyncTavoClient,
    TavoNotFoundError,
    TavoValidationError,
    WebhookVerificationError,
    verify_webhook,
)
from tavo.types import Webhook, WebhookDeliveryList

from tests.sdks.python.conftest import Keys
from tests.support.live import LiveServer, make_git_repo, server_env
from tests.support.receiver import Received, Receiver

APP = 'def evaluate(expression):\n    return eval(expression)\n'


def hooks_env() -> dict[str, str]:
    return server_env(fetch_allow_file_urls="true", fetch_allow_hosts='["127.0.0.1"]',
                      webhook_retry_base_seconds="0.5")


@pytest.fixture(scope="module")
def hooks_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("hooks-server"), hooks_env()).start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    try:
        yield started
    finally:
        started.stop()


def events(received: list[Received], kind: str) -> list[Received]:
    return [r for r in received if r.headers.get("Tavo-Event") == kind]


def test_signed_deliveries_retries_log_and_redelivery(
    hooks_server: LiveServer, receiver: Receiver, tmp_path: Path
) -> None:
    key = Keys(hooks_server).unlimited()
    repo = make_git_repo(tmp_path / f"r-{uuid.uuid4().hex[:6]}", {"app.py": APP})
    receiver.answers_by_event = {"scan.completed": [500]}  # fails once, then succeeds
    with SyncTavoClient(key, base_url=hooks_server.base_url) as client:
        hook = client.webhooks.create_webhook(
            receiver.url, ["scan.completed", "finding.new", "finding.triaged"],
            description="ci",
        )
        assert isinstance(hook, Webhook) and hook.secret and hook.secret.startswith("whsec_")
        assert client.webhooks.get_webhook(hook.id).secret is None  # shown once only
        scan = client.scan_management.create_scan(repository_url=repo.as_uri(), scan_type="code")
        client.scan_management.wait_for_scan(scan.id, timeout=300)
        got = receiver.wait_for(lambda r: len(r) >= 3)  # scan.completed (twice) + finding.new

        completed = events(got, "scan.completed")
        assert len(completed) == 2  # the failed attempt and its retry: the same event
        assert len({r.headers["Tavo-Event-Id"] for r in completed}) == 1
        event = verify_webhook(completed[-1].body, completed[-1].headers, secret=hook.secret)
        assert event.type == "scan.completed" and event.data["scan"]["id"] == scan.id
        assert event.data["scan"]["status"] == "completed"
        new = events(got, "finding.new")[0]
        found = verify_webhook(new.body, new.headers, secret=hook.secret)
        assert found.data["total"] >= 1 and found.data["scan_id"] == scan.id
        with pytest.raises(WebhookVerificationError):
            verify_webhook(new.body + b" ", new.headers, secret=hook.secret)
        with pytest.raises(WebhookVerificationError):
            verify_webhook(new.body, new.headers, secret="whsec_wrong")
        with pytest.raises(WebhookVerificationError):
            verify_webhook(new.body, new.headers, secret=hook.secret, now=time.time() + 3600)

        log = client.webhooks.list_deliveries(hook.id)
        assert isinstance(log, WebhookDeliveryList) and log.total == 2
        by_type = {d.event_type: d for d in log.items}
        retried = by_type["scan.completed"]
        assert retried.status == "succeeded" and retried.attempts == 2
        assert retried.last_status_code == 200 and retried.delivered_at

        # Triage is an event too.
        finding = client.findings.list_findings(repository=repo.as_uri()).items[0]
        client.findings.triage_finding(finding.id, "accepted_risk", comment="internal tool")
        triaged = receiver.wait_for(lambda r: bool(events(r, "finding.triaged")))
        body = json.loads(events(triaged, "finding.triaged")[0].body)
        assert body["data"]["finding"]["id"] == finding.id
        assert body["data"]["comment"] == "internal tool"

        # Redelivery: the same event again, a new delivery in the log.
        again = client.webhooks.redeliver(hook.id, retried.id)
        assert again.redelivery_of == retried.id and again.event_id == retried.event_id
        redelivered = receiver.wait_for(lambda r: len(events(r, "scan.completed")) == 3)
        assert events(redelivered, "scan.completed")[-1].headers["Tavo-Delivery-Id"] == again.id

        # Rotation: the new secret signs from now on.
        rotated = client.webhooks.update_webhook(hook.id, rotate_secret=True)
        assert rotated.secret and rotated.secret != hook.secret
        client.webhooks.redeliver(hook.id, retried.id)
        last = receiver.wait_for(lambda r: len(events(r, "scan.completed")) == 4)
        verify_webhook(events(last, "scan.completed")[-1].body,
                       events(last, "scan.completed")[-1].headers, secret=rotated.secret)

        # Deactivated and deleted webhooks get nothing.
        client.webhooks.update_webhook(hook.id, active=False)
        assert client.webhooks.get_webhook(hook.id).active is False
        client.webhooks.delete_webhook(hook.id)
        with pytest.raises(TavoNotFoundError):
            client.webhooks.get_webhook(hook.id)


def test_bad_input_is_refused_and_changes_nothing(hooks_server: LiveServer) -> None:
    keys = Keys(hooks_server)
    with SyncTavoClient(keys.unlimited(), base_url=hooks_server.base_url) as client:
        hook = client.webhooks.create_webhook("http://127.0.0.1:9/x", ["scan.failed"])
        for url in ("http://10.0.0.1/hook", "http://169.254.169.254/latest", "ftp://a.example/",
                    "file:///etc/passwd", "http://user:pw@127.0.0.1/x", "not a url"):
            with pytest.raises(TavoValidationError):
                client.webhooks.create_webhook(url, ["scan.completed"])
            with pytest.raises(TavoValidationError):
                client.webhooks.update_webhook(hook.id, url=url)
        for kinds in (["scan.exploded"], []):
            with pytest.raises(TavoValidationError):
                client.webhooks.create_webhook("http://127.0.0.1:9/x", kinds)
            with pytest.raises(TavoValidationError):
                client.webhooks.update_webhook(hook.id, events=kinds)
        unchanged = client.webhooks.get_webhook(hook.id)
        assert unchanged.url == "http://127.0.0.1:9/x" and unchanged.events == ["scan.failed"]
        assert client.webhooks.list_webhooks().total == 1
    with SyncTavoClient(keys.unlimited(), base_url=hooks_server.base_url) as stranger:
        for call in (
            lambda: stranger.webhooks.get_webhook(hook.id),
            lambda: stranger.webhooks.update_webhook(hook.id, active=False),
            lambda: stranger.webhooks.list_deliveries(hook.id),
            lambda: stranger.webhooks.delete_webhook(hook.id),
            lambda: stranger.webhooks.redeliver(hook.id, "dlv_x"),
        ):
            with pytest.raises(TavoNotFoundError):
                call()


def test_deliveries_survive_a_server_crash(tmp_path: Path) -> None:
    """Events written while the receiver is down are delivered after the server is killed
    (SIGKILL) and started again: the outbox and the retry schedule are in the database."""
    server = LiveServer(tmp_path / "data", hooks_env()).start()
    receiver = Receiver()
    try:
        key = Keys(server).unlimited()
        repo = make_git_repo(tmp_path / "repo", {"app.py": APP})
        down = Receiver().start()
        port = down.port
        down.stop()  # nothing listens on the port now: deliveries fail and wait to retry
        with SyncTavoClient(key, base_url=server.base_url) as client:
            hook = client.webhooks.create_webhook(f"http://127.0.0.1:{port}/hooks",
                                                  ["scan.completed"])
            scan = client.scan_management.create_scan(repository_url=repo.as_uri(),
                                                      scan_type="code")
            client.scan_management.wait_for_scan(scan.id, timeout=300)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                items = client.webhooks.list_deliveries(hook.id).items
                if items and items[0].attempts >= 1 and items[0].last_error:
                    break
                time.sleep(0.2)
            else:
                raise AssertionError("the delivery was never attempted")
        server.kill()
        receiver = Receiver(port=port).start()
        server = LiveServer(tmp_path / "data", hooks_env(), port=server.port,
                            admin_key=server.admin_key).start()
        got = receiver.wait_for(lambda r: bool(events(r, "scan.completed")), timeout=90)
        assert verify_webhook(got[0].body, got[0].headers, secret=hook.secret or "").data[
            "scan"]["id"] == scan.id
    finally:
        receiver.stop()
        server.stop()
