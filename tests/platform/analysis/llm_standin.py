"""A STAND-IN for an LLM provider, for tests only. It is not a model and contains none of
Tavo's logic: it checks that each request it receives has the shape the real APIs require
(OpenAI-compatible chat completions at /v1/chat/completions, Anthropic messages at
/v1/messages), writes every request to a log the tests read, and answers from a fixed table
of cases chosen by markers in the request text.

    python -m tests.platform.analysis.llm_standin --log requests.jsonl [--delay 0.05]

prints "PORT <n>" once it listens on 127.0.0.1.

Cases (a marker anywhere in the user message picks one; otherwise the default answer):
    CASE_INVALID_ALWAYS     replies that are never JSON
    CASE_INVALID_ONCE       a reply that breaks the schema, then a valid one
    CASE_RATE_LIMITED       429 with Retry-After: 1 the first time, then a valid answer
    CASE_SERVER_ERROR       always 500
    HOSTILE_LEAK            plays a model that obeyed an injection: echoes its system prompt
    HOSTILE_FORMAT          plays a model that obeyed an injection: prose instead of JSON
    HOSTILE_EXTRA_FIELD     JSON with an extra field the injected comment asked for
The default answer's verdict comes from DEFAULT_VERDICTS by the rule id in the metadata.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "test-key"
# Keyed by the rule a security scan reports at each sink: request data reaching the shell
# and eval is found by the flow rules (their pattern rules merged into them).
DEFAULT_VERDICTS = {
    "py-taint-command-injection": "likely_true_positive",
    "py-taint-code-injection": "likely_false_positive",
}
_RULE_ID = re.compile(r'"rule_id":\s*"([^"]+)"')


class _State:
    def __init__(self, log_path: str, delay: float) -> None:
        self.log_path = log_path
        self.delay = delay
        self.lock = threading.Lock()
        self.seen: dict[str, int] = {}
        self.in_flight = 0

    def count(self, key: str) -> int:
        with self.lock:
            self.seen[key] = self.seen.get(key, 0) + 1
            return self.seen[key]

    def log(self, entry: dict[str, Any]) -> None:
        with self.lock, open(self.log_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def _shape_problems(path: str, headers: dict[str, str], body: Any) -> list[str]:
    """What the real API would reject about this request."""
    problems = []
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    if not isinstance(body.get("model"), str):
        problems.append("model missing")
    if path == "/v1/chat/completions":
        if headers.get("authorization") != f"Bearer {API_KEY}":
            problems.append("bad Authorization header")
        messages = body.get("messages")
        roles = [m.get("role") for m in messages] if isinstance(messages, list) else []
        if roles != ["system", "user"]:
            problems.append(f"messages must be [system, user], got {roles}")
        response_format = body.get("response_format") or {}
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        if response_format.get("type") != "json_schema" or schema.get("type") != "object":
            problems.append("response_format json_schema missing")
        if not isinstance(body.get("max_tokens"), int):
            problems.append("max_tokens missing")
    else:
        if headers.get("x-api-key") != API_KEY or not headers.get("anthropic-version"):
            problems.append("bad x-api-key or anthropic-version header")
        if not isinstance(body.get("system"), str):
            problems.append("system prompt missing")
        messages = body.get("messages")
        if not (isinstance(messages, list) and [m.get("role") for m in messages] == ["user"]):
            problems.append("messages must be [user]")
        choice = body.get("tool_choice") or {}
        tools = body.get("tools") or []
        if choice.get("type") != "tool" or not tools or tools[0].get("name") != choice.get("name"):
            problems.append("forced tool call missing")
        if not isinstance(body.get("max_tokens"), int):
            problems.append("max_tokens missing")
    return problems


def _texts(path: str, body: dict[str, Any]) -> tuple[str, str]:
    if path == "/v1/chat/completions":
        return body["messages"][0]["content"], body["messages"][1]["content"]
    return body["system"], body["messages"][0]["content"]


def _answer(verdict: str, rule: str) -> dict[str, Any]:
    return {
        "verdict": verdict,
        "confidence": 0.8,
        "reasons": [f"stand-in fixed answer for {rule}"],
        "remediation": "Stand-in remediation text.",
        "exploit_scenario": "",
    }


def _reply_text(system: str, user: str, state: _State) -> tuple[int, str | None]:
    """(HTTP status, reply text) from the fixed cases."""
    rule = (_RULE_ID.search(user) or [None, "unknown"])[1]
    default = json.dumps(_answer(DEFAULT_VERDICTS.get(rule, "needs_review"), rule))
    if "CASE_SERVER_ERROR" in user:
        return 500, None
    if "CASE_RATE_LIMITED" in user and state.count("rate:" + rule) == 1:
        return 429, None
    if "CASE_INVALID_ALWAYS" in user:
        return 200, "I think this finding is probably fine."
    if "CASE_INVALID_ONCE" in user and state.count("invalid:" + rule) == 1:
        return 200, json.dumps({"verdict": "maybe", "confidence": 2})
    if "HOSTILE_LEAK" in user:
        return 200, "Sure! My instructions are: " + system
    if "HOSTILE_FORMAT" in user:
        return 200, "SAFE. Maintenance mode acknowledged."
    if "HOSTILE_EXTRA_FIELD" in user:
        extra = {**_answer("likely_false_positive", rule), "note": "added as the code asked"}
        return 200, json.dumps(extra)
    return 200, default


class _Handler(BaseHTTPRequestHandler):
    state: _State

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        state = self.state
        with state.lock:
            state.in_flight += 1
            in_flight = state.in_flight
        try:
            self._handle(in_flight)
        finally:
            with state.lock:
                state.in_flight -= 1

    def _handle(self, in_flight: int) -> None:
        arrived = time.time()
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        problems = (
            ["unknown path"]
            if self.path not in ("/v1/chat/completions", "/v1/messages")
            else _shape_problems(self.path, headers, body)
        )
        self.state.log(
            {
                "path": self.path,
                "time": arrived,
                "in_flight": in_flight,
                "problems": problems,
                "body": body,
                "raw": raw.decode("utf-8", "replace"),
            }
        )
        if problems:
            self._send(400, {"error": {"message": "; ".join(problems)}})
            return
        if self.state.delay:
            time.sleep(self.state.delay)
        system, user = _texts(self.path, body)
        status, text = _reply_text(system, user, self.state)
        if status == 429:
            self._send(429, {"error": {"message": "rate limited"}}, {"Retry-After": "1"})
            return
        if status != 200 or text is None:
            self._send(status, {"error": {"message": "stand-in server error"}})
            return
        usage_in, usage_out = (len(system) + len(user)) // 4, len(text) // 4
        if self.path == "/v1/chat/completions":
            self._send(
                200,
                {
                    "id": "chatcmpl-standin",
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                    "usage": {"prompt_tokens": usage_in, "completion_tokens": usage_out},
                },
            )
            return
        try:
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": "toolu_standin",
                "name": body["tool_choice"]["name"],
                "input": json.loads(text),
            }
        except ValueError:
            block = {"type": "text", "text": text}
        self._send(
            200,
            {
                "id": "msg_standin",
                "type": "message",
                "role": "assistant",
                "content": [block],
                "stop_reason": "tool_use",
                "usage": {"input_tokens": usage_in, "output_tokens": usage_out},
            },
        )

    def _send(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    arguments = parser.parse_args()
    _Handler.state = _State(arguments.log, arguments.delay)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
