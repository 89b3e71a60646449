"""The facts the triage works from, for one finding: its file's kind, and what the code
around it says (which function, reached how, what input reaches the flagged code).

The engine works the code facts out from the syntax tree at scan time and stores them with
the finding as `context` (engine/_context.py). Findings without it (regex findings in
non-code files, findings from scans made before the engine recorded it) get what their
snippet shows, marked as such: a snippet is at most three lines, so "unknown" is the honest
answer more often.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tavo_platform.analysis.filecontext import FileKind, file_kind

_REQUEST_IN_SNIPPET = re.compile(
    r"\brequest\.(?:args|form|json|values|data|files|get_json|get_data|cookies|headers|GET|"
    r"POST|body|query_params|path_params|params|query|stream)\b"
    r"|\breq\.(?:body|query|params|headers|cookies|files|file)\b"
)
_LLM_IN_SNIPPET = re.compile(
    r"\.(?:choices|output_text|generations)\b|\b(?:completion|llm_output|model_output|"
    r"llm_response|ai_response|generated_code)\b"
)
_USER_INPUT_IN_SNIPPET = re.compile(r"\binput\s*\(|\bsys\.argv\b|\bprocess\.argv\b")
_CALL_ARGUMENTS = re.compile(r"\(([^()]*)\)")
_LITERAL_ARGUMENT = re.compile(
    r"""^\s*(?:\w+\s*=\s*)?(?:"[^"{}$]*"|'[^'{}$]*'|-?\d+(?:\.\d+)?|True|False|None|true|false|null)\s*$"""
)


@dataclass(frozen=True, slots=True)
class FindingFacts:
    file_kind: FileKind
    function: str | None
    entrypoint: str | None
    untrusted_sources: tuple[str, ...]
    from_parameters: bool
    constant_input: bool | None
    dead_code: bool
    sanitizers: tuple[str, ...]
    # "engine": worked out from the syntax tree at scan time; "snippet": guessed from the
    # snippet; "none": nothing to go on (model files, non-code files).
    source: str

    @property
    def situation(self) -> str:
        """What decides whether two findings of the same code share a root cause."""
        return "|".join(
            (
                ",".join(sorted(self.untrusted_sources)),
                str(self.constant_input),
                str(self.dead_code),
                ",".join(self.sanitizers),
                self.file_kind.value,
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "file_kind": self.file_kind.value,
            "function": self.function,
            "entrypoint": self.entrypoint,
            "untrusted_sources": list(self.untrusted_sources),
            "from_parameters": self.from_parameters,
            "constant_input": self.constant_input,
            "dead_code": self.dead_code,
            "sanitizers": list(self.sanitizers),
            "source": self.source,
        }


def facts_of(finding: dict[str, Any]) -> FindingFacts:
    kind = file_kind(str(finding.get("path", "")))
    context = finding.get("context")
    if isinstance(context, dict):
        return FindingFacts(
            file_kind=kind,
            function=_text_or_none(context.get("function")),
            entrypoint=_text_or_none(context.get("entrypoint")),
            untrusted_sources=tuple(
                str(s) for s in context.get("untrusted_sources") or () if isinstance(s, str)
            ),
            from_parameters=bool(context.get("from_parameters")),
            constant_input=_bool_or_none(context.get("constant_input")),
            dead_code=bool(context.get("dead_code")),
            sanitizers=tuple(str(s) for s in context.get("sanitizers") or () if isinstance(s, str)),
            source="engine",
        )
    snippet = str(finding.get("snippet") or "")
    if finding.get("pack") == "model-artifacts" or not snippet:
        return FindingFacts(kind, None, None, (), False, None, False, (), "none")
    return FindingFacts(
        file_kind=kind,
        function=None,
        entrypoint=None,
        untrusted_sources=_sources_in_snippet(snippet),
        from_parameters=False,
        constant_input=_constant_call_in_snippet(snippet),
        dead_code=False,
        sanitizers=(),
        source="snippet",
    )


def _sources_in_snippet(snippet: str) -> tuple[str, ...]:
    found = []
    if _LLM_IN_SNIPPET.search(snippet):
        found.append("llm_output")
    if _REQUEST_IN_SNIPPET.search(snippet):
        found.append("request")
    if _USER_INPUT_IN_SNIPPET.search(snippet):
        found.append("user_input")
    return tuple(found)


def _constant_call_in_snippet(snippet: str) -> bool | None:
    """True when the first call in the snippet is given only plain literals; None when the
    snippet shows no complete call. Never False: a snippet cannot show where names come
    from."""
    call = _CALL_ARGUMENTS.search(snippet)
    if call is None:
        return None
    arguments = [a for a in _split_arguments(call.group(1)) if a.strip()]
    if arguments and all(_LITERAL_ARGUMENT.match(a) for a in arguments):
        return True
    return None


def _split_arguments(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _bool_or_none(value: object) -> bool | None:
    return value if isinstance(value, bool) else None
