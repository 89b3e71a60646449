"""HTTP caching against the real server's Cache-Control and ETag headers, request
compression, the seed's aiohttp connector, HTTP/2, uploads and custom rules."""

from __future__ import annotations

import asyncio
import io
import socket
import ssl
import tarfile
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from tavo import SyncTavoClient, TavoClient, TavoConnectionError
from tavo._transport import Request, Response

from tests.sdks.python.conftest import SEED_RULES, VULNERABLE_APP, Keys, run
from tests.support.live import LiveServer
from tests.support.tls import TlsTerminator, self_signed_certificate


def test_rules_are_served_from_the_cache_while_fresh(server: LiveServer, api_key: str) -> None:
    async def scenario() -> None:
        async with TavoClient(api_key, base_url=server.base_url) as client:
            first = await client.scan_rules.list_rules()
            second = await client.scan_rules.list_rules()
            models = [await client.ai_analysis.get_models() for _ in range(2)]
            assert second.to_dict() == first.to_dict()
            assert models[0].to_dict() == models[1].to_dict()
            assert client.metrics.attempts == 2 and client.metrics.cache_hits == 2

    run(scenario())


def test_a_no_cache_answer_is_revalidated_with_its_etag(server: LiveServer, keys: Keys) -> None:
    """With custom rules the list is `private, no-cache`: each call revalidates; the 304 has
    no body and costs no rate-limit budget."""
    key = keys.unlimited()
    statuses: list[int] = []
    remaining: list[str] = []

    def record(response: Response) -> None:
        statuses.append(response.status_code)
        remaining.append(response.headers.get("x-ratelimit-remaining", ""))

    async def scenario() -> None:
        async with TavoClient(key, base_url=server.base_url,
                              event_hooks={"response": [record]}) as client:
            await client.scan_rules.upload_custom_rules("seed-rules.yaml", SEED_RULES)
            first = await client.scan_rules.list_rules(pack="custom")
            again = await client.scan_rules.list_rules(pack="custom")
            assert [rule.id for rule in again.items] == ["rule1", "rule2", "rule3"]
            assert again.to_dict() == first.to_dict()
            assert client.metrics.cache_revalidations == 1 and client.metrics.cache_hits == 1

    run(scenario())
    assert statuses[-2:] == [200, 304]
    assert remaining[-1] == remaining[-2]  # the 304 was free


def test_finished_results_are_cached_but_statuses_are_not(
    server: LiveServer, keys: Keys, repository_url: str
) -> None:
    key = keys.unlimited()

    async def scenario() -> None:
        async with TavoClient(key, base_url=server.base_url) as client:
            scan = await client.scan_management.create_scan(repository_url=repository_url,
                                                            scan_type="secrets")
            await client.scan_management.wait_for_scan(scan.id, timeout=300)
            before = client.metrics.attempts
            for _ in range(2):
                await client.scan_management.get_scan_status(scan.id)
            assert client.metrics.attempts == before + 2
            for _ in range(2):
                await client.scan_management.get_scan_results(scan.id, limit=10)
            assert client.metrics.attempts == before + 3 and client.metrics.cache_hits == 1

    run(scenario())


def test_the_cache_can_be_switched_off(server: LiveServer, api_key: str) -> None:
    with SyncTavoClient(api_key, base_url=server.base_url, cache=False) as client:
        client.scan_rules.list_packs()
        client.scan_rules.list_packs()
        assert client.metrics.attempts == 2 and client.metrics.cache_hits == 0


def test_large_bodies_go_out_gzipped_and_the_server_reads_them(
    server: LiveServer, keys: Keys, repository_url: str
) -> None:
    key = keys.unlimited()
    sent: list[Request] = []

    async def scenario() -> None:
        async with TavoClient(key, base_url=server.base_url,
                              event_hooks={"request": [sent.append]}) as client:
            await client.scan_rules.upload_custom_rules("seed-rules.yaml", SEED_RULES)
            scan = await client.scan_management.create_scan({
                "repository_url": repository_url,
                "scan_type": "comprehensive",
                "rules": ["rule1", "rule2", "rule3"] * 100,
                "exclusions": ["path1", "path2", "path3"] * 100,
            })
            assert scan.rules == ["rule1", "rule2", "rule3"]
            assert scan.exclusions == ["path1", "path2", "path3"]
            await client.scan_management.cancel_scan(scan.id)

    run(scenario())
    create = next(r for r in sent if r.url.endswith("/api/v1/scans") and r.method == "POST")
    assert create.headers["Content-Encoding"] == "gzip"
    assert create.content is not None and create.content[:2] == b"\x1f\x8b"


class CountingResolver(AbstractResolver):
    """Resolves with the system resolver, counting the look-ups."""

    def __init__(self) -> None:
        self.lookups = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups += 1
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, family=family, type=socket.SOCK_STREAM)
        return [
            ResolveResult(hostname=host, host=info[4][0], port=info[4][1], family=info[0],
                          proto=info[2], flags=socket.AI_NUMERICHOST)
            for info in infos
        ]

    async def close(self) -> None:
        pass


