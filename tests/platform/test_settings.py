"""Settings are grouped by concern (server, store, jobs, limits, analysis) without changing a
name: every setting is in exactly one group, keeps its TAVO_<NAME> environment variable, its
default and its checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from tavo_platform.settings import SETTINGS_GROUPS, Settings

# Every setting as it was named before the grouping (a rename breaks deployments).
NAMES = {
    "ai_analysis_concurrency", "ai_max_model_bytes", "ai_providers", "clone_max_bytes",
    "clone_timeout_seconds", "dashboard", "data_dir", "database_pool_size", "database_url",
    "fetch_allow_file_urls", "fetch_allow_hosts", "fetch_file_roots", "gzip_min_bytes", "host",
    "log_level", "max_request_bytes", "max_upload_bytes", "max_upload_files",
    "max_upload_unpacked_bytes", "metrics_public", "port", "queue_name", "queue_resend_seconds",
    "queue_url", "redis_url", "request_body_idle_seconds", "request_header_timeout_seconds",
    "scan_concurrency", "scan_lease_seconds", "scan_max_attempts", "secret_keys",
    "session_hours", "session_secret", "tiers", "tls_certificate", "tls_key",
    "webhook_max_attempts", "webhook_retry_base_seconds", "webhook_timeout_seconds", "workers",
}


def test_each_setting_is_in_exactly_one_group() -> None:
    grouped = [name for group in SETTINGS_GROUPS for name in group.model_fields]
    assert len(grouped) == len(set(grouped))
    assert set(grouped) == set(Settings.model_fields) >= NAMES


def test_names_and_environment_variables_are_unchanged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TAVO_CONFIG", raising=False)
    monkeypatch.setenv("TAVO_PORT", "9123")
    monkeypatch.setenv("TAVO_QUEUE_NAME", "elsewhere")
    monkeypatch.setenv("TAVO_MAX_UPLOAD_FILES", "7")
    monkeypatch.setenv("TAVO_AI_MAX_MODEL_BYTES", "1024")
    monkeypatch.setenv("TAVO_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert (settings.port, settings.queue_name) == (9123, "elsewhere")
    assert (settings.max_upload_files, settings.ai_max_model_bytes) == (7, 1024)
    assert settings.uploads_dir == tmp_path / "uploads"
    assert settings.resolved_database_url.endswith("/tavo.db")
    assert "free" in settings.tiers  # the built-in tiers are always there


def test_checks_still_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAVO_CONFIG", raising=False)
    with pytest.raises(ValidationError):
        Settings(port=70_000)
    with pytest.raises(ValidationError, match="Fernet key"):
        Settings(secret_keys=["not-a-key"])
    with pytest.raises(ValidationError):
        Settings(no_such_setting=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(port=8000).port = 1  # type: ignore[misc]
