"""Property-based fuzzing of the server's own OpenAPI document with schemathesis, against a
real `tavo serve` process: valid and invalid requests to every operation (its examples,
boundary values and generated inputs) and not one answer may be a 5xx.

The run goes through schemathesis' engine, as its CLI does, so every phase it has for
single operations runs. (Its pytest `from_fixture` loader does not work with the pytest we
use.) Bounded for CI: TAVO_FUZZ_EXAMPLES generated examples per operation (default 10);
raise it for a deeper run:
`TAVO_FUZZ_EXAMPLES=300 pytest tests/platform/server/test_fuzz_openapi.py`.
Seeded, so a failure reproduces; TAVO_FUZZ_SEED picks other inputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.engine import Status, events, from_schema

from tests.support.inprocess import ApiClient, auth
from tests.support.live import LiveServer, server_env

EXAMPLES = int(os.environ.get("TAVO_FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("TAVO_FUZZ_SEED", "20261127"))
# Values generated inputs draw from now and then, on top of what the schema implies: the
# edges where servers break (integers beyond 32/53/64 bits, odd strings, our id formats).
EDGE_INTEGERS = [-1, 2**31, 2**32 + 1, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**20, 10**30]
EDGE_STRINGS = [
    "", " ", "0", "-1", "null", "%", "%00", "\\", "*", "..", "../../etc/passwd", "a" * 5000,
    "ünïcödé ✓", "scan_" + "0" * 32, "file:///etc/passwd", "https://127.0.0.1/x.git",
    "git@github.com:acme/app.git", "https://[::1/x.git", "{}", "[", "NaN", "1e999",
]


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("fuzz")
    # One scan runner: the scans fuzzing creates (of URLs that cannot be fetched) fail
    # quickly without piling up work.
    server = LiveServer(directory / "data", server_env(scan_concurrency="1")).start()
    try:
        yield server
    finally:
        server.stop()


def schema_types(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    """The JSON types a (possibly nullable, possibly referenced) schema admits."""
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    kinds = schema.get("type", [])
    found = {kinds} if isinstance(kinds, str) else set(kinds)
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= schema_types(option, components)
    return found


def edge_value_bindings(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every integer and string parameter and top-level body field of the document, bound to
    the edge values. (Schemathesis' type-wide binding skips optional parameters, whose
    schema is an anyOf with null.)"""
    components = document.get("components", {}).get("schemas", {})
    bindings: dict[str, dict[str, Any]] = {}

    def bind(location: str, name: str, schema: dict[str, Any]) -> None:
        kinds = schema_types(schema, components)
        if "integer" in kinds:
            bindings[f"{location}.{name}"] = {"dictionary": "edge-integers", "probability": 0.3}
        elif "string" in kinds:
            bindings[f"{location}.{name}"] = {"dictionary": "edge-strings", "probability": 0.2}

    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                bind(parameter["in"], parameter["name"], parameter.get("schema", {}))
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema", {})
            if "$ref" in body:
                body = components.get(body["$ref"].rsplit("/", 1)[-1], {})
            for name, field_schema in body.get("properties", {}).items():
                bind("body", name, field_schema)
    return bindings


def fuzzing_config(server: LiveServer) -> schemathesis.Config:
    # A key whose limits are never reached, so no answer is a 429 instead of the real one;
    # the admin operations get the admin key, so they are exercised beyond the 403.
    key = server.create_key(
        "enterprise",
        requests_per_hour=100_000_000,
        requests_per_day=1_000_000_000,
        scans_per_hour=100_000_000,
    )
    assert server.admin_key
    document = httpx.get(server.base_url + "/api/v1/openapi.json", timeout=30).json()
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": server.base_url,
            "headers": {"X-API-Key": key},
            "request-timeout": 30,
            # The streams (SSE, NDJSON) of a live scan would otherwise run for long.
            "max-stream-events": 5,
            "continue-on-failure": True,
            "dictionaries": {
                "edge-integers": {"values": EDGE_INTEGERS},
                "edge-strings": {"values": EDGE_STRINGS},
            },
            "parameters": edge_value_bindings(document),
            "generation": {"mode": "all", "max-examples": EXAMPLES, "database": "none"},
            "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
            "phases": {"stateful": {"enabled": False}},
            "operations": [
                {
                    "include-path-regex": "^/api/v1/admin/",
                    "headers": {"X-API-Key": server.admin_key},
                }
            ],
        }
    )


def server_errors(stream: Iterator[events.EngineEvent]) -> tuple[int, list[str]]:
    """Runs the engine; returns how many operations were tested and every failure found."""
    tested: set[str] = set()
    problems: list[str] = []
    for event in stream:
        if isinstance(event, events.FatalError):
            raise event.exception
        if isinstance(event, events.NonFatalError):
            problems.append(f"{event.label}: {event.info.title}: {event.value!r}")
        if not isinstance(event, events.ScenarioFinished) or event.label is None:
            continue
        if event.recorder.interactions:
            tested.add(event.label)
        if event.status != Status.FAILURE:
            continue
        for checks in event.recorder.checks.values():
            for check in checks:
                if check.status == Status.FAILURE and check.failure_info is not None:
                    problems.append(
                        f"{event.label}: {check.failure_info.failure.title}\n"
                        f"  {check.failure_info.code_sample}"
                    )
    return len(tested), problems


def test_no_request_gets_a_server_error(fuzzed_server: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(
        fuzzed_server.base_url + "/api/v1/openapi.json", config=fuzzing_config(fuzzed_server)
    )
    operations = len(list(schema.get_all_operations()))
    tested, problems = server_errors(iter(from_schema(schema).execute()))
    assert not problems, "\n".join(dict.fromkeys(problems))
    # Every operation was really called (none skipped or unreachable).
    assert tested == operations > 30


# --- the server errors fuzzing found, kept as plain regression tests ----------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/scans?offset=100000000000000000000",
        "/api/v1/scans?page=9223372036854775807",
        "/api/v1/scans?page=18446744073709551616&page_size=500",
        "/api/v1/repositories?offset=9223372036854775808",
        "/api/v1/ai/analyses?offset=100000000000000000000",
    ],
)
def test_offsets_beyond_64_bits_are_422_not_500(
    api_client: ApiClient, org_key: str, path: str
) -> None:
    response = api_client.get(path, headers=auth(org_key))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_url_that_does_not_parse_is_422_not_500(api_client: ApiClient, org_key: str) -> None:
    url = "https://[::1/acme/app.git"  # an unclosed IPv6 bracket: urlsplit raises ValueError
    for path, body in (
        ("/api/v1/scans", {"repository_url": url}),
        ("/api/v1/repositories", {"url": url}),
    ):
        response = api_client.post(path, json=body, headers=auth(org_key))
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"]["code"] == "INVALID_REPOSITORY_URL"
    bulk = api_client.post(
        "/api/v1/scans/bulk", json={"scans": [{"repository_url": url}]}, headers=auth(org_key)
    )
    assert bulk.status_code < 500
    assert bulk.json()["results"][0]["error"]["code"] == "INVALID_REPOSITORY_URL"
