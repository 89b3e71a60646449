"""The SDK against the real server over loopback: every resource method, through the async
client on HTTP/1.1 (aiohttp) and HTTP/2 (httpx, h2c), and the sync client on both.

Each flavour runs the same scenarios; a sync call is simply not awaited."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from tavo import (
    SyncTavoClient,
    TavoAuthError,
    TavoClient,
    TavoConflictError,
    TavoNotFoundError,
    TavoValidationError,
)
from tavo._models import Model
from tavo._transport import Response
from tavo.types import (
    AIModelList,
    Repository,
    RepositoryList,
    RuleDetail,
    RuleList,
    Scan,
    ScanList,
    ScanResults,
    ScanStatus,
)

from tests.sdks.python.conftest import Keys, run
from tests.support.live import LiveServer

FLAVOURS = ["async-http1", "async-http2", "sync-http1", "sync-http2"]


class Api:
    """One client of a flavour; `await api("scan_management.get_scan", id)` calls it."""

    def __init__(self, client: TavoClient | SyncTavoClient, versions: list[str]) -> None:
        self.client = client
        self.versions = versions

    async def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, method)(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def collect(self, method: str, *args: Any, **kwargs: Any) -> list[Any]:
        iterator = getattr(self.client, method)(*args, **kwargs)
        if hasattr(iterator, "__aiter__"):
            return [item async for item in iterator]
        return list(iterator)


@asynccontextmanager
async def api_for(flavour: str, base_url: str, key: str) -> AsyncIterator[Api]:
    versions: list[str] = []
    hooks = {"response": [lambda response: versions.append(response.http_version)]}
    http2 = flavour.endswith("http2")
    if flavour.startswith("async"):
        async with TavoClient(key, base_url=base_url, http2=http2, event_hooks=hooks) as client:
            yield Api(client, versions)
    else:
        with SyncTavoClient(key, base_url=base_url, http2=http2, event_hooks=hooks) as client:
            yield Api(client, versions)


@pytest.fixture(scope="module")
def org(keys: Keys) -> str:
    return f"contract-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def org_key(keys: Keys, org: str) -> str:
    return keys.unlimited(org=org)


@pytest.fixture(scope="module")
def finished_scan(server: LiveServer, org_key: str, repository_url: str) -> str:
    """One completed scan of the test repository, shared by the module's tests."""
    with SyncTavoClient(org_key, base_url=server.base_url) as client:
        scan = client.scan_management.create_scan(repository_url=repository_url)
        final = client.scan_management.wait_for_scan(scan.id, timeout=300)
        assert final.status == "completed", final
        return scan.id


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_reads_of_a_finished_scan(
    server: LiveServer, org_key: str, finished_scan: str, repository_url: str, flavour: str
) -> None:
    async def scenario() -> None:
        async with api_for(flavour, server.base_url, org_key) as api:
            scan = await api("scan_management.get_scan", finished_scan)
            assert isinstance(scan, Scan) and scan["status"] == "completed"
            assert scan.summary is not None and scan.summary.total >= 2
            status = await api("scan_management.get_scan_status", finished_scan)
            assert isinstance(status, ScanStatus) and status.finished
            assert status["total_findings"] == scan.summary.total

            # Both paging styles, as dict and as keywords.
            by_page = await api("scan_management.list_scans",
                                {"page": 0, "page_size": 100, "status": "completed"})
            by_offset = await api("scan_management.list_scans", status="completed", limit=100)
            assert isinstance(by_page, ScanList)
            assert finished_scan in [s["id"] for s in by_page["items"]]
            assert [s.id for s in by_page.items] == [s.id for s in by_offset.items]

            first = await api("scan_management.get_scan_results", finished_scan, offset=0, limit=1)
            assert isinstance(first, ScanResults)
            assert len(first["vulnerabilities"]) == 1 and first.has_more
            assert first.total == scan.summary.total
            every = await api.collect("scan_management.iter_results", finished_scan, page_size=1)
            assert len(every) == scan.summary.total
            assert len({v.id for v in every}) == len(every)
            high = await api("scan_management.get_scan_results", finished_scan,
                             {"severity": ["HIGH", "CRITICAL"]})
            assert all(v.severity in ("HIGH", "CRITICAL") for v in high.vulnerabilities)

            by_url = await api("repositories.get_repository", repository_url)
            assert isinstance(by_url, Repository) and by_url.last_scan is not None
            by_id = await api("repositories.get_repository", by_url.id)
            assert by_id.url == by_url.url
            repositories = await api("repositories.list_repositories", {"page": 0})
            assert isinstance(repositories, RepositoryList)
            assert by_url.id in [r.id for r in repositories.items]
            assert by_url.id in [r.id for r in await api.collect("repositories.iter_repositories")]

        expected = "HTTP/2" if flavour.endswith("http2") else "HTTP/1.1"
        assert set(api.versions) == {expected}

    run(scenario())


