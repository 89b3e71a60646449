"""The LLM providers the analysis can ask: Anthropic's messages API (anthropic.py) and any
OpenAI-compatible chat-completions API (openai_compat.py), over one HTTP call with the
retry loop they share (transport.py). Each turns a prompt into a validated `ChatReply`
(analysis/interface.py); analysis/llm.py decides what to ask, registry.py which to offer."""

from tavo_platform.analysis.providers.anthropic import AnthropicProvider
from tavo_platform.analysis.providers.openai_compat import OpenAICompatibleProvider
from tavo_platform.analysis.providers.transport import RetryPolicy

__all__ = ["AnthropicProvider", "OpenAICompatibleProvider", "RetryPolicy"]
