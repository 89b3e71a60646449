"""Debian's Chromium, driven by Playwright (which never downloads a browser here), and
axe-core from tools/axe: shared by the browser tests, the screenshots and the benchmark."""

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
