"""Scans: the one service that creates, admits, enqueues and cancels scans (see service.py
for the order of its checks), with the records it is asked for and answers with."""

from tavo_platform.scans.requests import (
    Admitted,
    BulkAdmitted,
    Charge,
    Charger,
    GitScanRequest,
    Idempotency,
    UploadScanRequest,
)
from tavo_platform.scans.service import BULK_RECORD, ScanService

__all__ = [
    "BULK_RECORD",
    "Admitted",
    "BulkAdmitted",
    "Charge",
    "Charger",
    "GitScanRequest",
    "Idempotency",
    "ScanService",
    "UploadScanRequest",
]
