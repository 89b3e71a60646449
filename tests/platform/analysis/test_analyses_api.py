"""The AI analysis API in-process: models, analysis jobs, results, errors, durability."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tavo_platform.analysis.builtin import BUILTIN_MODEL_ID

from tests.platform.analysis.conftest import ANALYSES, completed_scan, run_analysis, scan_findings
from tests.platform.analysis.labelled_set import FILES
from tests.support.inprocess import InProcessApi, auth, running_api

MODELS = "/api/v1/ai/models"


def test_models_list_is_cacheable(api: InProcessApi, org_key: str) -> None:
    first = api.client.get(MODELS, headers=auth(org_key))

    assert first.status_code == 200, first.text
    body = first.json()
    assert body["default_model"] == BUILTIN_MODEL_ID
    builtin = next(m for m in body["items"] if m["id"] == BUILTIN_MODEL_ID)
    assert builtin["local"] is True and builtin["kind"] == "triage"
    assert {"risk_scoring", "triage", "deduplication", "remediation"} <= set(
        builtin["capabilities"]
    )
    assert "max-age" in first.headers["cache-control"]
    again = api.client.get(
        MODELS, headers={**auth(org_key), "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["etag"] == first.headers["etag"]


def test_analysis_job_of_a_completed_scan(
    api: InProcessApi, org_key: str, write_tree: Callable[[dict[str, str | bytes]], Path]
) -> None:
    findings = scan_findings(write_tree(FILES))
    scan_id = completed_scan(api, org_key, findings)

    created = api.client.post(ANALYSES, json={"scan_id": scan_id}, headers=auth(org_key))
    assert created.status_code == 202, created.text
    assert created.json()["status"] in ("queued", "running", "completed")
    assert created.headers["location"] == f"{ANALYSES}/{created.json()['id']}"
    api.run(api.client.app.state.tavo_analysis.wait_idle)
    job = api.client.get(created.headers["location"], params={"wait": 10}, headers=auth(org_key))
    assert job.json()["status"] == "completed", job.json()
    summary = job.json()["summary"]
    assert summary["total_findings"] == len(findings)
    assert 0 <= summary["security_score"] <= 100 and summary["grade"] in "ABCDF"

    result = api.client.get(
        job.json()["links"]["result"], params={"limit": 500}, headers=auth(org_key)
    )
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["total"] == len(findings) == len(body["findings"])
    assert [row["id"] for row in body["owasp_llm_coverage"]] == [
        f"LLM{n:02d}" for n in range(1, 11)
    ]
    # The scan ran the security packs: LLM01 was checked and something was found.
    llm01 = body["owasp_llm_coverage"][0]
    assert llm01["rules_checked"] > 0 and llm01["status"] == "found"
    top = body["fix_first"][0]
    assert top["verdict"] == "likely_true_positive" and top["risk"] >= 90
    finding = body["findings"][0]
    assert set(finding["remediation"]) == {"why", "how", "cwe", "references", "autofix"}
    assert finding["risk"]["factors"] and isinstance(finding["reasons"], list)
    # Finished results are immutable: cacheable, and revalidated for free.
    assert "max-age" in result.headers["cache-control"]
    again = api.client.get(
        job.json()["links"]["result"],
        params={"limit": 500},
        headers={**auth(org_key), "If-None-Match": result.headers["etag"]},
    )
    assert again.status_code == 304


def test_result_pages_and_filters(
    api: InProcessApi, org_key: str, write_tree: Callable[[dict[str, str | bytes]], Path]
) -> None:
    scan_id = completed_scan(api, org_key, scan_findings(write_tree(FILES)))
    job = run_analysis(api, org_key, scan_id, fix_first_limit=3)
    url = job["links"]["result"]

    page = api.client.get(url, params={"page": 1, "page_size": 5}, headers=auth(org_key)).json()
    assert (page["offset"], page["limit"], len(page["findings"])) == (5, 5, 5)
    assert len(page["fix_first"]) == 3
    noise = api.client.get(
        url, params={"verdict": "likely_false_positive", "limit": 500}, headers=auth(org_key)
    ).json()
    assert noise["total"] > 0
    assert {f["verdict"] for f in noise["findings"]} == {"likely_false_positive"}
    risky = api.client.get(url, params={"min_risk": 80, "limit": 500}, headers=auth(org_key))
    assert all(f["risk"]["score"] >= 80 for f in risky.json()["findings"])
    listed = api.client.get(ANALYSES, params={"scan_id": scan_id}, headers=auth(org_key)).json()
    assert [item["id"] for item in listed["items"]] == [job["id"]]


def test_bad_requests_get_clear_errors(api: InProcessApi, org_key: str, other_org_key: str) -> None:
    done = completed_scan(api, org_key, [])
    queued = api.client.post(
        "/api/v1/scans",
        json={"repository_url": "https://127.0.0.1/org/x.git"},
        headers=auth(org_key),
    ).json()["id"]

    unknown_model = api.client.post(
        ANALYSES, json={"scan_id": done, "model": "gpt-nonexistent"}, headers=auth(org_key)
    )
    not_finished = api.client.post(ANALYSES, json={"scan_id": queued}, headers=auth(org_key))
    foreign = api.client.post(ANALYSES, json={"scan_id": done}, headers=auth(other_org_key))
    bad_option = api.client.post(
        ANALYSES, json={"scan_id": done, "options": {"fix_first_limit": 0}}, headers=auth(org_key)
    )
    missing = api.client.get(f"{ANALYSES}/ana_missing", headers=auth(org_key))

    assert unknown_model.status_code == 422
    assert unknown_model.json()["error"]["code"] == "UNKNOWN_MODEL"
    assert BUILTIN_MODEL_ID in unknown_model.json()["error"]["details"]["models"]
    assert not_finished.status_code == 409
    assert not_finished.json()["error"]["code"] == "SCAN_NOT_FINISHED"
    assert foreign.status_code == 404
    assert bad_option.status_code == 422
    assert bad_option.json()["error"]["code"] == "VALIDATION_ERROR"
    assert missing.status_code == 404
    # Another organisation cannot read an analysis either.
    job = run_analysis(api, org_key, done)
    assert job["status"] == "completed"
    assert api.client.get(job["links"]["self"], headers=auth(other_org_key)).status_code == 404
    assert api.client.get(job["links"]["result"], headers=auth(other_org_key)).status_code == 404


def test_result_of_an_unfinished_analysis_is_409(api: InProcessApi, org_key: str) -> None:
    scan_id = completed_scan(api, org_key, [])
    org_id = api.run(api.state.store.get_scan, *_org_and_scan(api, org_key, scan_id)).org_id
    # A row as the API writes it, not yet picked up by any runner.
    analysis = api.run(api.state.store.create_analysis, org_id, scan_id, BUILTIN_MODEL_ID, {})

    early = api.client.get(f"{ANALYSES}/{analysis.id}/result", headers=auth(org_key))

    assert early.status_code == 409
    assert early.json()["error"]["code"] == "ANALYSIS_NOT_FINISHED"
    assert early.headers["retry-after"] == "1"


def test_a_failed_analysis_says_why(api: InProcessApi, org_key: str) -> None:
    scan_id = completed_scan(api, org_key, [])
    org_id = api.run(api.state.store.get_scan, *_org_and_scan(api, org_key, scan_id)).org_id
    # Accepted while a provider was configured that this server no longer has.
    gone = api.run(api.state.store.create_analysis, org_id, scan_id, "openai:retired", {})
    service = api.client.app.state.tavo_analysis

    async def start_and_wait() -> None:
        service.submit(gone.id)
        await service.wait_idle()

    api.run(start_and_wait)

    job = api.client.get(f"{ANALYSES}/{gone.id}", headers=auth(org_key)).json()
    result = api.client.get(f"{ANALYSES}/{gone.id}/result", headers=auth(org_key))

    assert job["status"] == "failed"
    assert job["error"] == "the model 'openai:retired' is not configured on this server"
    assert result.status_code == 409
    assert result.json()["error"]["code"] == "ANALYSIS_FAILED"


def test_an_accepted_analysis_survives_a_restart(
    api_settings, org_key: str, api: InProcessApi, write_tree
) -> None:
    scan_id = completed_scan(api, org_key, scan_findings(write_tree(FILES)))
    org_id = api.run(api.state.store.get_scan, *_org_and_scan(api, org_key, scan_id)).org_id
    # Accepted, then the process went away before running it.
    pending = api.run(api.state.store.create_analysis, org_id, scan_id, BUILTIN_MODEL_ID, {})

    with running_api(api_settings) as restarted:
        restarted.run(_until_finished, restarted, org_id, pending.id)
        job = restarted.client.get(f"{ANALYSES}/{pending.id}", headers=auth(org_key)).json()

    assert job["status"] == "completed", job
    assert job["summary"]["total_findings"] > 0


def test_deleting_the_scan_deletes_its_analyses(api: InProcessApi, org_key: str) -> None:
    scan_id = completed_scan(api, org_key, [])
    job = run_analysis(api, org_key, scan_id)

    deleted = api.client.delete(f"/api/v1/scans/{scan_id}", headers=auth(org_key))

    assert deleted.status_code == 204
    assert api.client.get(job["links"]["self"], headers=auth(org_key)).status_code == 404


def _org_and_scan(api: InProcessApi, key: str, scan_id: str) -> tuple[str, str]:
    from tavo_platform.server.auth import hash_key

    record = api.run(api.state.store.api_key_by_hash, hash_key(key))
    assert record is not None
    return record.org_id, scan_id


async def _until_finished(api: InProcessApi, org_id: str, analysis_id: str) -> None:
    import asyncio

    for _ in range(200):
        analysis = await api.state.store.get_analysis(org_id, analysis_id)
        if analysis is not None and analysis.finished:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the analysis was not taken up after the restart")
