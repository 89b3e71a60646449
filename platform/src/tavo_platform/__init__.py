"""Tavo platform: the scan engine, its rule packs, output formats and the `tavo` CLI."""

__version__ = "0.1.0"
