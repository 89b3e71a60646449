"""Persistence: one interface, implemented with SQLAlchemy over SQLite (default) or PostgreSQL."""
