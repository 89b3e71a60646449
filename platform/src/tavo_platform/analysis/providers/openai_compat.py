"""Any OpenAI-compatible chat-completions API: OpenAI, vLLM, Ollama, llama.cpp's server,
LiteLLM and the like. Structured output is asked for with `response_format` (a strict JSON
schema by default; `json_object` or nothing for servers without schema support: the answer
is validated here either way)."""

from __future__ import annotations

from typing import Any

import httpx

from tavo_platform.analysis.interface import ChatReply, InvalidOutput
from tavo_platform.analysis.prompts import SCHEMA_NAME, VERDICT_SCHEMA
from tavo_platform.analysis.providers.transport import RetryPolicy, post_json
from tavo_platform.settings import AIProvider

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAICompatibleProvider:
    def __init__(
        self, config: AIProvider, api_key: str | None, client: httpx.AsyncClient | None = None
    ) -> None:
        self._config = config
        self._url = (config.base_url or DEFAULT_BASE_URL).rstrip("/") + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.AsyncClient()
        self._policy = RetryPolicy(
            config.max_retries, config.max_retry_wait_seconds, config.timeout_seconds
        )

    def request_body(self, system: str, user: str, max_output_tokens: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._config.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "temperature": 0,
            "max_tokens": max_output_tokens,
        }
        if self._config.response_format == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": VERDICT_SCHEMA},
            }
        elif self._config.response_format == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    async def complete(self, system: str, user: str, max_output_tokens: int) -> ChatReply:
        data = await post_json(
            self._client,
            self._url,
            headers=self._headers,
            body=self.request_body(system, user, max_output_tokens),
            policy=self._policy,
        )
        usage = data.get("usage")
        if not isinstance(usage, dict):
            usage = {}
        try:
            message = data["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            raise InvalidOutput("the provider's response has no message") from None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            refused = isinstance(message, dict) and message.get("refusal")
            raise InvalidOutput("the model refused" if refused else "the reply has no text")
        return ChatReply(
            text=content,
            input_tokens=_int(usage.get("prompt_tokens")),
            output_tokens=_int(usage.get("completion_tokens")),
        )

    async def aclose(self) -> None:
        await self._client.aclose()


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and value >= 0 else None
