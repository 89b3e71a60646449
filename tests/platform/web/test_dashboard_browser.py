"""The dashboard in a real browser: Debian's Chromium driven by Playwright against a real
`tavo serve`. Sign-in, every page (each checked with axe-core: no serious or critical
violation), a scan started from the page and followed to its end, key creation, and
findings whose code, path, message and links are hostile: nothing they hold may run."""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.support.browser import AXE_SCRIPT, CHROMIUM, CHROMIUM_ARGS
from tests.support.live import LiveServer, server_env

pytestmark = pytest.mark.browser

# Each payload sets window.__pwned if it ever runs as markup or script.
HOSTILE_NAME = '"><img src=x onerror="window.__pwned=1">.py'
HOSTILE_CODE = (
    "import os\n"
    "def handler(request):\n"
    "    os.system(request.args['cmd'])  # <script>window.__pwned=2</script>\n"
    '    eval(request.args["e"])  # "><svg onload="window.__pwned=3">\n'
)
HOSTILE_RULES = """rules:
  - id: hostile-message
    title: <img src=x onerror="window.__pwned=4"> hostile title
    message: <script>window.__pwned=5</script> the message holds markup
    severity: HIGH
    confidence: HIGH
    category: example
    fix: <a href="javascript:window.__pwned=6">click</a>
    references: ["javascript:window.__pwned=7"]
    languages: [generic]
    regex:
      pattern: 'os\\.system'
    examples:
      positive:
        - "os.system(x)"
      negative:
        - "print(x)"
"""


def archive(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("dashboard"), server_env()).start()
    try:
        yield live
    finally:
        live.stop()


