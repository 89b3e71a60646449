"""Sends webhook deliveries: each API process claims due deliveries from the database
(the outbox the events were written to), signs and POSTs them, and records the outcome. A
failure is retried after base * 2^(attempt-1) seconds (capped at an hour) until the attempts
run out. Everything is in the database, so a restart loses nothing: a delivery whose sender
died is claimed again when its lease runs out (at-least-once; receivers deduplicate on
`Tavo-Event-Id`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tavo_platform import __version__
from tavo_platform.encryption import SecretBox, SecretError
from tavo_platform.enums import DeliveryStatus
from tavo_platform.fetch import FetchError
from tavo_platform.settings import Settings
from tavo_platform.store.interface import Store, StoreUnavailable
from tavo_platform.store.webhooks import Claimed
from tavo_platform.webhooks.signing import signed_headers
from tavo_platform.webhooks.targets import check_target

log = logging.getLogger("tavo.webhooks")

POLL_SECONDS = 0.5
BATCH = 10
LEASE = timedelta(seconds=120)
MAX_BACKOFF_SECONDS = 3600.0


def backoff_seconds(base: float, attempts: int) -> float:
    return float(min(MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempts - 1)))


class WebhookDispatcher:
    def __init__(self, store: Store, settings: Settings, box: SecretBox) -> None:
        self._store = store
        self._settings = settings
        self._box = box
        self._identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=self._settings.webhook_timeout_seconds,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": f"Tavo-Webhooks/{__version__}"},
        )
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                claimed = await self._store.claim_deliveries(self._identity, LEASE, BATCH)
            except StoreUnavailable as error:
                log.warning("webhook deliveries postponed: %s", error)
                claimed = []
            except Exception:
                log.exception("claiming webhook deliveries failed")
                claimed = []
            if not claimed:
                await asyncio.sleep(POLL_SECONDS)
                continue
            await asyncio.gather(*(self._deliver(item) for item in claimed))

    async def _deliver(self, item: Claimed) -> None:
        delivery = item.delivery
        started = time.perf_counter()
        status_code: int | None = None
        try:
            target = await asyncio.to_thread(
                check_target, item.url, list(self._settings.fetch_allow_hosts)
            )
            secret = self._box.decrypt(item.secret)
        except (FetchError, SecretError) as refused:
            # Retrying changes nothing until someone changes the webhook or the settings.
            failure = f"not sent: {refused}"
            await self._finish(item, DeliveryStatus.FAILED, None, failure, None, None)
            return
        body = delivery.payload.encode("utf-8")
        headers = signed_headers(secret, int(time.time()), body, delivery.event_type,
                                 delivery.event_id, delivery.id)
        headers["Host"] = target.host_header
        extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
        error: str | None = None
        assert self._client is not None
        try:
            response = await self._client.post(target.url, content=body, headers=headers,
                                               extensions=extensions)
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:500] or type(failure).__name__
        duration = int((time.perf_counter() - started) * 1000)
        if error is None:
            await self._finish(item, "succeeded", status_code, None, duration, None)
            return
        if delivery.attempts >= self._settings.webhook_max_attempts:
            await self._finish(item, DeliveryStatus.FAILED, status_code, error, duration, None)
            return
        delay = backoff_seconds(self._settings.webhook_retry_base_seconds, delivery.attempts)
        retry_at = datetime.now(UTC) + timedelta(seconds=delay)
        await self._finish(item, "pending", status_code, error, duration, retry_at)

    async def _finish(
        self,
        item: Claimed,
        status: str,
        status_code: int | None,
        error: str | None,
        duration_ms: int | None,
        retry_at: datetime | None,
    ) -> None:
        try:
            await self._store.finish_delivery(
                item.delivery.id, self._identity, status=status, status_code=status_code,
                error=error, duration_ms=duration_ms, retry_at=retry_at,
            )
        except StoreUnavailable as failure:
            # The lease runs out and the delivery is sent again: at least once.
            log.warning("outcome of delivery %s not recorded: %s", item.delivery.id, failure)
