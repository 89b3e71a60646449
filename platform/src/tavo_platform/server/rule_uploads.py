"""Checks an uploaded custom rule file: it must load, and each rule must pass its own examples.

Running a rule's examples executes the uploader's regular expressions and ast-grep rules,
so a catastrophically backtracking pattern (or a crash in a native parser) must not take
the API process down with it: the check runs in a child process
(`python -m tavo_platform.server.rule_uploads`, JSON over stdin/stdout) that is killed
after `CHECK_TIMEOUT_SECONDS`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import weakref
from dataclasses import asdict, dataclass, field
from typing import Any

from tavo_platform.rules.loader import load_rule_text
from tavo_platform.rules.testing import test_rule

CHECK_TIMEOUT_SECONDS = 30.0
CONCURRENT_CHECKS = 2
MAX_REPORTED_ERRORS = 200

_checks_running: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


@dataclass
class RuleProblem:
    rule_id: str | None  # None when the problem concerns the whole file
    message: str


@dataclass
class RuleFileReport:
    rule_ids: list[str] = field(default_factory=list)
    problems: list[RuleProblem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems and bool(self.rule_ids)

    def to_json(self) -> dict[str, Any]:
        return {"rule_ids": self.rule_ids, "problems": [asdict(p) for p in self.problems]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuleFileReport:
        return cls(
            list(data["rule_ids"]),
            [RuleProblem(p["rule_id"], p["message"]) for p in data["problems"]],
        )


class RuleCheckFailed(Exception):
    """The check itself could not finish (timeout or a crashed checker)."""


def check_rule_file(name: str, content: str) -> RuleFileReport:
    """Loads the file as the scan workers will (pack `custom`) and runs every rule's
    positive and negative examples. Runs in the child process."""
    ruleset = load_rule_text(content, name, pack="custom")
    report = RuleFileReport()
    for error in ruleset.errors:
        report.problems.append(RuleProblem(error.rule_id, error.message))
    seen: set[str] = set()
    for rule in ruleset.rules:
        if rule.id in seen:
            report.problems.append(RuleProblem(rule.id, "defined more than once in this file"))
            continue
        seen.add(rule.id)
        report.rule_ids.append(rule.id)
        try:
            failures = [result.describe() for result in test_rule(rule) if not result.passed]
        except Exception as error:  # a rule the engine cannot run at all
            failures = [f"{rule.id}: its examples could not be run: {error}"]
        report.problems.extend(RuleProblem(rule.id, failure) for failure in failures)
    if not ruleset.rules and not ruleset.errors:
        report.problems.append(RuleProblem(None, "the file defines no rules"))
    del report.problems[MAX_REPORTED_ERRORS:]
    return report


def _semaphore() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    semaphore = _checks_running.get(loop)
    if semaphore is None:
        semaphore = _checks_running[loop] = asyncio.Semaphore(CONCURRENT_CHECKS)
    return semaphore


async def check_rule_file_isolated(
    name: str, content: str, timeout: float | None = None
) -> RuleFileReport:
    """`check_rule_file` in a child process, killed if it outlives the timeout."""
    limit = CHECK_TIMEOUT_SECONDS if timeout is None else timeout
    payload = json.dumps({"name": name, "content": content}).encode("utf-8", "surrogatepass")
    async with _semaphore():
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            __name__,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(payload), limit)
        except TimeoutError:
            raise RuleCheckFailed(
                f"checking the rules' examples took longer than {limit:g} seconds "
                "(a regular expression that backtracks catastrophically?)"
            ) from None
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    if process.returncode != 0:
        last_line = (stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        raise RuleCheckFailed(f"the rule checker failed on this file: {last_line[:300]}")
    return RuleFileReport.from_json(json.loads(stdout))


def _main() -> None:
    request = json.loads(sys.stdin.buffer.read())
    report = check_rule_file(request["name"], request["content"])
    sys.stdout.write(json.dumps(report.to_json()))


if __name__ == "__main__":
    _main()
