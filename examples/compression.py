"""Performance guide > Resource Optimization > Compression and Encoding.

A scan configuration of several kilobytes goes out gzip-compressed (bodies of 1 KiB and
more are); responses are accepted compressed too. The rules rule1..rule3 are uploaded first
as the organisation's own custom rules, so that the server knows them."""

import json

from _common import API_KEY, REPO, check, run_example
from tavo import TavoClient

CUSTOM_RULES = "".join(
    f"""  - id: rule{n}
    title: Example rule {n}
    message: Marks lines that say TODO-{n}.
    severity: LOW
    confidence: HIGH
    category: example
    fix: Resolve the TODO.
    languages: [generic]
    regex:
      pattern: 'TODO-{n}\\b'
    examples:
      positive:
        - "x = 1  # TODO-{n}"
      negative:
        - "x = 1"
"""
    for n in (1, 2, 3)
)


async def main() -> None:
    async with TavoClient(api_key=API_KEY) as setup:
        await setup.scan_rules.upload_custom_rules("example-rules.yaml", "rules:\n" + CUSTOM_RULES)

    # SDK automatically handles compression
    client = TavoClient(api_key=API_KEY)

    # Requests with large payloads are automatically compressed
    large_scan_config = {
        "repository_url": REPO,
        "scan_type": "comprehensive",
        "rules": ["rule1", "rule2", "rule3"] * 100,  # Large config
        "exclusions": ["path1", "path2", "path3"] * 100
    }

    result = await client.scan_management.create_scan(large_scan_config)
    # Request automatically compressed with gzip

    raw = len(json.dumps(large_scan_config, separators=(",", ":")))
    sent = client.metrics.bytes_sent
    check(sent < raw / 4, f"{raw} bytes of JSON went out as {sent} bytes: not compressed")
    check(sorted(result["rules"]) == ["rule1", "rule2", "rule3"], f"rules: {result['rules']}")
    print(f"created {result['id']}; {raw} bytes of JSON sent as {sent} gzip bytes")
    await client.close()


if __name__ == "__main__":
    run_example(main)
