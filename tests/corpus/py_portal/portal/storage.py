"""Attachments kept under one directory, read back by name."""

import os.path
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


def open_export(name):
    base = "/var/lib/portal/exports"
    path = os.path.realpath(os.path.join(base, name))
    if os.path.commonpath([path, base]) != base:
        raise PermissionError(name)
    with open(path, "rb") as fh:  # tavo-label: safe path-traversal
        return fh.read()
