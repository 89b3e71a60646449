"""Scan execution: an interface, an in-process pool (embedded default), Celery (scale-out)."""