def test_the_seed_connector_is_used_with_its_dns_cache(server: LiveServer, api_key: str) -> None:
    resolver = CountingResolver()

    async def scenario() -> None:
        connector = aiohttp.TCPConnector(
            limit=100, limit_per_host=10, ttl_dns_cache=300, use_dns_cache=True,
            resolver=resolver,
        )
        client = TavoClient(api_key=api_key, connector=connector,
                            base_url=f"http://localhost:{server.port}")
        await asyncio.gather(*(client.scan_management.list_scans() for _ in range(40)))
        assert client.transport.connector is connector  # type: ignore[attr-defined]
        assert resolver.lookups == 1  # 40 requests, up to 10 connections, one DNS look-up
        await client.close()
        assert connector.closed

    run(scenario())


def test_http2_multiplexes_over_one_connection(server: LiveServer, api_key: str) -> None:
    versions: list[str] = []

    async def scenario() -> None:
        async with TavoClient(api_key, base_url=server.base_url, http2=True,
                              event_hooks={"response": [lambda r: versions.append(r.http_version)]}
                              ) as client:
            await asyncio.gather(*(client.ai_analysis.get_models() for _ in range(1)))
            await asyncio.gather(*(client.scan_management.list_scans() for _ in range(30)))

    run(scenario())
    assert set(versions) == {"HTTP/2"} and len(versions) == 31


def archive(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_upload_scan_and_model_file_verdict(server: LiveServer, keys: Keys) -> None:
    key = keys.unlimited()
    pickle_bomb = b"cos\nsystem\n(S'echo pwned'\ntR."  # a pickle that would run a command

    async def scenario() -> dict[str, Any]:
        async with TavoClient(key, base_url=server.base_url) as client:
            scan = await client.scan_management.upload_scan(archive({"app.py": VULNERABLE_APP}))
            final = await client.scan_management.wait_for_scan(scan.id, timeout=300)
            assert final.status == "completed" and (final.total_findings or 0) >= 2
            verdict = await client.ai_analysis.analyze_model_file(pickle_bomb,
                                                                  filename="model.pkl")
            return verdict.to_dict()

    verdict = run(scenario())
    assert verdict["safe"] is False and verdict["risks"]


def test_custom_rule_files(server: LiveServer, keys: Keys) -> None:
    key = keys.unlimited()
    with SyncTavoClient(key, base_url=server.base_url) as client:
        uploaded = client.scan_rules.upload_custom_rules("seed-rules.yaml", SEED_RULES)
        assert uploaded.rule_ids == ["rule1", "rule2", "rule3"] and uploaded.replaced is False
        files = client.scan_rules.list_custom_rule_files()
        assert [f.id for f in files.items] == [uploaded.id]
        assert "rule2" in (client.scan_rules.get_custom_rule_file(uploaded.id).content or "")
        client.scan_rules.delete_custom_rule_file(uploaded.id)
        assert client.scan_rules.list_custom_rule_files().total == 0


@pytest.fixture(scope="module")
def https(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsTerminator]:
    certificate, key = self_signed_certificate(tmp_path_factory.mktemp("sdk-tls"))
    terminator = TlsTerminator(server.port, certificate, key).start()
    terminator.certificate = certificate  # type: ignore[attr-defined]
    try:
        yield terminator
    finally:
        terminator.stop()


def test_https_with_http2_by_alpn_and_http1(https: TlsTerminator, api_key: str) -> None:
    def trusting() -> ssl.SSLContext:
        # One context per client: httpx sets ALPN on the context it is given.
        return ssl.create_default_context(cafile=str(https.certificate))  # type: ignore[attr-defined]

    versions: list[str] = []
    hooks = {"response": [lambda r: versions.append(r.http_version)]}

    async def scenario() -> None:
        for http2 in (True, False):
            async with TavoClient(api_key, base_url=https.base_url, http2=http2,
                                  verify=trusting(), event_hooks=hooks) as client:
                assert (await client.scan_management.list_scans()).total == 0
        with SyncTavoClient(api_key, base_url=https.base_url, http2=True, verify=trusting(),
                            event_hooks=hooks) as sync:
            assert sync.ai_analysis.get_models().items

    run(scenario())
    assert versions == ["HTTP/2", "HTTP/1.1", "HTTP/2"]
    # aiohttp offers no ALPN: the server side falls back to HTTP/1.1.
    assert https.negotiated == ["h2", None, "h2"]


def test_an_untrusted_certificate_is_refused(https: TlsTerminator, api_key: str) -> None:
    async def scenario() -> None:
        async with TavoClient(api_key, base_url=https.base_url, max_retries=0) as client:
            with pytest.raises(TavoConnectionError, match="certificate"):
                await client.scan_management.list_scans()

    run(scenario())
