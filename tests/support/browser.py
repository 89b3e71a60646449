"""The browser the dashboard tests drive (see tools/dashboard/chromium.py)."""

from tools.dashboard.chromium import AXE_SCRIPT, CHROMIUM, CHROMIUM_ARGS

__all__ = ["AXE_SCRIPT", "CHROMIUM", "CHROMIUM_ARGS"]
