"""Anthropic's messages API. Structured output through a forced tool call: the model must
call the one tool, whose input schema is the verdict schema; the tool input is then
validated here like any other answer."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tavo_platform.analysis.interface import ChatReply, InvalidOutput
from tavo_platform.analysis.prompts import SCHEMA_NAME, VERDICT_SCHEMA
from tavo_platform.analysis.providers.transport import RetryPolicy, post_json
from tavo_platform.settings import AIProvider

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"


class AnthropicProvider:
    def __init__(
        self, config: AIProvider, api_key: str | None, client: httpx.AsyncClient | None = None
    ) -> None:
        self._config = config
        self._url = (config.base_url or DEFAULT_BASE_URL).rstrip("/") + "/v1/messages"
        self._headers = {"anthropic-version": API_VERSION}
        if api_key:
            self._headers["x-api-key"] = api_key
        self._client = client or httpx.AsyncClient()
        self._policy = RetryPolicy(
            config.max_retries, config.max_retry_wait_seconds, config.timeout_seconds
        )

    def request_body(self, system: str, user: str, max_output_tokens: int) -> dict[str, Any]:
        return {
            "model": self._config.model,
            "max_tokens": max_output_tokens,
            "temperature": 0,
            "system": system,
            "messages": [{"role": "user", "content": user}],
            "tools": [
                {
                    "name": SCHEMA_NAME,
                    "description": "Record the triage verdict for the finding.",
                    "input_schema": VERDICT_SCHEMA,
                }
            ],
            "tool_choice": {"type": "tool", "name": SCHEMA_NAME},
        }

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
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise InvalidOutput("the provider's response has no content")
        text = None
        for block in blocks:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                text = json.dumps(block.get("input"))
                break
        if text is None:
            # No tool call: whatever text came back is checked (and most likely rejected).
            text = "".join(
                str(b.get("text", ""))
                for b in blocks
                if isinstance(b, dict) and b.get("type") == "text"
            )
        return ChatReply(
            text=text,
            input_tokens=_int(usage.get("input_tokens")),
            output_tokens=_int(usage.get("output_tokens")),
        )

    async def aclose(self) -> None:
        await self._client.aclose()


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and value >= 0 else None
