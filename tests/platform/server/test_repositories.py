"""Repositories: register, list, get by id or URL, last scan and finding trend (in-process)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.support.inprocess import ApiClient, InProcessApi, auth

REPOS = "/api/v1/repositories"
URL = "https://127.0.0.1/acme/payments.git"


def register(client: ApiClient, key: str, **body: Any) -> Any:
    response = client.post(REPOS, json=body, headers=auth(key))
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_register_is_idempotent_and_derives_a_name(api_client: ApiClient, org_key: str) -> None:
    first = api_client.post(REPOS, json={"url": URL}, headers=auth(org_key))
    again = api_client.post(REPOS, json={"url": URL}, headers=auth(org_key))

    assert first.status_code == 201
    assert again.status_code == 200
    body = first.json()
    assert body["id"].startswith("repo_")
    assert again.json()["id"] == body["id"]
    assert first.headers["Location"] == f"{REPOS}/{body['id']}"
    assert (body["url"], body["name"], body["default_branch"]) == (URL, "payments", None)
    assert body["last_scan"] is None
    assert body["trend"] == []

    named = register(
        api_client, org_key, url="https://127.0.0.1/acme/web", name="Web app",
        default_branch="develop",
    )
    assert (named["name"], named["default_branch"]) == ("Web app", "develop")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "https://10.1.2.3/org/repo.git", "not a url", "ftp://127.0.0.1/x",
     "-oProxyCommand=x"],
)
def test_urls_the_server_may_not_fetch_are_refused(
    api_client: ApiClient, org_key: str, url: str
) -> None:
    response = api_client.post(REPOS, json={"url": url}, headers=auth(org_key))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "INVALID_REPOSITORY_URL"
    assert error["details"]["repository_url"] == url
    assert api_client.get(REPOS, headers=auth(org_key)).json()["total"] == 0


@pytest.mark.parametrize(
    "body",
    [b"{oops", b"[]", b"{}", b'{"url": 7}', b'{"url": "https://127.0.0.1/a", "owner": "x"}',
     b'{"url": ""}', b'{"url": "https://127.0.0.1/a", "name": ""}'],
)
def test_malformed_registrations_are_validation_envelopes(
    api_client: ApiClient, org_key: str, body: bytes
) -> None:
    response = api_client.post(
        REPOS, content=body, headers={**auth(org_key), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_get_by_id_and_by_url_in_every_spelling(api_client: ApiClient, org_key: str) -> None:
    repository = register(api_client, org_key, url=URL)
    spellings = [
        f"{REPOS}/{repository['id']}",
        f"{REPOS}/{quote(URL, safe='')}",  # percent-encoded, as an SDK sends it
        f"{REPOS}/{URL}",  # raw, slashes and all
        f"{REPOS}/{URL.removesuffix('.git')}",  # without .git
        f"{REPOS}/{URL.removesuffix('.git')}/",  # with a trailing slash
        f"{REPOS}/https:/127.0.0.1/acme/payments.git",  # "//" collapsed by a proxy
    ]
    for path in spellings:
        response = api_client.get(path, headers=auth(org_key))
        assert response.status_code == 200, path
        assert response.json()["id"] == repository["id"], path

    lookup = api_client.get(f"{REPOS}/lookup", params={"url": URL}, headers=auth(org_key))
    assert lookup.status_code == 200
    assert lookup.json()["id"] == repository["id"]


@pytest.mark.parametrize(
    "path",
    ["repo_0000", "https://127.0.0.1/acme/other.git", "x" * 5000, "lookup/extra"],
)
def test_unknown_repositories_are_404(api_client: ApiClient, org_key: str, path: str) -> None:
    register(api_client, org_key, url=URL)
    response = api_client.get(f"{REPOS}/{path}", headers=auth(org_key))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_lookup_needs_a_url(api_client: ApiClient, org_key: str) -> None:
    response = api_client.get(f"{REPOS}/lookup", headers=auth(org_key))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_another_organisations_repository_is_404(
    api_client: ApiClient, org_key: str, other_org_key: str
) -> None:
    mine = register(api_client, org_key, url=URL)
    other = auth(other_org_key)

    for path in (f"{REPOS}/{mine['id']}", f"{REPOS}/{quote(URL, safe='')}"):
        response = api_client.get(path, headers=other)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert api_client.get(f"{REPOS}/lookup", params={"url": URL}, headers=other).status_code == 404
    assert api_client.get(REPOS, headers=other).json()["total"] == 0

    # Registering the same URL gives the other organisation a repository of its own.
    theirs = api_client.post(REPOS, json={"url": URL}, headers=other)
    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine["id"]


def test_list_paginates_in_both_styles(api_client: ApiClient, org_key: str) -> None:
    created = [
        register(api_client, org_key, url=f"https://127.0.0.1/acme/r{n}.git")["id"]
        for n in range(5)
    ]
    headers = auth(org_key)

    def ids(**params: Any) -> tuple[list[str], dict[str, Any]]:
        response = api_client.get(REPOS, params=params, headers=headers)
        assert response.status_code == 200
        body = response.json()
        return [item["id"] for item in body["items"]], body

    everything, body = ids()
    assert everything == created  # registration order
    assert body["total"] == 5

    page0, body = ids(page=0, page_size=2)
    assert page0 == created[:2]
    assert (body["page"], body["page_size"], body["total"], body["has_more"]) == (0, 2, 5, True)
    page2, body = ids(page=2, page_size=2)
    assert page2 == created[4:]
    assert body["has_more"] is False

    window, body = ids(offset=1, limit=3)
    assert window == created[1:4]
    assert (body["offset"], body["limit"], body["has_more"]) == (1, 3, True)

    for bad in ({"page": 0, "limit": 2}, {"page_size": 0}, {"limit": 501}, {"offset": -1},
                {"page": "x"}, {"trend_size": 0}):
        response = api_client.get(REPOS, params=bad, headers=headers)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def create_scan(client: ApiClient, key: str, url: str) -> str:
    response = client.post(
        "/api/v1/scans", json={"repository_url": url, "scan_type": "security"}, headers=auth(key)
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def summary(**by_severity: int) -> dict[str, Any]:
    return {"total": sum(by_severity.values()), "by_severity": by_severity}


def test_last_scan_and_trend_of_completed_scans_oldest_first(
    api: InProcessApi, org_key: str
) -> None:
    client = api.client
    # Scanning a URL registers its repository.
    oldest = create_scan(client, org_key, URL)
    failed = create_scan(client, org_key, URL)
    newest_completed = create_scan(client, org_key, URL)
    api.finish_next_scan(summary=summary(HIGH=2, LOW=1))
    api.finish_next_scan(status="failed")
    api.finish_next_scan(summary=summary(CRITICAL=1))
    still_queued = create_scan(client, org_key, URL)
    other_repository_scan = create_scan(client, org_key, "https://127.0.0.1/acme/other.git")

    detail = client.get(f"{REPOS}/lookup", params={"url": URL}, headers=auth(org_key)).json()

    assert detail["last_scan"]["id"] == still_queued
    assert detail["last_scan"]["status"] == "queued"
    trend = detail["trend"]
    assert [point["scan_id"] for point in trend] == [oldest, newest_completed]
    assert failed not in {point["scan_id"] for point in trend}
    assert trend[0]["total"] == 3
    assert trend[0]["by_severity"] == {"CRITICAL": 0, "HIGH": 2, "MEDIUM": 0, "LOW": 1, "INFO": 0}
    assert trend[1]["by_severity"]["CRITICAL"] == 1
    assert trend[0]["finished_at"] <= trend[1]["finished_at"]

    short = client.get(f"{REPOS}/{detail['id']}", params={"trend_size": 1}, headers=auth(org_key))
    assert [point["scan_id"] for point in short.json()["trend"]] == [newest_completed]

    listed = {item["id"]: item for item in client.get(REPOS, headers=auth(org_key)).json()["items"]}
    assert listed[detail["id"]]["trend"] == trend
    assert listed[detail["id"]]["last_scan"]["id"] == still_queued
    [other] = [item for item in listed.values() if item["id"] != detail["id"]]
    assert other["last_scan"]["id"] == other_repository_scan
    assert other["trend"] == []


def test_repositories_need_a_key(api_client: ApiClient) -> None:
    for response in (api_client.get(REPOS), api_client.post(REPOS, json={"url": URL})):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "INVALID_API_KEY"
