"""Saves a PNG of every dashboard page, against a fresh server with demo data:
`scripts/screenshots DIR`."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tools.dashboard.chromium import CHROMIUM, CHROMIUM_ARGS
from tools.dashboard.demo import demo_server, seed


def sign_in(page: Page, key: str) -> None:
    page.goto("/ui/")
    page.fill("#api-key", key)
    page.click("button[type=submit]")
    page.wait_for_selector("main[data-ready=true] h1")


def shoot(page: Page, route: str, target: Path) -> None:
    page.evaluate("document.getElementById('main').dataset.ready = 'false'")
    page.evaluate("route => { location.hash = route; }", route)
    page.wait_for_selector("main[data-ready=true]")
    page.wait_for_timeout(300)  # let late sections (event streams, charts) settle
    page.screenshot(path=str(target), full_page=True)
    print(f"{target}  ({route})")


def main(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with demo_server() as server:
        demo = seed(server)
        scan = demo["scans"][0]["id"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            viewport = {"width": 1280, "height": 900}
            page = browser.new_page(base_url=server.base_url, viewport=viewport)
            page.goto("/ui/")
            page.wait_for_selector("#api-key")
            page.screenshot(path=str(directory / "00-sign-in.png"))
            print(directory / "00-sign-in.png")
            sign_in(page, demo["key"])
            routes = [
                ("01-overview.png", "#/"),
                ("02-scans.png", "#/scans"),
                ("03-scan.png", f"#/scans/{scan}"),
                ("04-findings.png", "#/findings"),
                ("06-analysis.png", f"#/scans/{scan}/analysis"),
                ("07-diff.png", f"#/diff?head={scan}&base={demo['scans'][1]['id']}"),
            ]
            for name, route in routes:
                shoot(page, route, directory / name)
            shoot(page, f"#/scans/{scan}", directory / "03-scan.png")
            page.click("tr[data-finding] a")
            page.wait_for_selector("main[data-ready=true] pre.code")
            page.screenshot(path=str(directory / "05-finding.png"), full_page=True)
            print(directory / "05-finding.png")
            page.click("text=Sign out")
            page.wait_for_selector("#api-key")
            sign_in(page, server.admin_key)
            shoot(page, "#/admin", directory / "08-admin.png")
            browser.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/screenshots DIR")
    main(Path(sys.argv[1]))