def test_create_cancel_delete_and_bulk(
    server: LiveServer, keys: Keys, repository_url: str, flavour: str
) -> None:
    key = keys.unlimited()

    async def scenario() -> None:
        async with api_for(flavour, server.base_url, key) as api:
            scan = await api("scan_management.create_scan",
                             {"repository_url": repository_url, "scan_type": "security"})
            assert scan.status in ("queued", "running")
            cancelled = await api("scan_management.cancel_scan", scan.id)
            assert cancelled.cancel_requested or cancelled.status == "cancelled"
            final = await api("scan_management.wait_for_scan", scan.id, timeout=120)
            assert final.finished
            await api("scan_management.delete_scan", scan.id)
            with pytest.raises(TavoNotFoundError):
                await api("scan_management.get_scan", scan.id)

            bulk = await api("scan_bulk_operations.create_bulk_scans", [
                {"repository_url": repository_url, "scan_type": "secrets"},
                {"repository_url": "not a url"},
            ])
            assert (bulk.created, bulk.failed) == (1, 1)
            assert bulk.results[1].error is not None
            assert bulk.results[1].error.code == "INVALID_REPOSITORY_URL"
            created = bulk.results[0].scan_id
            statuses = await api("scan_bulk_operations.get_bulk_status", [created, "scan_nope"])
            assert [item.success for item in statuses.results] == [True, False]
            await api("scan_management.cancel_scan", created)

    run(scenario())


def test_rules_models_and_analysis(
    server: LiveServer, org_key: str, finished_scan: str, flavour: str
) -> None:
    async def scenario() -> None:
        async with api_for(flavour, server.base_url, org_key) as api:
            rules = await api("scan_rules.list_rules")
            assert isinstance(rules, RuleList) and rules.total == len(rules.items) > 50
            llm = await api("scan_rules.list_rules", owasp_llm="LLM01", language=["python"])
            assert llm.items and all(r.owasp_llm == "LLM01" for r in llm.items)
            detail = await api("scan_rules.get_rule", llm.items[0].id)
            assert isinstance(detail, RuleDetail) and detail.examples
            packs = await api("scan_rules.list_packs")
            assert {p.name for p in packs.items} >= {"code-security", "owasp-llm"}
            models = await api("ai_analysis.get_models")
            assert isinstance(models, AIModelList) and models.default_model

            if flavour == "async-http1":  # one full analysis is enough
                result = await api("ai_analysis.analyze_scan", finished_scan)
                assert result.status == "completed" and result.findings
                assert len(result.findings) == result.total
                assert result.security_score is not None and 0 <= result.security_score.score <= 100
                assert result.fix_first[0].rank == 1
                assert {f["verdict"] for f in result["findings"]} <= {
                    "likely_true_positive", "needs_review", "likely_false_positive"}

    run(scenario())


def test_errors_carry_the_envelope(server: LiveServer, keys: Keys, flavour: str) -> None:
    key = keys.unlimited()

    async def scenario() -> None:
        async with api_for(flavour, server.base_url, key) as api:
            with pytest.raises(TavoNotFoundError) as missing:
                await api("scan_management.get_scan", "scan_missing")
            assert missing.value.code == "NOT_FOUND" and missing.value.status_code == 404
            assert missing.value.request_id
            with pytest.raises(TavoValidationError) as invalid:
                await api("scan_management.create_scan", repository_url="x", scan_type="nope")
            assert invalid.value.code == "VALIDATION_ERROR"
            assert invalid.value.details["errors"][0]["location"][-1] == "scan_type"
            # The same Idempotency-Key with another body is refused.
            reused = f"reused-{uuid.uuid4().hex}"
            await api("scan_management.create_scan", repository_url="file:///nowhere-a",
                      idempotency_key=reused)
            with pytest.raises(TavoConflictError) as conflict:
                await api("scan_management.create_scan", repository_url="file:///nowhere-b",
                          idempotency_key=reused)
            assert conflict.value.code == "IDEMPOTENCY_KEY_REUSED"
        async with api_for(flavour, server.base_url, "tavo_not_a_key") as bad:
            with pytest.raises(TavoAuthError) as denied:
                await bad("scan_management.list_scans")
            assert denied.value.code == "INVALID_API_KEY"

    run(scenario())


