"""Attachments kept under one directory, read back by name."""

from pathlib import Path

ATTACHMENTS = Path("/var/lib/portal/attachments")


def open_attachment(name):
    target = (ATTACHMENTS / name).resolve()
    if not target.is_relative_to(ATTACHMENTS):
        raise PermissionError(name)
    return target.read_bytes()  # tavo-label: safe path-traversal


def open_attachment_lexical(name):
    target = ATTACHMENTS / name
    if not target.is_relative_to(ATTACHMENTS):
        raise PermissionError(name)
    return target.read_bytes()  # tavo-label: vuln path-traversal
