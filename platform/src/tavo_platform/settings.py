"""Server settings: environment variables (TAVO_*), then an optional TOML config file.

Grouped by concern (server, store, jobs, limits, analysis) as mixins of one flat
`Settings`; every setting is documented in docs/configuration.md.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tavo_platform.tiers import DEFAULT_TIERS, TierLimits

DEFAULT_DATA_DIR = Path(".tavo-data")


class AIProvider(BaseModel):
    """An LLM the analysis may use (docs/configuration.md, "AI analysis providers")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # openai: any OpenAI-compatible chat-completions API (OpenAI, vLLM, Ollama, llama.cpp
    # server...); anthropic: Anthropic's messages API.
    kind: Literal["openai", "anthropic"]
    model: str = Field(min_length=1, max_length=200)
    # The id clients pass as `model`; defaults to "<kind>:<model>".
    id: str | None = Field(default=None, min_length=1, max_length=200)
    base_url: str | None = None  # default: the vendor's public API
    api_key: SecretStr | None = None
    api_key_env: str | None = None  # or: the name of an environment variable holding it
    local: bool = False  # shown in the model list: true for a server on your own hardware
    max_concurrency: int = Field(default=4, ge=1, le=256)
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=4, ge=0, le=20)
    max_retry_wait_seconds: float = Field(default=60.0, gt=0)
    invalid_output_retries: int = Field(default=2, ge=0, le=10)
    token_budget: int = Field(default=200_000, ge=1)  # per analysis
    max_output_tokens: int = Field(default=700, ge=64, le=32_000)
    max_findings: int = Field(default=200, ge=0)  # per analysis
    # How structured output is asked of an OpenAI-compatible server.
    response_format: Literal["json_schema", "json_object", "none"] = "json_schema"

    @property
    def model_id(self) -> str:
        return self.id or f"{self.kind}:{self.model}"


class ServerSettings(BaseModel):
    """The HTTP server: where it listens, TLS, slow clients, responses, the dashboard."""

    host: str = "127.0.0.1"
    port: int = Field(default=8700, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    tls_certificate: Path | None = None
    tls_key: Path | None = None
    # Slow clients (slowloris): the request head must arrive within this many seconds, and
    # a request body may not stall longer than the other (answered 408).
    request_header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    request_body_idle_seconds: float = Field(default=15.0, gt=0, le=600)
    gzip_min_bytes: int = Field(default=1024, ge=0)
    log_level: str = "info"
    # GET /metrics needs an admin key unless this opens it (to a scraper on a private network).
    metrics_public: bool = False
    # The web dashboard at /ui/ (cookie sessions signed with session_secret, or with a
    # secret kept in data_dir when unset; every API process must see the same one).
    dashboard: bool = True
    session_secret: SecretStr | None = None
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)


