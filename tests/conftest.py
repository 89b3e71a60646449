"""Shared fixtures live in the plugin tests/support/plugin.py (loaded by pyproject.toml's
addopts), not here: test folders never import each other."""