def api(server: LiveServer, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url + "/api/v1", headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


def wait_scan(client: httpx.Client, scan_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        scan = client.get(f"/scans/{scan_id}").json()
        if scan["status"] in ("completed", "failed", "cancelled"):
            return dict(scan)
        time.sleep(0.2)
    raise AssertionError(f"scan {scan_id} did not finish")


@pytest.fixture(scope="module")
def hostile_scan(server: LiveServer) -> dict[str, Any]:
    """A completed scan whose findings carry hostile snippets, paths, titles and links."""
    key = server.create_key("pro", org="hostile")
    with api(server, key) as client:
        rules = {"name": "hostile.yaml", "content": HOSTILE_RULES}
        uploaded = client.post("/rules/custom", json=rules)
        assert uploaded.status_code == 201, uploaded.text
        created = client.post(
            "/uploads/scans",
            params={"filename": "app.tgz"},
            content=archive({HOSTILE_NAME: HOSTILE_CODE}),
            headers={"Content-Type": "application/gzip"},
        )
        assert created.status_code == 202, created.text
        scan = wait_scan(client, created.json()["id"])
        assert scan["status"] == "completed" and scan["summary"]["total"] >= 2, scan
    return {"key": key, "scan": scan}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: scripts/install-test-tools installs it"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def signed_in(
    browser: Browser, server: LiveServer, key: str, **options: Any
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=server.base_url, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/ui/")
    page.fill("#api-key", key)
    page.click("button[type=submit]")
    page.wait_for_selector("main[data-ready=true] h1")
    page.errors = errors  # type: ignore[attr-defined]
    return context, page


def visit(page: Page, hash_route: str) -> None:
    page.evaluate("document.getElementById('main').dataset.ready = 'false'")
    if page.evaluate("location.hash") == hash_route:
        page.reload()  # the same route again: no hashchange, so load the page afresh
    else:
        page.evaluate("route => { location.hash = route; }", hash_route)
    page.wait_for_selector("main[data-ready=true]")


def serious_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_sign_in_shows_the_overview_and_sets_a_strict_session_cookie(
    browser: Browser, server: LiveServer, hostile_scan: dict[str, Any]
) -> None:
    context, page = signed_in(browser, server, hostile_scan["key"])
    assert page.inner_text("main h1") == "Overview"
    [cookie] = [c for c in context.cookies() if c["name"] == "tavo_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert hostile_scan["key"] not in page.content()  # the key is not kept in the page
    assert page.evaluate("document.cookie") == ""  # and the cookie is out of script's reach
    context.close()


def test_a_wrong_key_is_refused_on_the_sign_in_page(browser: Browser, server: LiveServer) -> None:
    page = browser.new_page(base_url=server.base_url)
    page.goto("/ui/")
    page.fill("#api-key", "tavo_not-a-real-key-at-all")
    page.click("button[type=submit]")
    page.wait_for_selector(".notice-error")
    assert "not valid" in page.inner_text(".notice-error")
    page.close()


PAGES = ["#/", "#/scans", "#/findings", "#/diff", "#/admin"]


@pytest.mark.parametrize("route", PAGES)
def test_every_page_renders_without_errors_or_serious_accessibility_violations(
    browser: Browser, server: LiveServer, route: str
) -> None:
    context, page = signed_in(browser, server, server.admin_key, bypass_csp=True)
    visit(page, route)
    assert page.errors == []  # type: ignore[attr-defined]
    assert serious_violations(page) == []
    context.close()


def test_scan_and_finding_pages_pass_the_accessibility_check(
    browser: Browser, server: LiveServer, hostile_scan: dict[str, Any]
) -> None:
    scan_id = hostile_scan["scan"]["id"]
    context, page = signed_in(browser, server, hostile_scan["key"], bypass_csp=True)
    visit(page, f"#/scans/{scan_id}")
    page.wait_for_selector("tr[data-finding]")
    assert serious_violations(page) == []
    page.click("tr[data-finding] a")
    page.wait_for_selector("main[data-ready=true] pre.code")
    assert serious_violations(page) == []
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["csp", "escaping-alone"])
def test_hostile_findings_are_shown_as_text_and_nothing_runs(
    browser: Browser, server: LiveServer, hostile_scan: dict[str, Any], bypass_csp: bool
) -> None:
    """With the Content-Security-Policy, and without it (escaping alone must hold)."""
    scan_id = hostile_scan["scan"]["id"]
    context, page = signed_in(browser, server, hostile_scan["key"], bypass_csp=bypass_csp)
    visit(page, f"#/scans/{scan_id}")
    page.wait_for_selector("tr[data-finding]")
    table_text = page.inner_text("main table")
    assert '<img src=x onerror="window.__pwned=4"> hostile title' in table_text
    assert HOSTILE_NAME in table_text
    for row in range(page.locator("tr[data-finding] a").count()):
        visit(page, f"#/scans/{scan_id}")
        page.wait_for_selector("tr[data-finding]")
        page.locator("tr[data-finding] a").nth(row).click()
        page.wait_for_selector("main[data-ready=true] pre.code")
        text = page.inner_text("main")
        assert any(markup in text for markup in ("<script>", "<svg", "<img")), text  # as text
        hrefs = page.eval_on_selector_all("main a", "all => all.map(a => a.getAttribute('href'))")
        assert not any(str(h).lower().startswith("javascript:") for h in hrefs), hrefs
    assert page.evaluate("window.__pwned") is None
    assert page.locator("main img, main script, main svg[onload]").count() == 0
    context.close()


def test_a_scan_started_from_the_page_is_followed_live_to_its_end(
    browser: Browser, server: LiveServer, tmp_path: Path
) -> None:
    key = server.create_key("pro")
    upload = tmp_path / "app.tgz"
    upload.write_bytes(archive({"app.py": HOSTILE_CODE}))
    context, page = signed_in(browser, server, key)
    visit(page, "#/scans")
    page.set_input_files("#scan-file", str(upload))
    page.click("form button[type=submit]")
    page.wait_for_selector("#scan-status")
    # The page follows the scan over server-sent events until it completes.
    page.wait_for_selector("#scan-status .status-completed", timeout=60_000)
    page.wait_for_selector("tr[data-finding]", timeout=30_000)
    with api(server, key) as client:
        [scan] = client.get("/scans").json()["items"]
    assert scan["status"] == "completed" and page.url.endswith(f"#/scans/{scan['id']}")
    context.close()


def test_a_finding_is_triaged_from_its_page_and_keeps_its_history(
    browser: Browser, server: LiveServer
) -> None:
    key = server.create_key("pro")
    with api(server, key) as client:
        created = client.post(
            "/uploads/scans", params={"filename": "app.tgz", "project": "triage-app"},
            content=archive({"app.py": HOSTILE_CODE}),
            headers={"Content-Type": "application/gzip"},
        )
        assert wait_scan(client, created.json()["id"])["status"] == "completed"
    context, page = signed_in(browser, server, key)
    visit(page, "#/findings?project=triage-app")
    page.wait_for_selector("tr[data-finding]")
    finding_id = page.get_attribute("tr[data-finding]", "data-finding")
    page.click("tr[data-finding] a")
    page.wait_for_selector("#triage-comment")
    page.fill("#triage-comment", "only reachable from the admin CLI")
    page.click("button[data-triage=false_positive]")
    page.wait_for_selector("#history-heading")
    page.wait_for_selector("main .status-false_positive")
    assert "only reachable from the admin CLI" in page.inner_text("main table")
    with api(server, key) as client:
        stored = client.get(f"/findings/{finding_id}").json()
    assert stored["status"] == "false_positive"
    assert stored["triage"]["comment"] == "only reachable from the admin CLI"
    context.close()


def test_two_scans_of_a_project_are_compared(browser: Browser, server: LiveServer) -> None:
    key = server.create_key("pro")
    before = "import os\ndef run(request):\n    os.system(request.args['cmd'])\n"
    after = "def run(request):\n    eval(request.args['code'])\n"
    scans = []
    with api(server, key) as client:
        for code in (before, after):
            created = client.post(
                "/uploads/scans", params={"filename": "app.tgz", "project": "diff-app"},
                content=archive({"app.py": code}), headers={"Content-Type": "application/gzip"},
            )
            scans.append(wait_scan(client, created.json()["id"])["id"])
    context, page = signed_in(browser, server, key)
    visit(page, f"#/diff?head={scans[1]}&base={scans[0]}")
    new = page.inner_text("section[data-diff=new]")
    fixed = page.inner_text("section[data-diff=fixed]")
    assert "eval" in new.lower() and "New (0)" not in new
    assert "Fixed (0)" not in fixed
    page.click("section[data-diff=fixed] tr[data-finding] a")
    page.wait_for_selector("main[data-ready=true] pre.code")
    assert "os.system" in page.inner_text("pre.code")  # as the base scan found it
    context.close()


def test_an_admin_creates_a_key_that_is_shown_once_and_works(
    browser: Browser, server: LiveServer
) -> None:
    context, page = signed_in(browser, server, server.admin_key)
    visit(page, "#/admin")
    page.fill("#key-name", "from the dashboard")
    page.click("#keys-heading ~ form button[type=submit]")
    page.wait_for_selector("#new-key")
    new_key = page.inner_text("#new-key").strip()
    assert new_key.startswith("tavo_")
    with api(server, new_key) as client:
        assert client.get("/scans").status_code == 200
    visit(page, "#/admin")  # shown once: not on the page any more
    assert new_key not in page.content()
    context.close()


def test_sign_out_ends_the_session(browser: Browser, server: LiveServer) -> None:
    context, page = signed_in(browser, server, server.admin_key)
    page.click("text=Sign out")
    page.wait_for_selector("#api-key")
    status = page.evaluate("async () => (await fetch('/ui/session')).status")
    assert status == 401
    context.close()


def test_the_session_cookie_needs_the_csrf_token_for_state_changes(server: LiveServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        signed = client.post("/ui/session", json={"api_key": server.admin_key})
        assert signed.status_code == 200
        csrf = signed.json()["csrf_token"]
        assert client.get("/api/v1/scans").status_code == 200  # reads: the cookie alone
        body = {"name": "x", "org": "csrf", "tier": "free"}
        refused = client.post("/api/v1/admin/keys", json=body)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "CSRF_TOKEN_INVALID"
        wrong = client.post("/api/v1/admin/keys", json=body, headers={"X-CSRF-Token": "x" * 43})
        assert wrong.status_code == 403
        allowed = client.post("/api/v1/admin/keys", json=body, headers={"X-CSRF-Token": csrf})
        assert allowed.status_code == 201, allowed.text


def test_a_forged_or_tampered_cookie_is_refused(server: LiveServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        signed = client.post("/ui/session", json={"api_key": server.admin_key})
        token = signed.cookies["tavo_session"]
    body, _, mac = token.partition(".")
    for forged in (f"{body}.{'A' * len(mac)}", f"{body[:-2]}xx.{mac}", "garbage", "a" * 600):
        response = httpx.get(
            server.base_url + "/api/v1/scans", cookies={"tavo_session": forged}, timeout=30
        )
        assert response.status_code == 401, forged
        assert response.json()["error"]["code"] in ("SESSION_EXPIRED", "INVALID_API_KEY")


def test_the_page_is_served_with_a_strict_policy(server: LiveServer) -> None:
    response = httpx.get(server.base_url + "/ui/", timeout=30)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    module = '<script type="module" src="/ui/static/app.js">'
    assert "<script" not in response.text.replace(module, "")  # no inline script
    assert json.loads(httpx.get(server.base_url + "/ui/session", timeout=30).text)["error"]


def test_a_user_signs_in_with_email_and_password(browser: Browser, server: LiveServer) -> None:
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    invited = httpx.post(server.base_url + "/api/v1/users", headers=admin, timeout=30,
                         json={"email": "pat@example.com", "role": "viewer"})
    assert invited.status_code == 201, invited.text
    accepted = httpx.post(server.base_url + "/api/v1/invitations/accept", timeout=30,
                          json={"token": invited.json()["invitation"]["token"],
                                "password": "a long enough passphrase"})
    assert accepted.status_code == 200, accepted.text
    page = browser.new_page(base_url=server.base_url)
    page.goto("/ui/")
    page.fill("#email", "pat@example.com")
    page.fill("#password", "not the passphrase")
    page.click("button[type=submit]")
    page.wait_for_selector(".notice-error")
    assert "wrong" in page.inner_text(".notice-error")
    page.fill("#password", "a long enough passphrase")
    page.click("button[type=submit]")
    page.wait_for_selector("main[data-ready=true] h1")
    assert page.inner_text("main h1") == "Overview"
    assert "viewer" in page.inner_text("#who")
    page.close()


def test_an_admin_invites_a_user_whose_invitation_is_shown_once(
    browser: Browser, server: LiveServer
) -> None:
    context, page = signed_in(browser, server, server.admin_key)
    visit(page, "#/admin")
    page.fill("#user-email", "invited-from-the-dashboard@example.com")
    page.select_option("#user-role", "viewer")
    page.click("#users-heading ~ form button[type=submit]")
    page.wait_for_selector("#new-invitation")
    token = page.inner_text("#new-invitation").strip()
    assert token.startswith("tavo_inv_")
    accepted = httpx.post(server.base_url + "/api/v1/invitations/accept", timeout=30,
                          json={"token": token, "password": "a long enough passphrase"})
    assert accepted.status_code == 200 and accepted.json()["key"]["role"] == "viewer"
    visit(page, "#/admin")  # shown once: not on the page any more
    assert token not in page.content()
    assert "invited-from-the-dashboard@example.com" in page.inner_text("#users-heading ~ table")
    context.close()