def test_wait_for_scan_follows_the_event_stream(
    server: LiveServer, keys: Keys, repository_url: str
) -> None:
    """No status polling while the stream works: the only requests are the create, the
    event stream, and nothing else."""
    key = keys.unlimited()
    paths: list[str] = []

    async def scenario() -> None:
        async with TavoClient(
            key, base_url=server.base_url,
            event_hooks={"request": [lambda request: paths.append(request.url)]},
        ) as client:
            scan = await client.scan_management.create_scan(repository_url=repository_url)
            final = await client.scan_management.wait_for_scan(scan.id, timeout=300)
            assert final.status == "completed"

    run(scenario())
    assert len(paths) == 2 and paths[1].endswith("/events")


def undeclared(model: Model, where: str = "") -> list[str]:
    """Fields the server sent that the SDK's models do not declare, anywhere inside."""
    found = [f"{where}{type(model).__name__}.{key}" for key in model.extra]
    for key in model:
        value = model[key]
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, Model):
                found += undeclared(item, f"{where}{type(model).__name__}.{key}>")
    return found


def test_models_declare_every_field_the_server_sends(
    server: LiveServer, org_key: str, finished_scan: str, repository_url: str
) -> None:
    """The SDK's models and the server's responses must not drift apart."""
    answers: list[Response] = []
    with SyncTavoClient(org_key, base_url=server.base_url, cache=False,
                        event_hooks={"response": [answers.append]}) as client:
        models: list[Model] = [
            client.scan_management.get_scan(finished_scan),
            client.scan_management.get_scan_status(finished_scan),
            client.scan_management.list_scans(),
            client.scan_management.get_scan_results(finished_scan),
            client.repositories.get_repository(repository_url),
            client.repositories.list_repositories(),
            client.scan_rules.list_rules(),
            client.scan_rules.list_packs(),
            client.ai_analysis.get_models(),
            client.scan_bulk_operations.get_bulk_status([finished_scan]),
        ]
        analysis = client.ai_analysis.create_analysis(finished_scan)
        models.append(analysis)
        client.ai_analysis.wait_for_analysis(analysis.id, timeout=120)
        models.append(client.ai_analysis.get_analysis_result(analysis.id))
    problems = [field for model in models for field in undeclared(model)]
    assert not problems, f"fields the SDK's models do not declare: {problems}"
    assert all(answer.status_code == 200 or answer.status_code == 202 for answer in answers)


def test_the_openapi_document_lists_every_path_the_sdk_calls(server: LiveServer) -> None:
    document = httpx.get(f"{server.base_url}/api/v1/openapi.json", timeout=30).json()
    paths = set(document["paths"])
    used = {
        "/api/v1/scans", "/api/v1/scans/{scan_id}", "/api/v1/scans/{scan_id}/status",
        "/api/v1/scans/{scan_id}/results", "/api/v1/scans/{scan_id}/cancel",
        "/api/v1/scans/{scan_id}/events", "/api/v1/scans/bulk", "/api/v1/scans/bulk/status",
        "/api/v1/uploads/scans", "/api/v1/repositories", "/api/v1/repositories/lookup",
        "/api/v1/repositories/{reference}", "/api/v1/rules", "/api/v1/rules/packs",
        "/api/v1/rules/{rule_id}", "/api/v1/rules/custom", "/api/v1/rules/custom/{file_id}",
        "/api/v1/ai/models", "/api/v1/ai/analyses", "/api/v1/ai/analyses/{analysis_id}",
        "/api/v1/ai/analyses/{analysis_id}/result", "/api/v1/ai/analyze",
        "/api/v1/users", "/api/v1/users/{user_id}", "/api/v1/users/{user_id}/keys",
        "/api/v1/users/{user_id}/keys/{key_id}", "/api/v1/users/{user_id}/invitation",
        "/api/v1/users/{user_id}/keys/{key_id}/rotate",
        "/api/v1/users/{user_id}/password", "/api/v1/invitations/accept",
    }
    assert used <= paths, f"paths the server does not have: {sorted(used - paths)}"