class StoreSettings(BaseModel):
    """Where state lives: the data directory, the database, Redis, the secrets' keys."""

    data_dir: Path = DEFAULT_DATA_DIR
    # sqlite+aiosqlite:///<data_dir>/tavo.db unless set.
    database_url: str | None = None
    # PostgreSQL connections each process keeps (API or worker); requests queue for one.
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # Shared rate-limit store (redis://host:port/db); in memory when unset.
    redis_url: str | None = None
    # Fernet keys for secrets stored encrypted (webhook secrets, repository credentials):
    # the first encrypts, all decrypt (rotation). Unset: one generated into the data dir.
    secret_keys: list[str] = []

    @field_validator("secret_keys")
    @classmethod
    def _fernet_keys(cls, value: list[str]) -> list[str]:
        from cryptography.fernet import Fernet

        for key in value:
            try:
                Fernet(key.encode("ascii"))
            except (ValueError, UnicodeEncodeError):
                raise ValueError(
                    "each secret key must be a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'tavo.db').resolve()}"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"


class JobsSettings(BaseModel):
    """Running scans and deliveries: the queue, scanner tasks and leases, clones (and the
    SSRF policy of what they may fetch), webhook deliveries."""

    # Celery broker (redis://… or amqp://…): scans then run on `tavo worker` processes
    # instead of in the API process.
    queue_url: str | None = None
    # The broker queue's name: deployments sharing one broker keep their scans apart.
    queue_name: str = Field(default="tavo-scans", min_length=1, max_length=200)
    # A scan still queued this long after it was handed to the broker is handed over again
    # if its message may be gone (a broker that keeps no data restarted): only while the
    # broker's queue holds fewer messages than there are scans waiting for a worker, and only
    # as many as are missing, so a mere backlog is never sent twice; duplicates are harmless.
    queue_resend_seconds: float = Field(default=60.0, gt=0)
    # Scans run by this many scanner tasks per API process.
    scan_concurrency: int = Field(default=2, ge=0, le=64)
    scan_lease_seconds: float = Field(default=30.0, gt=0)
    # A scan claimed this many times without finishing (its worker died each time) is
    # failed with that reason instead of being tried again.
    scan_max_attempts: int = Field(default=3, ge=1, le=100)
    clone_timeout_seconds: float = Field(default=120.0, gt=0)
    clone_max_bytes: int = Field(default=500 * 1024 * 1024, gt=0)
    # Hosts or CIDRs that repository URLs may point to although they are loopback/private,
    # and the directories file:// URLs may point into (both empty by default: SSRF
    # protection). fetch_allow_file_urls is the older, coarser switch: every directory.
    fetch_allow_hosts: list[str] = []
    fetch_file_roots: list[Path] = []
    fetch_allow_file_urls: bool = False
    # Webhook deliveries: a failed one is retried after base * 2^(attempt-1) seconds (at
    # most an hour), up to this many attempts in all.
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1, le=30)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)

    @property
    def file_url_roots(self) -> tuple[Path, ...]:
        if self.fetch_allow_file_urls:
            return (Path("/"),)
        return tuple(root.resolve() for root in self.fetch_file_roots)


class LimitsSettings(BaseModel):
    """What a request may cost: the tiers' rate limits and the size of bodies and uploads."""

    tiers: dict[str, TierLimits] = Field(default_factory=lambda: dict(DEFAULT_TIERS))
    max_request_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    max_upload_files: int = Field(default=50_000, gt=0)
    max_upload_unpacked_bytes: int = Field(default=500 * 1024 * 1024, gt=0)

    @field_validator("tiers")
    @classmethod
    def _builtin_tiers_present(cls, value: dict[str, TierLimits]) -> dict[str, TierLimits]:
        return {**DEFAULT_TIERS, **value}


class AnalysisSettings(BaseModel):
    """AI analysis: analyses run at once per API process, and the LLM providers offered
    besides the built-in model (a JSON list in TAVO_AI_PROVIDERS)."""

    ai_analysis_concurrency: int = Field(default=2, ge=1, le=64)
    ai_providers: list[AIProvider] = []
    # Largest model file POST /api/v1/ai/analyze inspects (also capped by max_upload_bytes).
    ai_max_model_bytes: int = Field(default=100 * 1024 * 1024, gt=0)


# Settings groups, by concern. Each is a mixin of the one flat Settings (not a nested
# model), so every setting keeps its name and its environment variable (TAVO_<NAME>).
SETTINGS_GROUPS: tuple[type[BaseModel], ...] = (
    ServerSettings,
    StoreSettings,
    JobsSettings,
    LimitsSettings,
    AnalysisSettings,
)


class Settings(
    ServerSettings, StoreSettings, JobsSettings, LimitsSettings, AnalysisSettings, BaseSettings
):
    """Every setting, read from TAVO_* environment variables, then the TOML file named by
    TAVO_CONFIG; grouped by concern in the mixins above."""

    model_config = SettingsConfigDict(env_prefix="TAVO_", extra="forbid", frozen=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the file named by TAVO_CONFIG (a `[tavo]` table, or top-level keys)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("TAVO_CONFIG")
        if not path:
            return {}
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
        return dict(document.get("tavo", document))


def load_settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
