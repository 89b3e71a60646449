"""Rules API: packs and rules with metadata, caching, and custom rule files (in-process)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from tavo_platform.rules.catalog import builtin_catalog
from tavo_platform.server.routes.rules import MAX_CUSTOM_RULE_FILE_BYTES
from tavo_platform.settings import Settings
from tavo_platform.store.migrate import upgrade

from tests.support.inprocess import ApiClient, auth, running_api
from tests.support.live import make_git_repo

RULES = "/api/v1/rules"
CUSTOM = "/api/v1/rules/custom"
RULE_FIELDS = {
    "id", "title", "message", "severity", "confidence", "category", "cwe", "owasp_llm",
    "languages", "pack", "references", "fix", "autofix", "matcher", "custom",
}

PICKLE_RULE = """
  - id: acme-pickle-loads
    title: pickle.loads of untrusted bytes
    message: pickle.loads runs code embedded in its input; never unpickle data from outside.
    severity: high
    confidence: medium
    category: deserialization
    cwe: [CWE-502]
    owasp_llm: LLM03
    references: [https://docs.python.org/3/library/pickle.html]
    languages: [python]
    fix: Exchange data as JSON, or sign pickles and verify them before loading.
    structural:
      rule:
        pattern: pickle.loads($$$)
    examples:
      positive:
        - |
          import pickle
          obj = pickle.loads(payload)
      negative:
        - |
          import json
          obj = json.loads(payload)
"""
TOKEN_RULE = """
  - id: acme-internal-token
    title: Acme internal service token
    message: An Acme internal service token is committed to the repository.
    severity: critical
    confidence: high
    category: hardcoded-secret
    cwe: [CWE-798]
    languages: [generic]
    fix: Move the token to the secret manager and rotate it.
    regex:
      pattern: 'acme_tok_[A-Za-z0-9]{24}'
    examples:
      positive:
        - 'token = "acme_tok_Q3x9LmP2vR8sT1uW4yZ6aB0c"'
      negative:
        - 'token = os.environ["ACME_TOKEN"]'
"""
GOOD_FILE = "rules:" + PICKLE_RULE + TOKEN_RULE


def rule_file(*rules: str) -> str:
    return "rules:" + "".join(rules)


def with_id(rule: str, old: str, new: str) -> str:
    return rule.replace(f"id: {old}", f"id: {new}")


def upload(client: ApiClient, key: str, content: str, name: str = "acme.yaml") -> Any:
    return client.post(CUSTOM, json={"name": name, "content": content}, headers=auth(key))


def rules_by_id(client: ApiClient, key: str, **params: Any) -> dict[str, Any]:
    response = client.get(RULES, params=params, headers=auth(key))
    assert response.status_code == 200, response.text
    return {rule["id"]: rule for rule in response.json()["items"]}


# --- built-in rules -------------------------------------------------------------------------


def test_list_has_every_builtin_rule_with_metadata(api_client: ApiClient, org_key: str) -> None:
    response = api_client.get(RULES, headers=auth(org_key))

    assert response.status_code == 200
    body = response.json()
    catalog = builtin_catalog()
    assert {rule["id"] for rule in body["items"]} == set(catalog.by_id)
    assert body["total"] == len(catalog.by_id)
    for view in body["items"]:
        assert set(view) == RULE_FIELDS
        assert view["custom"] is False
    # Each view says what the rule file says.
    for view in body["items"]:
        rule = catalog.by_id[view["id"]]
        assert view["title"] == rule.title
        assert view["pack"] == rule.pack
        assert view["severity"] == rule.severity.value
        assert view["confidence"] == rule.confidence.value
        assert view["category"] == rule.category
        assert view["cwe"] == rule.cwe
        assert view["owasp_llm"] == rule.owasp_llm
        assert view["languages"] == [language.value for language in rule.languages]
        assert view["references"] == rule.references
        assert view["fix"] == rule.fix
        assert view["matcher"] == rule.matcher_kind
    packs = {pack["name"]: pack for pack in body["packs"]}
    assert set(packs) == set(catalog.packs)
    assert sum(pack["rules"] for pack in packs.values()) == len(catalog.by_id)
    for name, pack in packs.items():
        languages = {lang.value for rule in catalog.rules if rule.pack == name
                     for lang in rule.languages}
        assert set(pack["languages"]) == languages


def test_the_builtin_list_is_publicly_cacheable_and_304_is_free(
    api_client: ApiClient, org_key: str
) -> None:
    first = api_client.get(RULES, headers=auth(org_key))
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=3600"
    assert "X-API-Key" in first.headers["Vary"]
    remaining = int(first.headers["X-RateLimit-Remaining"])

    revalidated = api_client.get(RULES, headers={**auth(org_key), "If-None-Match": etag})
    assert revalidated.status_code == 304
    assert revalidated.content == b""
    assert revalidated.headers["ETag"] == etag

    # The 304 did not count: the next full request is only the second one counted.
    again = api_client.get(RULES, headers=auth(org_key))
    assert again.headers["ETag"] == etag
    assert int(again.headers["X-RateLimit-Remaining"]) == remaining - 1

    stale = api_client.get(RULES, headers={**auth(org_key), "If-None-Match": '"stale"'})
    assert stale.status_code == 200


def test_a_compressed_cacheable_response_names_each_vary_field_once(
    api_client: ApiClient, org_key: str
) -> None:
    response = api_client.get(RULES, headers={**auth(org_key), "Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    (vary,) = response.headers.get_list("Vary")
    fields = [field.strip().lower() for field in vary.split(",")]
    assert sorted(fields) == sorted(set(fields))
    assert {"accept-encoding", "authorization", "x-api-key"} <= set(fields)


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"severity": "HIGH"}, lambda r: r["severity"] == "HIGH"),
        ({"severity": ["HIGH", "CRITICAL"]}, lambda r: r["severity"] in ("HIGH", "CRITICAL")),
        ({"pack": "secrets"}, lambda r: r["pack"] == "secrets"),
        ({"pack": ["secrets", "owasp-llm"]}, lambda r: r["pack"] in ("secrets", "owasp-llm")),
        ({"language": "python"}, lambda r: "python" in r["languages"]),
        ({"owasp_llm": "LLM02"}, lambda r: r["owasp_llm"] == "LLM02"),
        ({"category": "code-injection"}, lambda r: r["category"] == "code-injection"),
        (
            {"pack": "code-security", "severity": "LOW"},
            lambda r: r["pack"] == "code-security" and r["severity"] == "LOW",
        ),
        ({"pack": "no-such-pack"}, lambda r: False),
    ],
)
def test_filters_select_exactly_the_matching_rules(
    api_client: ApiClient, org_key: str, params: dict[str, Any], check: Any
) -> None:
    everything = rules_by_id(api_client, org_key)
    filtered = rules_by_id(api_client, org_key, **params)
    assert set(filtered) == {rule_id for rule_id, view in everything.items() if check(view)}


def test_filters_are_not_vacuous(api_client: ApiClient, org_key: str) -> None:
    some_rule = builtin_catalog().rules[0]
    found = rules_by_id(
        api_client,
        org_key,
        pack=some_rule.pack,
        severity=some_rule.severity.value,
        language=some_rule.languages[0].value,
    )
    assert some_rule.id in found
    assert len(found) < len(builtin_catalog().rules)


@pytest.mark.parametrize(
    "params",
    [{"severity": "SEVERE"}, {"language": "cobol"}, {"owasp_llm": "LLM11"},
     {"pack": ["x"] * 51}],
)
def test_bad_filters_are_validation_errors(
    api_client: ApiClient, org_key: str, params: dict[str, Any]
) -> None:
    response = api_client.get(RULES, params=params, headers=auth(org_key))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_packs_endpoint(api_client: ApiClient, org_key: str) -> None:
    response = api_client.get(f"{RULES}/packs", headers=auth(org_key))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    packs = {pack["name"]: pack for pack in response.json()["items"]}
    assert set(packs) == set(builtin_catalog().packs)
    for name, pack in packs.items():
        in_pack = [rule for rule in builtin_catalog().rules if rule.pack == name]
        assert pack["rules"] == len(in_pack)
        assert pack["custom"] is False


def test_one_rule_with_its_matcher_examples_and_etag(
    api_client: ApiClient, org_key: str
) -> None:
    rule = next(r for r in builtin_catalog().rules if r.matcher_kind == "structural")
    response = api_client.get(f"{RULES}/{rule.id}", headers=auth(org_key))

    assert response.status_code == 200
    view = response.json()
    assert view["id"] == rule.id
    assert view["definition"]["rule"] == rule.structural.rule
    for kind in ("positive", "negative"):
        codes = [example["code"] for example in view["examples"][kind]]
        assert codes == [example.code for example in rule.examples_of(kind)]
        assert codes
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    cached = api_client.get(
        f"{RULES}/{rule.id}",
        headers={**auth(org_key), "If-None-Match": response.headers["ETag"]},
    )
    assert cached.status_code == 304


@pytest.mark.parametrize("rule_id", ["no-such-rule", "x" * 90])
def test_unknown_rule_is_404(api_client: ApiClient, org_key: str, rule_id: str) -> None:
    response = api_client.get(f"{RULES}/{rule_id}", headers=auth(org_key))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_rules_need_a_key(api_client: ApiClient) -> None:
    response = api_client.get(RULES)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_API_KEY"


# --- custom rule files ----------------------------------------------------------------------


def test_custom_rules_lifecycle_and_tenant_isolation(
    api_client: ApiClient, org_key: str, other_org_key: str
) -> None:
    before = api_client.get(RULES, headers=auth(org_key))

    created = upload(api_client, org_key, GOOD_FILE)

    assert created.status_code == 201, created.text
    saved = created.json()
    assert saved["name"] == "acme.yaml"
    assert saved["rule_ids"] == ["acme-pickle-loads", "acme-internal-token"]
    assert saved["replaced"] is False
    assert created.headers["Location"] == f"{CUSTOM}/{saved['id']}"

    # Listed with the built-in rules, marked as custom; the answer is now private.
    listing = api_client.get(RULES, headers=auth(org_key))
    assert listing.headers["Cache-Control"] == "private, no-cache"
    assert listing.headers["ETag"] != before.headers["ETag"]
    mine = {rule["id"]: rule for rule in listing.json()["items"]}
    pickle_rule = mine["acme-pickle-loads"]
    assert pickle_rule["custom"] is True
    assert pickle_rule["pack"] == "custom"
    assert pickle_rule["rule_file"] == {"id": saved["id"], "name": "acme.yaml"}
    assert (pickle_rule["severity"], pickle_rule["owasp_llm"]) == ("HIGH", "LLM03")
    assert mine["acme-internal-token"]["matcher"] == "regex"
    assert {"name": "custom"}.items() <= next(
        p for p in listing.json()["packs"] if p["name"] == "custom"
    ).items()
    assert set(rules_by_id(api_client, org_key, pack="custom")) == set(saved["rule_ids"])
    revalidated = api_client.get(
        RULES, headers={**auth(org_key), "If-None-Match": listing.headers["ETag"]}
    )
    assert revalidated.status_code == 304

    detail = api_client.get(f"{RULES}/acme-pickle-loads", headers=auth(org_key))
    assert detail.status_code == 200
    assert detail.json()["examples"]["positive"][0]["code"].startswith("import pickle")
    assert detail.headers["Cache-Control"] == "private, no-cache"

    files = api_client.get(CUSTOM, headers=auth(org_key)).json()
    assert [f["id"] for f in files["items"]] == [saved["id"]]
    assert "content" not in files["items"][0]
    one = api_client.get(f"{CUSTOM}/{saved['id']}", headers=auth(org_key)).json()
    assert one["content"] == GOOD_FILE

    # Another organisation sees none of it.
    other = auth(other_org_key)
    their_listing = api_client.get(RULES, headers=other)
    assert their_listing.headers["Cache-Control"] == "public, max-age=3600"
    assert their_listing.headers["ETag"] == before.headers["ETag"]
    assert "acme-pickle-loads" not in {rule["id"] for rule in their_listing.json()["items"]}
    assert api_client.get(f"{RULES}/acme-pickle-loads", headers=other).status_code == 404
    assert api_client.get(CUSTOM, headers=other).json()["total"] == 0
    assert api_client.get(f"{CUSTOM}/{saved['id']}", headers=other).status_code == 404
    assert api_client.delete(f"{CUSTOM}/{saved['id']}", headers=other).status_code == 404

    # Deleting brings back the public built-in list.
    assert api_client.delete(f"{CUSTOM}/{saved['id']}", headers=auth(org_key)).status_code == 204
    assert api_client.delete(f"{CUSTOM}/{saved['id']}", headers=auth(org_key)).status_code == 404
    after = api_client.get(RULES, headers=auth(org_key))
    assert after.headers["ETag"] == before.headers["ETag"]
    assert api_client.get(f"{RULES}/acme-pickle-loads", headers=auth(org_key)).status_code == 404


def test_uploading_the_same_name_replaces_the_file(api_client: ApiClient, org_key: str) -> None:
    first = upload(api_client, org_key, rule_file(PICKLE_RULE)).json()
    second = upload(api_client, org_key, GOOD_FILE)

    assert second.status_code == 201
    assert second.json()["replaced"] is True
    assert second.json()["id"] != first["id"]
    files = api_client.get(CUSTOM, headers=auth(org_key)).json()["items"]
    assert [f["id"] for f in files] == [second.json()["id"]]
    assert api_client.get(f"{CUSTOM}/{first['id']}", headers=auth(org_key)).status_code == 404


def errors_of(response: Any) -> dict[str | None, list[str]]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "RULE_VALIDATION_FAILED"
    named: dict[str | None, list[str]] = {}
    for problem in error["details"]["errors"]:
        named.setdefault(problem["rule_id"], []).append(problem["message"])
    return named


def test_every_problem_is_reported_naming_its_rule(api_client: ApiClient, org_key: str) -> None:
    builtin_id = builtin_catalog().rules[0].id
    pack_name = builtin_catalog().packs[0]
    never_matches = with_id(PICKLE_RULE, "acme-pickle-loads", "acme-wrong-pattern").replace(
        "pattern: pickle.loads($$$)", "pattern: marshal.loads($$$)"
    )
    no_severity = with_id(TOKEN_RULE, "acme-internal-token", "acme-no-severity").replace(
        "    severity: critical\n", ""
    )
    content = rule_file(
        never_matches,
        no_severity,
        with_id(PICKLE_RULE, "acme-pickle-loads", builtin_id),
        with_id(TOKEN_RULE, "acme-internal-token", pack_name),
        TOKEN_RULE,
        TOKEN_RULE,  # defined twice
    )

    problems = errors_of(upload(api_client, org_key, content))

    assert set(problems) == {
        "acme-wrong-pattern", "acme-no-severity", builtin_id, pack_name,
        "acme-internal-token",
    }
    assert any("positive example #1" in m for m in problems["acme-wrong-pattern"])
    assert any("severity" in m for m in problems["acme-no-severity"])
    assert any("built-in" in m for m in problems[builtin_id])
    assert any("reserved" in m for m in problems[pack_name])
    assert any("more than once" in m for m in problems["acme-internal-token"])
    assert api_client.get(CUSTOM, headers=auth(org_key)).json()["total"] == 0


def test_a_rule_that_matches_its_negative_example_is_refused(
    api_client: ApiClient, org_key: str
) -> None:
    loose = with_id(TOKEN_RULE, "acme-internal-token", "acme-loose-token").replace(
        "'acme_tok_[A-Za-z0-9]{24}'", "'token'"
    )
    problems = errors_of(upload(api_client, org_key, rule_file(loose)))
    assert any("negative example #1" in m for m in problems["acme-loose-token"])


@pytest.mark.parametrize(
    "content",
    ["rules: [unclosed", "just a string", "rules: []", "rules:\n  - 42\n"],
    ids=["bad-yaml", "not-a-mapping", "no-rules", "rule-not-a-mapping"],
)
def test_files_that_are_not_rule_files(api_client: ApiClient, org_key: str, content: str) -> None:
    response = upload(api_client, org_key, content)
    problems = errors_of(response)
    assert problems
    assert "acme.yaml" in response.json()["error"]["message"]


def test_ids_of_the_organisations_other_files_clash_but_not_other_organisations(
    api_client: ApiClient, org_key: str, other_org_key: str
) -> None:
    assert upload(api_client, org_key, rule_file(PICKLE_RULE), "first.yaml").status_code == 201

    problems = errors_of(upload(api_client, org_key, GOOD_FILE, "second.yaml"))
    assert list(problems) == ["acme-pickle-loads"]
    assert "first.yaml" in problems["acme-pickle-loads"][0]

    assert upload(api_client, other_org_key, GOOD_FILE, "second.yaml").status_code == 201


@pytest.mark.parametrize(
    "body",
    [{"name": "../../etc/passwd", "content": GOOD_FILE}, {"name": "", "content": GOOD_FILE},
     {"content": GOOD_FILE}, {"name": "a.yaml"}, {"name": "a.yaml", "content": 5},
     {"name": "a.yaml", "content": GOOD_FILE, "pack": "x"}, ["a.yaml", GOOD_FILE]],
    ids=["traversal", "empty-name", "no-name", "no-content", "content-type", "extra", "list"],
)
def test_malformed_uploads_are_validation_envelopes(
    api_client: ApiClient, org_key: str, body: Any
) -> None:
    response = api_client.post(CUSTOM, json=body, headers=auth(org_key))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_oversized_rule_files_are_413(api_client: ApiClient, org_key: str) -> None:
    content = GOOD_FILE + "#" * MAX_CUSTOM_RULE_FILE_BYTES
    response = upload(api_client, org_key, content)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert error["details"]["max_bytes"] == MAX_CUSTOM_RULE_FILE_BYTES


def test_a_catastrophic_regex_runs_in_linear_time(api_client: ApiClient, org_key: str) -> None:
    """A user's regex runs on RE2: the nested quantifiers that backtrack exponentially in
    Python's `re` check their examples at once, so the upload simply succeeds."""
    slow = textwrap.dedent(
        """
        rules:
          - id: acme-backtracking
            title: A pattern that backtracks exponentially elsewhere
            message: Nested quantifiers on a line of a's followed by something else.
            severity: low
            confidence: low
            category: test
            languages: [generic]
            fix: Do not write patterns like this.
            regex:
              pattern: '^(a+)+$'
            examples:
              positive: ['aaaa']
              negative: ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!']
        """
    )
    response = upload(api_client, org_key, slow)
    assert response.status_code == 201, response.text  # before RE2: the check timed out


def test_a_regex_that_needs_backtracking_is_refused_naming_the_rule(
    api_client: ApiClient, org_key: str
) -> None:
    lookahead = textwrap.dedent(
        """
        rules:
          - id: acme-lookahead
            title: A pattern with a lookahead
            message: RE2 has no lookaround.
            severity: low
            confidence: low
            category: test
            languages: [generic]
            fix: none
            regex:
              pattern: 'token(?=[0-9])'
            examples:
              positive: ['token1']
              negative: ['tokenx']
        """
    )
    problems = errors_of(upload(api_client, org_key, lookahead))
    assert any("linear-time" in m for m in problems["acme-lookahead"]), problems


def test_uploaded_rules_run_in_security_scans(tmp_path: Path) -> None:
    repository = make_git_repo(
        tmp_path / "repo",
        {
            "service.py": "import pickle\n\ndef load(payload):\n    return pickle.loads(payload)\n",
            "settings.txt": 'token = "acme_tok_Q3x9LmP2vR8sT1uW4yZ6aB0c"\n',
        },
    )
    settings = Settings(
        data_dir=tmp_path / "data", scan_concurrency=1, fetch_allow_file_urls=True
    )
    settings.data_dir.mkdir()
    upgrade(settings.resolved_database_url)
    with running_api(settings) as api:
        key = api.create_key(org="acme")
        assert upload(api.client, key, GOOD_FILE).status_code == 201
        created = api.client.post(
            "/api/v1/scans",
            json={"repository_url": repository.as_uri(), "scan_type": "security",
                  "rules": ["custom"]},
            headers=auth(key),
        )
        assert created.status_code == 202, created.text
        scan_id = created.json()["id"]
        status = api.client.get(
            f"/api/v1/scans/{scan_id}/results.ndjson", headers=auth(key), timeout=120
        )
        assert status.status_code == 200
        results = api.client.get(f"/api/v1/scans/{scan_id}/results", headers=auth(key)).json()

    assert results["scan_status"] == "completed", results
    found = {(f["rule_id"], f["path"]) for f in results["vulnerabilities"]}
    assert found == {("acme-pickle-loads", "service.py"), ("acme-internal-token", "settings.txt")}
