"""Analysis test fixtures: the in-process API (tests/support/api.py) (an app with its lifespan,
no scan runners, in both the embedded and the scaled configuration) and helpers that give
it completed scans holding real engine findings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tavo_platform.engine import scan_path
from tavo_platform.jobs.execution import select_rules, summarise

from tests.support.inprocess import InProcessApi, auth

ANALYSES = "/api/v1/ai/analyses"


def scan_findings(root: Path, scan_type: str = "security") -> list[dict[str, Any]]:
    """What a scan job of `scan_type` records for the tree at `root` (jobs/execution.py)."""
    result = scan_path(root, select_rules(scan_type, (), ()), jobs=1, code_context=True)
    return [finding.to_dict() for finding in result.findings]


def completed_scan(running: InProcessApi, key: str, findings: list[dict[str, Any]]) -> str:
    """Creates a scan through the API and completes it with `findings`, as a worker would."""
    created = running.client.post(
        "/api/v1/scans",
        json={"repository_url": "https://127.0.0.1/org/app.git", "scan_type": "security"},
        headers=auth(key),
    )
    assert created.status_code == 202, created.text
    scan_id = created.json()["id"]
    store = running.state.store
    claimed = running.run(store.claim_scan_id, scan_id, "tests-worker", timedelta(minutes=5))
    assert claimed is not None
    finished = running.run(
        store.finish_scan,
        scan_id,
        "tests-worker",
        status="completed",
        summary=summarise(findings, 1, {}, 0, 0.1),
        results=findings,
    )
    assert finished
    return scan_id


def run_analysis(
    running: InProcessApi, key: str, scan_id: str, model: str | None = None, **options: Any
) -> dict[str, Any]:
    """Creates an analysis, waits for it, and returns its finished job view."""
    body: dict[str, Any] = {"scan_id": scan_id}
    if model:
        body["model"] = model
    if options:
        body["options"] = options
    created = running.client.post(ANALYSES, json=body, headers=auth(key))
    assert created.status_code == 202, created.text
    analysis_id = created.json()["id"]
    running.run(running.client.app.state.tavo_analysis.wait_idle)
    job = running.client.get(f"{ANALYSES}/{analysis_id}", params={"wait": 30}, headers=auth(key))
    assert job.status_code == 200, job.text
    return dict(job.json())


@pytest.fixture
def write_tree(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Writes {relative path: content} into a fresh directory (one per call)."""
    made = iter(range(1_000_000))

    def write(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / f"repo{next(made)}"
        for relative, content in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return root

    return write
