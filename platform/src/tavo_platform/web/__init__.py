"""The web dashboard served by `tavo serve` (see routes.py and static/)."""
