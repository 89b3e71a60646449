"""Bulk scan creation and bulk status (in-process API)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tavo_platform.rules.catalog import builtin_catalog

from tests.support.inprocess import ApiClient, InProcessApi, auth

BULK = "/api/v1/scans/bulk"
BULK_STATUS = "/api/v1/scans/bulk/status"
SOME_RULE = builtin_catalog().rules[0].id
SOME_PACK = builtin_catalog().packs[0]


def scan_item(name: str, **extra: Any) -> dict[str, Any]:
    return {"repository_url": f"https://127.0.0.1/org/{name}.git", "scan_type": "security", **extra}


def scan_count(client: ApiClient, key: str) -> int:
    response = client.get("/api/v1/scans", headers=auth(key))
    assert response.status_code == 200
    return int(response.json()["total"])


def test_all_created_is_202_in_both_body_shapes(api_client: ApiClient, org_key: str) -> None:
    wrapped = api_client.post(
        BULK, json={"scans": [scan_item("one"), scan_item("two")]}, headers=auth(org_key)
    )
    # The seed's SDK call sends a bare list.
    bare = api_client.post(BULK, json=[scan_item("three")], headers=auth(org_key))

    assert wrapped.status_code == 202, wrapped.text
    assert bare.status_code == 202, bare.text
    body = wrapped.json()
    assert (body["total"], body["created"], body["failed"]) == (2, 2, 0)
    assert [item["index"] for item in body["results"]] == [0, 1]
    for item, name in zip(body["results"], ("one", "two"), strict=True):
        assert item["success"] is True
        assert item["scan"]["id"] == item["scan_id"]
        assert item["scan"]["status"] == "queued"
        assert item["scan"]["repository_url"].endswith(f"/{name}.git")
        fetched = api_client.get(f"/api/v1/scans/{item['scan_id']}", headers=auth(org_key))
        assert fetched.status_code == 200
    assert bare.json()["created"] == 1
    assert scan_count(api_client, org_key) == 3


def test_each_item_succeeds_or_fails_on_its_own(api_client: ApiClient, org_key: str) -> None:
    items: list[Any] = [
        scan_item("good", rules=[SOME_RULE, SOME_PACK]),
        scan_item("bad-type", scan_type="everything"),
        {"repository_url": "https://127.0.0.1/org/x.git", "surprise": True},
        {"repository_url": "file:///etc"},
        {"repository_url": "https://10.20.30.40/org/private.git"},
        scan_item("unknown-rules", rules=["no-such-rule", SOME_RULE[:3] + "*"]),
        "not an object",
        scan_item("huge-number", branch=10**30),
        scan_item("good-too"),
    ]
    response = api_client.post(BULK, json=items, headers=auth(org_key))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["created"], body["failed"]) == (9, 2, 7)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(9))
    assert [r["success"] for r in results] == [True, False, False, False, False, False, False,
                                               False, True]
    codes = [r["error"]["code"] if not r["success"] else None for r in results]
    assert codes == [
        None,
        "VALIDATION_ERROR",
        "VALIDATION_ERROR",
        "INVALID_REPOSITORY_URL",
        "INVALID_REPOSITORY_URL",
        "UNKNOWN_RULES",
        "VALIDATION_ERROR",
        "VALIDATION_ERROR",
        None,
    ]
    locations = [p["location"] for p in results[1]["error"]["details"]["errors"]]
    assert locations == [["scan_type"]]
    assert [p["location"] for p in results[2]["error"]["details"]["errors"]] == [["surprise"]]
    assert results[4]["error"]["details"]["repository_url"].startswith("https://10.20.30.40")
    # A glob that matches a real rule is fine; only the unknown selector is reported.
    assert results[5]["error"]["details"]["unknown"] == ["no-such-rule"]
    assert results[0]["scan"]["rules"] == [SOME_RULE, SOME_PACK]
    assert scan_count(api_client, org_key) == 2


def test_each_created_scan_counts_against_the_scan_creation_limit(api: InProcessApi) -> None:
    key = api.create_key(org="limited", tier="pro", scans_per_hour=3)
    single = api.client.post("/api/v1/scans", json=scan_item("first"), headers=auth(key))
    assert single.status_code == 202

    # An invalid item does not spend budget; the valid ones do, in order, until it runs out.
    items = [scan_item("a"), {"repository_url": ""}, scan_item("b"), scan_item("c"), scan_item("d")]
    response = api.client.post(BULK, json=items, headers=auth(key))

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["success"] for r in results] == [True, False, True, False, False]
    assert results[1]["error"]["code"] == "VALIDATION_ERROR"
    for refused in results[3:]:
        error = refused["error"]
        assert error["code"] == "RATE_LIMIT_EXCEEDED"
        assert error["details"]["limit"] == 3
        assert error["details"]["remaining"] == 0
        assert 0 < error["details"]["retry_after"] <= 3601  # reset is rounded up to a second
        assert error["details"]["reset"] > 0
    assert response.json()["created"] == 2
    assert response.headers["X-Scans-Limit"] == "3"
    assert response.headers["X-Scans-Remaining"] == "0"

    # The budget is shared with single creation, which is now refused as a whole.
    after = api.client.post("/api/v1/scans", json=scan_item("late"), headers=auth(key))
    assert after.status_code == 429
    assert after.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert scan_count(api.client, key) == 3


def test_a_fully_refused_bulk_is_200_with_every_item_failed(api: InProcessApi) -> None:
    key = api.create_key(org="spent", tier="pro", scans_per_hour=1)
    accepted = api.client.post(BULK, json=[scan_item("x")], headers=auth(key))
    assert accepted.status_code == 202
    # A 202 of bulk creation says what budget is left, as a single create's does.
    assert (accepted.headers["X-Scans-Limit"], accepted.headers["X-Scans-Remaining"]) == ("1", "0")
    assert int(accepted.headers["X-Scans-Reset"]) > 0

    response = api.client.post(BULK, json=[scan_item("y"), scan_item("z")], headers=auth(key))

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["failed"]) == (0, 2)
    assert {r["error"]["code"] for r in body["results"]} == {"RATE_LIMIT_EXCEEDED"}


def test_idempotent_replay_returns_the_same_results_and_creates_nothing(
    api: InProcessApi,
) -> None:
    key = api.create_key(org="retrying", tier="pro", scans_per_hour=2)
    items = [scan_item("a"), {"repository_url": "file:///etc"}, scan_item("b"), scan_item("c")]
    headers = {**auth(key), "Idempotency-Key": "bulk-0001"}

    first = api.client.post(BULK, json={"scans": items}, headers=headers)
    replay = api.client.post(BULK, json={"scans": items}, headers=headers)

    assert first.status_code == replay.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    assert replay.headers["Idempotent-Replayed"] == "true"

    def outcome(response: Any) -> list[tuple[Any, ...]]:
        return [
            (r["index"], r["success"], r.get("scan_id"), r.get("error", {}).get("code"))
            for r in response.json()["results"]
        ]

    # Same scans, same per-item errors, including the item refused for rate limiting.
    assert outcome(replay) == outcome(first)
    assert [code for *_, code in outcome(first)] == [
        None, "INVALID_REPOSITORY_URL", None, "RATE_LIMIT_EXCEEDED"
    ]
    assert scan_count(api.client, key) == 2

    # The same key with another body is a client error, on this and the single endpoint.
    changed = api.client.post(BULK, json={"scans": items[:1]}, headers=headers)
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    single = api.client.post("/api/v1/scans", json=items[0], headers=headers)
    assert single.status_code == 409


def test_replay_of_an_all_failed_bulk_and_of_a_deleted_scan(
    api_client: ApiClient, org_key: str
) -> None:
    failed_headers = {**auth(org_key), "Idempotency-Key": "all-failed"}
    bad = [{"repository_url": "file:///etc"}]
    first = api_client.post(BULK, json=bad, headers=failed_headers)
    again = api_client.post(BULK, json=bad, headers=failed_headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["results"] == first.json()["results"]
    assert again.headers["Idempotent-Replayed"] == "true"

    headers = {**auth(org_key), "Idempotency-Key": "then-deleted"}
    created = api_client.post(BULK, json=[scan_item("gone")], headers=headers).json()
    scan_id = created["results"][0]["scan_id"]
    assert api_client.delete(f"/api/v1/scans/{scan_id}", headers=auth(org_key)).status_code == 204
    replay = api_client.post(BULK, json=[scan_item("gone")], headers=headers)
    assert replay.status_code == 202
    [item] = replay.json()["results"]
    assert (item["success"], item["scan_id"], item["scan"]) == (True, scan_id, None)


def test_concurrent_retries_with_one_key_create_the_scans_once(
    api_client: ApiClient, org_key: str
) -> None:
    items = [scan_item("p"), scan_item("q"), scan_item("r")]
    headers = {**auth(org_key), "Idempotency-Key": "raced"}

    responses = api_client.concurrently(*[("POST", BULK, {"json": items, "headers": headers})] * 6)

    assert {r.status_code for r in responses} == {202}
    id_sets = {tuple(r["scan_id"] for r in resp.json()["results"]) for resp in responses}
    assert len(id_sets) == 1
    assert scan_count(api_client, org_key) == 3


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b'"a string"',
        b"{}",
        b"[]",
        b'{"scans": []}',
        b'{"scans": "x"}',
        b'{"scans": [{"repository_url": "https://127.0.0.1/a"}], "extra": 1}',
        json.dumps([scan_item(f"r{n}") for n in range(101)]).encode(),
    ],
    ids=["malformed", "empty", "string", "no-scans", "empty-list", "empty-scans",
         "scans-not-list", "unknown-field", "too-many"],
)
def test_malformed_bulk_bodies_are_validation_envelopes(
    api_client: ApiClient, org_key: str, body: bytes
) -> None:
    response = api_client.post(
        BULK, content=body, headers={**auth(org_key), "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["success"] is False
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert scan_count(api_client, org_key) == 0


def test_bulk_needs_a_key(api_client: ApiClient) -> None:
    response = api_client.post(BULK, json=[scan_item("a")])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_API_KEY"


def test_bulk_status_reports_each_id_and_hides_other_organisations(
    api: InProcessApi, org_key: str, other_org_key: str
) -> None:
    mine = api.client.post(BULK, json=[scan_item("m1"), scan_item("m2")], headers=auth(org_key))
    first, second = (r["scan_id"] for r in mine.json()["results"])
    theirs = api.client.post(BULK, json=[scan_item("t1")], headers=auth(other_org_key))
    their_id = theirs.json()["results"][0]["scan_id"]
    api.finish_next_scan(summary={"total": 4, "by_severity": {"HIGH": 4}})  # finishes `first`

    asked = [first, their_id, "scan_doesnotexist", second, "x" * 60, first]
    response = api.client.post(BULK_STATUS, json={"scan_ids": asked}, headers=auth(org_key))

    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["found"], body["not_found"]) == (6, 3, 3)
    results = body["results"]
    assert [r["id"] for r in results] == asked
    assert [r["success"] for r in results] == [True, False, False, True, False, True]
    assert results[0]["status"] == "completed"
    assert results[0]["finished"] is True
    assert results[0]["total_findings"] == 4
    assert results[3]["status"] == "queued"
    for missing in (results[1], results[2], results[4]):
        assert missing["status"] is None
        assert missing["error"]["code"] == "NOT_FOUND"

    # The other organisation sees its own scan, and ours as not found; a bare list works.
    other = api.client.post(BULK_STATUS, json=[their_id, first], headers=auth(other_org_key))
    assert [r["success"] for r in other.json()["results"]] == [True, False]


@pytest.mark.parametrize(
    "body",
    [{"scan_ids": []}, [], {"scan_ids": [""]}, {"scan_ids": [1, 2]}, {"ids": ["a"]},
     {"scan_ids": ["a"] * 501}, {"scan_ids": ["x" * 100_000]}],
    ids=["empty", "empty-list", "empty-id", "not-strings", "wrong-field", "too-many", "huge-id"],
)
def test_malformed_bulk_status_bodies(api_client: ApiClient, org_key: str, body: Any) -> None:
    response = api_client.post(BULK_STATUS, json=body, headers=auth(org_key))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert len(response.content) < 4096  # the refused input is not echoed back


def test_bulk_endpoints_are_in_the_openapi_document(api_client: ApiClient) -> None:
    paths = api_client.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths[BULK]
    assert "post" in paths[BULK_STATUS]
