"""Precision controls applied to every file's findings (docs/rules.md, "Precision").

- Test code (`tests/`, `test_*.py`, `*_test.py`, `*.spec.ts`, `*.test.js`, `__tests__/`,
  fixtures, conftest.py): findings are kept at LOW at most and tagged `test-code`, so a
  deliberately vulnerable test fixture does not read like a production hole.
- Round-trips (`pickle.loads(pickle.dumps(x))`) deserialise what the process itself just
  serialised: not reported.
- SQL, shell commands and code for `eval`-like calls built only from what carries no
  outside text (literals, module constants, numbers, choices among literals, values a
  check validated before use: engine/_context.py, engine/_context_guards.py) are no
  injection. Constant SQL, argument lists and os.system-style commands are not reported; a
  constant command run with `shell=True` or sent to a remote shell (paramiko's
  exec_command), and a constant Python string run as code (eval/exec), stay at LOW, tagged
  `constant-input`: nothing outside reaches them today, but a reviewer still wants to know
  (one later edit that splices a value in makes them injections). Where outside text does
  reach the call, but only through a sanitiser for the sink (`shlex.quote`) or after a
  check that validated it, the code already does what the finding would ask: not reported.
  HTML pattern findings (`mark_safe(f"<b>{escape(name)}</b>")`) likewise, when every
  outside value went through an HTML escaper (constant HTML stays: "autoescape off" is
  about configuration, not data).
  Rules about shell wildcards (CWE-155) are exempt: a constant `tar czf x.tgz *` is their
  very subject. Agent tools that run a program or code (excessive agency) are treated as
  shell commands: a command fixed in code, or built only from tool arguments the tool's
  schema admits as enum values or numbers, is the narrow tool those rules ask for.
- Hashes created with `usedforsecurity=False` say they are not security uses: not reported.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from pathlib import PurePosixPath

from tavo_platform.engine._context import contexts_for
from tavo_platform.engine._findings import Finding, Severity
from tavo_platform.engine._languages import Language

TEST_CODE_TAG = "test-code"
CONSTANT_INPUT_TAG = "constant-input"
_TEST_DIRECTORIES = frozenset({"tests", "test", "__tests__", "__mocks__", "fixtures", "testdata"})
_TEST_FILE = re.compile(
    r"^(test_.*\.py|.*_test\.py|conftest\.py|.*\.(spec|test)\.(js|jsx|ts|tsx|mjs|cjs|mts|cts))$"
)
_ROUND_TRIP = re.compile(
    r"\b(pickle|cPickle|_pickle|dill|cloudpickle|marshal|jsonpickle)\.(loads|decode)\(\s*"
    r"(pickle|cPickle|_pickle|dill|cloudpickle|marshal|jsonpickle)\.(dumps|encode)\("
)
_NOT_FOR_SECURITY = re.compile(r"usedforsecurity\s*=\s*False")
# A command that goes through a shell even when its text is constant: shell=True, or a
# remote host's shell (paramiko's exec_command).
_THROUGH_SHELL = re.compile(r"shell\s*=\s*True|shell\s*:\s*true|\.exec_command\s*\(")
_CONSTANT_CHECKED = frozenset({"sql-injection", "command-injection", "code-injection", "xss"})
# HTML findings are cleared only by an escaper on the outside text: a rule such as
# "autoescape turned off" has constant arguments and is still right.
_SANITISED_ONLY = frozenset({"xss"})
# Code injection is about the code an interpreter runs: only there does constant input
# clear a finding (a rule about, say, a listening config server flags no data at all).
_EVALUATOR = re.compile(
    r"(?:^|[^\w.])(?:new\s+)?(?:[\w.]+\.)?(?:eval|exec|Function|compile|execScript"
    r"|runInNewContext|runInThisContext|runInContext|setTimeout|setInterval)\s*\("
)
# An agent tool running a program or code is excessive agency for what the model can put
# in the command; a command fixed in code, or made only of what the tool's schema admits
# as enum values or numbers, is the narrow tool such findings ask for.
_AGENCY = "excessive-agency"
_RUNS_PROGRAM = re.compile(
    r"(?:^|[^\w.])(?:[\w.]+\.)?(?:exec|execSync|execFile|execFileSync|spawn|spawnSync|execa"
    r"|execaCommand|execaCommandSync|eval|Function|system|popen|Popen|run|call|check_call"
    r"|check_output)\s*\("
)
# A wildcard expanded by the shell (CWE-155) is dangerous in a constant command too.
_WILDCARD_CWE = "CWE-155"
_DESERIALIZATION = frozenset(
    {"deserialization", "unsafe-deserialization", "insecure-deserialization"}
)
_HASHES = frozenset({"weak-cryptography", "weak-hash"})


@lru_cache(maxsize=4096)  # asked again for each finding of a file
def is_test_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(_TEST_FILE.match(parts[-1])) or any(p in _TEST_DIRECTORIES for p in parts[:-1])


def refine(findings: list[Finding], path: str, text: str, language: Language) -> list[Finding]:
    if not findings:
        return findings
    kept = [f for f in findings if not _never_harmful(f)]
    kept = _constant_commands(kept, text, language)
    if is_test_path(path):
        kept = [as_test_code(f) for f in kept]
    return kept


def _never_harmful(finding: Finding) -> bool:
    if finding.category in _DESERIALIZATION and _ROUND_TRIP.search(finding.snippet):
        return True
    return finding.category in _HASHES and bool(_NOT_FOR_SECURITY.search(finding.snippet))


def _constant_commands(findings: list[Finding], text: str, language: Language) -> list[Finding]:
    """Pattern findings on SQL/shell calls whose arguments are all constants."""
    checked = [
        i
        for i, f in enumerate(findings)
        if not f.trace
        and (
            (
                f.category in _CONSTANT_CHECKED
                and _WILDCARD_CWE not in f.cwe
                and (f.category != "code-injection" or _EVALUATOR.search(f.snippet))
            )
            or (f.category == _AGENCY and _RUNS_PROGRAM.search(f.snippet))
        )
    ]
    if not checked or not language.is_structural:
        return findings
    contexts = contexts_for(
        text,
        language,
        [findings[i].span for i in checked],
        [findings[i].category for i in checked],
    )
    out = list(findings)
    dropped: set[int] = set()
    for index, context in zip(checked, contexts, strict=True):
        if context is None or context.constant_input is not True:
            continue
        finding = findings[index]
        if finding.category in _SANITISED_ONLY and not context.sanitizers:
            continue
        if context.sanitizers:
            # Outside text reaches the call only through a sanitiser for this sink or a
            # check that validated it: the code already does what the finding would ask.
            dropped.add(index)
        elif (finding.category == "code-injection" and language is Language.PYTHON) or (
            finding.category in ("command-injection", _AGENCY)
            and _THROUGH_SHELL.search(finding.snippet)
        ):
            out[index] = as_constant_input(finding)
        else:
            dropped.add(index)
    return [f for i, f in enumerate(out) if i not in dropped]


def as_constant_input(finding: Finding) -> Finding:
    capped = _at_most(finding, Severity.LOW)
    return replace(capped, tags=tuple(dict.fromkeys((*capped.tags, CONSTANT_INPUT_TAG))))


def as_test_code(finding: Finding) -> Finding:
    capped = _at_most(finding, Severity.LOW)
    return replace(capped, tags=tuple(dict.fromkeys((*capped.tags, TEST_CODE_TAG))))


def _at_most(finding: Finding, ceiling: Severity) -> Finding:
    if finding.severity.rank >= ceiling.rank:
        return finding
    return replace(finding, severity=ceiling)
