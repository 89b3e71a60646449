"""The analysis models this server offers: the built-in one, plus one per configured LLM
provider (settings `ai_providers`)."""

from __future__ import annotations

import os

from tavo_platform.analysis.builtin import BUILTIN_MODEL_ID, BuiltinTriageModel
from tavo_platform.analysis.interface import (
    AnalysisError,
    AnalysisModel,
    ChatProvider,
    ModelInfo,
    UnknownModel,
)
from tavo_platform.analysis.llm import LLMTriageModel
from tavo_platform.analysis.providers.anthropic import AnthropicProvider
from tavo_platform.analysis.providers.openai_compat import OpenAICompatibleProvider
from tavo_platform.settings import AIProvider, Settings

DEFAULT_MODEL_ID = BUILTIN_MODEL_ID


def provider_for(config: AIProvider) -> ChatProvider:
    api_key = config.api_key.get_secret_value() if config.api_key is not None else None
    if api_key is None and config.api_key_env:
        api_key = os.environ.get(config.api_key_env)
        if not api_key:
            raise AnalysisError(
                f"AI provider {config.model_id}: environment variable "
                f"{config.api_key_env} is not set"
            )
    if config.kind == "anthropic":
        return AnthropicProvider(config, api_key)
    return OpenAICompatibleProvider(config, api_key)


class ModelRegistry:
    def __init__(self, settings: Settings) -> None:
        self._builtin = BuiltinTriageModel()
        self._llms: dict[str, LLMTriageModel] = {}
        for config in settings.ai_providers:
            model_id = config.model_id
            if model_id == BUILTIN_MODEL_ID or model_id in self._llms:
                raise AnalysisError(f"AI provider model id {model_id!r} is used twice")
            self._llms[model_id] = LLMTriageModel(config, provider_for(config))

    def infos(self) -> list[ModelInfo]:
        return [self._builtin.info, *(model.info for model in self._llms.values())]

    def get(self, model_id: str) -> AnalysisModel:
        if model_id == BUILTIN_MODEL_ID:
            return self._builtin
        model = self._llms.get(model_id)
        if model is None:
            raise UnknownModel(model_id)
        return model

    async def aclose(self) -> None:
        for model in self._llms.values():
            await model.aclose()
