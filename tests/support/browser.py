"""What the browser tests and tools need: Debian's Chromium (installed by
scripts/install-test-tools; Playwright never downloads a browser here) and axe-core."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Headless, as root, with the background services that would try the closed network off.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
AXE_SCRIPT = REPO_ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
