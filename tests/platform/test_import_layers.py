"""Every top-level package of the platform has a place in the import-linter layers
(pyproject.toml), so none escapes the layering by being left out of it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import tavo_platform

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_every_platform_package_is_in_a_layer() -> None:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    platform_layers = next(c for c in contracts if c["containers"] == ["tavo_platform"])
    placed = {
        name.strip().strip("()")
        for layer in platform_layers["layers"]
        for name in layer.replace("|", ":").split(":")
    }
    root = Path(tavo_platform.__file__).parent
    present = {
        path.stem if path.is_file() else path.name
        for path in root.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert present - placed == set(), "place new packages in a layer in pyproject.toml"
