"""The two configurations the API tests run against, behind one interface:

- "embedded": one `tavo serve` process, SQLite, in-memory rate limits, in-process scans;
- "scaled": PostgreSQL + Redis rate limits + Celery (Redis broker): a `tavo serve` process
  and a `tavo worker` process, started by the cluster supervisor (tests/support/cluster.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.cluster import ScaledDeployment, ScaledServer, scaled_deployment
from tests.support.live import LiveServer, server_env

CONFIGURATIONS = ("embedded", "scaled")


@dataclass
class Restartable:
    """Starts a server of one configuration, kills it (SIGKILL, every process), and starts
    it again on the same data, database, broker queue and port."""

    configuration: str
    directory: Path
    settings: dict[str, str]
    deployment: ScaledDeployment | None = None
    current: LiveServer | ScaledServer | None = None
    started: list[LiveServer | ScaledDeployment] = field(default_factory=list)

    def start(self) -> LiveServer | ScaledServer:
        if self.configuration == "embedded":
            # Again on the same port: clients (and the test) keep their base URL.
            same_port = {"port": self.current.port} if self.current is not None else {}
            live = LiveServer(self.directory / "data", server_env(**self.settings), **same_port)
            self.started.append(live)
            self.current = live.start()
            return self.current
        assert self.deployment is not None
        if self.current is not None:
            self.deployment = self.deployment.restarted()
            self.deployment.start(migrate=False)
        else:
            self.deployment.start()
        self.started.append(self.deployment)
        self.current = ScaledServer(self.deployment)
        return self.current

    def kill(self) -> None:
        if self.configuration == "embedded":
            assert isinstance(self.current, LiveServer)
            self.current.kill()
        else:
            assert self.deployment is not None
            self.deployment.kill()

    def stop(self) -> None:
        for server in self.started:
            server.stop()


@contextmanager
def restartable(configuration: str, directory: Path, **settings: str) -> Iterator[Restartable]:
    """`settings` are TAVO_* settings (lower case names); `scan_concurrency` becomes the
    worker's concurrency in the scaled configuration."""
    if configuration == "embedded":
        servers = Restartable(configuration, directory, settings)
        try:
            yield servers
        finally:
            servers.stop()
        return
    assert configuration == "scaled", configuration
    scaled = {k: v for k, v in settings.items() if k != "scan_concurrency"}
    concurrency = int(settings.get("scan_concurrency", "2"))
    with scaled_deployment(directory, worker_concurrency=concurrency, start=False,
                           **scaled) as deployment:
        servers = Restartable(configuration, directory, settings, deployment)
        try:
            yield servers
        finally:
            servers.stop()


@contextmanager
def serving(configuration: str, directory: Path, **settings: str) -> Iterator[
        LiveServer | ScaledServer]:
    with restartable(configuration, directory, **settings) as servers:
        yield servers.start()

