"""Property-based fuzzing of the server's own OpenAPI document with schemathesis, against a
real `tavo serve` process: valid and invalid requests to every operation (its examples,
boundary values and generated inputs) and not one answer may be a 5xx.

The run goes through schemathesis' engine, as its CLI does, so every phase it has for
single operations runs. (Its pytest `from_fixture` loader does not work with the pytest we
use.) Bounded for CI: TAVO_FUZZ_EXAMPLES generated examples per operation (default 10);
raise it for a deeper run: `TAVO_FUZZ_EXAMPLES=300 pytest tests/server/test_fuzz_openapi.py`.
Seeded, so a failure reproduces; TAVO_FUZZ_SEED picks other inputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis.engine import Status, events, from_schema

from tests.server.live import LiveServer, server_env

EXAMPLES = int(os.environ.get("TAVO_FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("TAVO_FUZZ_SEED", "20261127"))


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
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": server.base_url,
            "headers": {"X-API-Key": key},
            "request-timeout": 30,
            # The streams (SSE, NDJSON) of a live scan would otherwise run for long.
            "max-stream-events": 5,
            "continue-on-failure": True,
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
