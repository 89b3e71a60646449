"""Scaled-out deployments for tests: PostgreSQL + Redis + Celery behind `tavo serve`, started
through tavo_platform.cluster.Cluster — the supervisor `tavo cluster` runs — on a database
of their own.

    with scaled_deployment(tmp_path, api_processes=2, workers=2) as deployment:
        key = deployment.create_key("free")
        httpx.get(deployment.base_urls[0] + "/api/v1/scans", headers={"X-API-Key": key})
        deployment.cluster.scan_workers[0].kill()       # SIGKILL a worker (and its children)

`ScaledServer` gives one such deployment (one API process, one worker) the interface of
tests/support/live.py's LiveServer, so the API test suite runs against both configurations.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tavo_platform.cluster import TAVO, Cluster

from tests.support import services

# Short leases so that a dead worker's scan is re-sent within seconds; a quick re-send of
# queued scans whose message may be lost (duplicates are harmless, see the dispatcher).
TEST_SETTINGS = {
    "fetch_allow_file_urls": "true",
    "scan_lease_seconds": "3",
    "queue_resend_seconds": "10",
    "log_level": "info",
}


def scaled_env(
    database_url: str,
    *,
    redis_url: str | None = None,
    queue_url: str | None = None,
    queue_name: str | None = None,
    **settings: str,
) -> dict[str, str]:
    """The environment of every process of a deployment: the caller's, minus any TAVO_*,
    plus the deployment's settings."""
    redis = redis_url or services.redis_url()
    values = {
        **TEST_SETTINGS,
        "database_url": database_url,
        "redis_url": redis,
        "queue_url": queue_url or redis,
        "queue_name": queue_name or f"tavo-test-{uuid.uuid4().hex[:10]}",
        **settings,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAVO_")}
    env.update({f"TAVO_{name.upper()}": value for name, value in values.items()})
    return env


@dataclass
class ScaledDeployment:
    data_dir: Path
    database_url: str
    env: dict[str, str]
    cluster: Cluster

    @property
    def base_urls(self) -> list[str]:
        return self.cluster.base_urls

    @property
    def queue_url(self) -> str:
        return self.env["TAVO_QUEUE_URL"]

    @property
    def queue_name(self) -> str:
        return self.env["TAVO_QUEUE_NAME"]

    def create_key(self, tier: str = "free", org: str | None = None, **limits: int) -> str:
        return create_key(self.env, self.data_dir, tier, org, **limits)

    def start(self, *, migrate: bool = True) -> ScaledDeployment:
        self.cluster.start(migrate=migrate)
        return self

    def stop(self) -> None:
        self.cluster.stop()

    def kill(self) -> None:
        for process in self.cluster.processes:
            process.kill()

    def restarted(self) -> ScaledDeployment:
        """A new cluster on the same database, broker queue, data directory and ports."""
        cluster = Cluster(
            data_dir=self.data_dir, env=self.env, api_processes=self.cluster.api_processes,
            workers=self.cluster.workers, worker_concurrency=self.cluster.worker_concurrency,
            ports=list(self.cluster.ports), log_dir=self.cluster.logs / "restarted",
        )
        return ScaledDeployment(self.data_dir, self.database_url, self.env, cluster)


def create_key(
    env: dict[str, str], data_dir: Path, tier: str = "free", org: str | None = None,
    **limits: int,
) -> str:
    """`tavo keys create --json`, in its own organisation unless `org` is given."""
    args = [TAVO, "keys", "create", "--json", "--tier", tier,
            "--org", org or f"org-{uuid.uuid4().hex[:12]}", "--data-dir", str(data_dir)]
    for name, value in limits.items():
        args += ["--limits", f"{name}={value}"]
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return str(json.loads(result.stdout)["key"])


@contextmanager
def scaled_deployment(
    directory: Path,
    *,
    api_processes: int = 1,
    workers: int = 1,
    worker_concurrency: int = 1,
    queue_url: str | None = None,
    redis_url: str | None = None,
    start: bool = True,
    **settings: str,
) -> Iterator[ScaledDeployment]:
    """A deployment on a fresh database (dropped afterwards); started unless `start=False`
    (then call `.start()`), stopped at the end."""
    queue = queue_url or redis_url or services.redis_url()
    services.require(queue, "the broker")
    services.require(redis_url or services.redis_url(), "Redis")
    with services.fresh_database() as database_url:
        env = scaled_env(database_url, redis_url=redis_url, queue_url=queue, **settings)
        data_dir = directory / "data"
        cluster = Cluster(
            data_dir=data_dir, env=env, api_processes=api_processes, workers=workers,
            worker_concurrency=worker_concurrency, base_port=0,
        )
        deployment = ScaledDeployment(data_dir, database_url, env, cluster)
        try:
            if start:
                deployment.start()
            yield deployment
        finally:
            deployment.stop()
            with contextlib.suppress(OSError, ConnectionError):  # e.g. a test's stopped broker
                services.delete_queue(queue, deployment.queue_name)


@dataclass
class ScaledServer:
    """One API process and one worker (two scans at a time, as the embedded default runs),
    with LiveServer's interface: base_url, create_key, stop."""

    deployment: ScaledDeployment
    port: int = field(init=False)

    def __post_init__(self) -> None:
        self.port = self.deployment.cluster.ports[0]

    @property
    def base_url(self) -> str:
        return self.deployment.base_urls[0]

    @property
    def data_dir(self) -> Path:
        return self.deployment.data_dir

    def create_key(self, tier: str = "free", org: str | None = None, **limits: int) -> str:
        return self.deployment.create_key(tier, org, **limits)

    def output(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.output()}" for p in self.deployment.cluster.processes)
