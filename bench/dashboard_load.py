"""How fast the dashboard's overview and findings pages become usable with 10,000
findings, in headless Chromium (Debian's, driven by Playwright) against a real server.

Per page: first contentful paint, time until the page's data is rendered and it answers
input ("interactive": the router marks <main data-ready>), and the bytes transferred.
Baseline, measured in the same run: the sign-in page (the same shell and scripts, no API
data). Goals: overview under 200 KB transferred, interactive under 1 s.

    .venv/bin/python bench/dashboard_load.py [--findings 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Browser, Page, sync_playwright

from tools.dashboard.chromium import CHROMIUM, CHROMIUM_ARGS
from tools.dashboard.demo import DemoServer, demo_server, seed

MEASURE = """() => {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const resources = performance.getEntriesByType('resource');
  const navigation = performance.getEntriesByType('navigation')[0];
  const bytes = resources.reduce((sum, r) => sum + (r.transferSize || 0), 0)
    + (navigation ? navigation.transferSize : 0);
  return { fcp: paint ? paint.startTime : null, bytes, requests: resources.length + 1 };
}"""


def load(browser: Browser, server: DemoServer, cookies: list[Any], route: str) -> dict[str, float]:
    """One cold load of a page (empty cache, signed-in cookie): its timings and weight."""
    context = browser.new_context(base_url=server.base_url)
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(f"/ui/{route}")
    selector = "#api-key" if not cookies else "main[data-ready=true]"
    page.wait_for_selector(selector, timeout=60_000)
    interactive = page.evaluate("performance.now()")
    figures = page.evaluate(MEASURE)
    context.close()
    return {"interactive_ms": interactive, "fcp_ms": figures["fcp"] or interactive,
            "kb": figures["bytes"] / 1024, "requests": figures["requests"]}


def session_cookies(browser: Browser, server: DemoServer, key: str) -> list[Any]:
    context = browser.new_context(base_url=server.base_url)
    page: Page = context.new_page()
    page.goto("/ui/")
    page.fill("#api-key", key)
    page.click("button[type=submit]")
    page.wait_for_selector("main[data-ready=true]")
    cookies = context.cookies()
    context.close()
    return list(cookies)


def median_of(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {name: round(statistics.median(r[name] for r in rounds), 1) for name in rounds[0]}


def measure(browser: Browser, server: DemoServer, key: str, rounds: int) -> dict[str, Any]:
    cookies = session_cookies(browser, server, key)
    routes = {"sign_in": ("", []), "overview": ("#/", cookies), "findings": ("#/findings", cookies)}
    results = {}
    for name, (route, jar) in routes.items():
        load(browser, server, jar, route)  # warm the server's caches, not the browser's
        results[name] = median_of([load(browser, server, jar, route) for _ in range(rounds)])
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    print(f"seeding a server with about {options.findings} findings ...", flush=True)
    with demo_server() as server:
        demo = seed(server, extra_findings=options.findings)
        with server.client(demo["key"]) as client:
            tracked = client.get("/findings", params={"page_size": 1}).json().get("total")
        totals = [scan["summary"]["total"] for scan in demo["scans"]]
        print(f"findings tracked: {tracked}; findings per scan: {totals}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            results = measure(browser, server, demo["key"], options.rounds)
            browser.close()
    baseline = results["sign_in"]["interactive_ms"]
    for name, figures in results.items():
        print(f"{name:9} first paint {figures['fcp_ms']:7.1f} ms  interactive "
              f"{figures['interactive_ms']:7.1f} ms  {figures['kb']:6.1f} KB in "
              f"{figures['requests']:.0f} requests  (x{figures['interactive_ms'] / baseline:.2f} "
              "the sign-in page)")
    overview, findings = results["overview"], results["findings"]
    interactive = max(overview["interactive_ms"], findings["interactive_ms"])
    print(f"goals: overview under 200 KB ({overview['kb']:.1f}), interactive under 1000 ms "
          f"({interactive:.1f})")
    print(json.dumps({
        "overview_kb": overview["kb"],
        "interactive_ms": interactive,
        "overview_interactive_ms": overview["interactive_ms"],
        "findings_interactive_ms": findings["interactive_ms"],
        "baseline_sign_in_ms": baseline,
        "overview_over_baseline": round(overview["interactive_ms"] / baseline, 2),
        "findings_tracked": tracked,
    }))


if __name__ == "__main__":
    main()
