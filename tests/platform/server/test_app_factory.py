"""A served app (app_from_environment, what `tavo serve` runs) moves what its startup made
to the collector's permanent generation, so that full collections under load do not walk
it; an app made any other way (tests, embedding) freezes nothing."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any

import pytest
from tavo_platform.server import app as app_module
from tavo_platform.settings import Settings
from tavo_platform.store.migrate import upgrade


def frozen_while_serving(settings: Settings, **options: Any) -> int:
    async def run() -> int:
        app = app_module.create_app(settings, **options)
        async with app.router.lifespan_context(app):
            return gc.get_freeze_count()

    return asyncio.run(run())


def test_only_a_served_app_freezes_its_startup_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "data", scan_concurrency=0)
    settings.data_dir.mkdir(parents=True)
    upgrade(settings.resolved_database_url)
    gc.unfreeze()
    try:
        assert frozen_while_serving(settings) == 0
        # The modules, the app and its routes at the least.
        assert frozen_while_serving(settings, freeze_startup=True) > 50_000
    finally:
        gc.unfreeze()

    made: list[dict[str, Any]] = []

    def recorded(settings: Settings | None = None, **options: Any) -> Any:
        made.append(options)
        return object()

    monkeypatch.setattr(app_module, "create_app", recorded)
    app_module.app_from_environment()
    assert made == [{"freeze_startup": True}]
