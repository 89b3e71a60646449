"""What every analysis model offers, and what it is given.

    AnalysisError                 base of everything this package raises
     ├── UnknownModel             no model with that id on this server
     └── ProviderError            an LLM provider failed (after its retries)
          └── InvalidOutput       the provider's replies never matched the schema

A model takes a finished scan's findings (`ScanMaterial`) and returns the analysis as plain
JSON-ready data (see builtin.py for its shape). The built-in triage-and-risk model needs
nothing but the findings; LLM models (llm.py) start from its result and refine verdicts and
remediation through a provider (openai_compat.py, anthropic.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field


class AnalysisError(Exception):
    """Base error of the analysis package."""


class UnknownModel(AnalysisError):
    pass


class ProviderError(AnalysisError):
    pass


class InvalidOutput(ProviderError):
    pass


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    kind: Literal["triage", "llm"]
    provider: str
    name: str
    description: str
    capabilities: tuple[str, ...]
    local: bool
    limits: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "provider": self.provider,
            "name": self.name,
            "description": self.description,
            "capabilities": list(self.capabilities),
            "local": self.local,
            "limits": dict(self.limits),
        }


class AnalysisOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fix_first_limit: int = Field(default=20, ge=1, le=500)
    # LLM models: at most this many tokens for the whole analysis (capped by the
    # provider's configured budget), and at most this many findings sent.
    token_budget: int | None = Field(default=None, ge=1)
    max_llm_findings: int | None = Field(default=None, ge=0, le=100_000)


@dataclass(frozen=True, slots=True)
class ScanMaterial:
    scan_id: str
    findings: Sequence[dict[str, Any]]
    # (rule id, OWASP LLM id) of every rule the scan ran: what was checked.
    checked_rules: Sequence[tuple[str, str | None]]


class VerdictCache(Protocol):
    """LLM answers by finding fingerprint, per model: re-analysis costs nothing."""

    async def get_many(
        self, model: str, fingerprints: Sequence[str]
    ) -> dict[str, dict[str, Any]]: ...

    async def put_many(self, model: str, answers: dict[str, dict[str, Any]]) -> None: ...


class AnalysisModel(Protocol):
    @property
    def info(self) -> ModelInfo: ...

    async def analyze(
        self, material: ScanMaterial, options: AnalysisOptions, cache: VerdictCache
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class ChatReply:
    """A provider's answer: the text that should be the JSON verdict, and token usage as
    the provider reported it (None when it did not)."""

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None


class ChatProvider(Protocol):
    """One LLM API. Raises ProviderError when the API keeps failing (after retries) and
    InvalidOutput when its response holds no answer text."""

    async def complete(self, system: str, user: str, max_output_tokens: int) -> ChatReply: ...

    async def aclose(self) -> None: ...
