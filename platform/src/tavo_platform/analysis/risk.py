"""The risk score of a finding, 0-100, with every factor that went into it shown.

risk = 100 x base x data flow x file context x exposure, where

- base is the weighted mean of three properties of the rule: severity (weight 40), how
  exploitable the kind of sink is (40) and the rule's confidence (20);
- data flow is how strongly untrusted input was seen reaching the flagged code inside the
  same function (request data or an LLM's reply: x1.0; only constants: x0.15);
- file context discounts code that does not ship (tests, docs, examples);
- exposure is how the code is reached (a web handler or an LLM tool: x1.0; dead code: x0.1).

Each factor reports its value, its weight or multiplier, the points it moved the score and
a sentence saying why, so a reader can check the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tavo_platform.analysis.facts import FindingFacts
from tavo_platform.analysis.filecontext import FileKind

SEVERITY_VALUE = {"CRITICAL": 1.0, "HIGH": 0.8, "MEDIUM": 0.55, "LOW": 0.3, "INFO": 0.1}
CONFIDENCE_VALUE = {"HIGH": 1.0, "MEDIUM": 0.75, "LOW": 0.45}
BASE_WEIGHTS = {"severity": 40, "exploitability": 40, "confidence": 20}

# How bad the sink is once reached, by rule category, and what an attacker gets.
EXPLOITABILITY: dict[str, tuple[float, str]] = {
    "code-injection": (1.0, "runs attacker-chosen code in the process"),
    "command-injection": (1.0, "runs attacker-chosen shell commands"),
    "insecure-deserialization": (0.95, "deserialising attacker data can run code"),
    "unsafe-deserialization": (0.95, "loading the model file runs the code it carries"),
    "improper-output-handling": (0.9, "model output reaches an interpreter, shell or page"),
    "sql-injection": (0.9, "attacker-chosen SQL reads or changes the database"),
    "hardcoded-secret": (0.9, "anyone with the code holds the credential"),
    "ssrf": (0.8, "the server fetches attacker-chosen URLs, internal ones included"),
    "excessive-agency": (0.8, "a model can take actions with the application's rights"),
    "model-poisoning": (0.75, "a tampered model can run code or misbehave on trigger"),
    "prompt-injection": (0.7, "input can override the model's instructions"),
    "supply-chain": (0.65, "third-party code or models run unpinned or unchecked"),
    "vector-embedding-weakness": (0.65, "retrieval can cross tenants or load unsafe data"),
    "tls-verification-disabled": (0.6, "traffic can be intercepted and altered"),
    "sensitive-information-disclosure": (0.6, "sensitive data reaches a model or its logs"),
    "system-prompt-leakage": (0.6, "secrets or rules in a prompt can be extracted"),
    "debug-enabled": (0.55, "debug pages leak internals and may run code"),
    "data-poisoning": (0.5, "untrusted data shapes what the model learns or retrieves"),
    "unbounded-consumption": (0.45, "requests can run up cost or exhaust resources"),
    "misinformation": (0.35, "unvalidated model output is trusted"),
    "weak-cryptography": (0.3, "a broken hash is easier to forge or reverse"),
    "path-traversal": (0.8, "files outside the intended directory are read or written"),
    "xss": (0.7, "script runs in other users' browsers"),
    "mass-assignment": (0.7, "callers set fields or reach objects they should not"),
    "xml-external-entities": (0.6, "XML input reads local files or exhausts memory"),
    "csrf": (0.55, "other sites submit requests with the user's session"),
    "cleartext-transmission": (0.55, "credentials and data cross the network unencrypted"),
    "insecure-cookie": (0.45, "session cookies leak over HTTP or to scripts"),
    "incorrect-permissions": (0.5, "other local users can change trusted files"),
    "insecure-temporary-file": (0.4, "another local user can race for the file"),
    "broken-access-control": (0.6, "an access check can disappear at run time"),
    "exposed-service": (0.35, "the service is reachable from every network"),
    "input-validation": (0.35, "unchecked values bypass comparisons"),
}
DEFAULT_EXPLOITABILITY = (0.5, "impact depends on how the code is used")

# Categories whose danger does not depend on where a value comes from: a committed key, a
# disabled certificate check or a model file is a problem whatever flows where.
FLOW_INDEPENDENT_CATEGORIES = frozenset(
    {
        "hardcoded-secret",
        "tls-verification-disabled",
        "debug-enabled",
        "weak-cryptography",
        "unsafe-deserialization",
        "cleartext-transmission",
        "insecure-cookie",
        "csrf",
        "incorrect-permissions",
        "exposed-service",
    }
)
# Categories that are about a value reaching a sink: only constants reaching it means the
# finding cannot be exploited. The remaining categories flag how code is configured (no
# output limit, an unpinned model, a dangerous tool): untrusted input reaching them makes
# them worse, constants do not make them harmless.
INJECTION_CATEGORIES = frozenset(
    {
        "code-injection",
        "command-injection",
        "sql-injection",
        "ssrf",
        "insecure-deserialization",
        "improper-output-handling",
        "prompt-injection",
    }
)
SECRET_CATEGORIES = frozenset({"hardcoded-secret"})

# Which sanitising calls make which sinks safe. No call makes a prompt safe from injection,
# and none makes deserialising untrusted data safe.
_NUMERIC = frozenset(
    {"int", "float", "bool", "Decimal", "UUID", "uuid.UUID", "parseInt", "parseFloat", "Number"}
)
_HTML = frozenset(
    {
        "html.escape",
        "markupsafe.escape",
        "cgi.escape",
        "escape",
        "bleach.clean",
        "DOMPurify.sanitize",
        "sanitizeHtml",
        "escapeHtml",
        "validator.escape",
    }
)
SANITIZERS_PROTECTING = {
    "command-injection": _NUMERIC | {"shlex.quote", "pipes.quote", "shlex.join"},
    "code-injection": _NUMERIC,
    "sql-injection": _NUMERIC,
    "ssrf": _NUMERIC,
    "improper-output-handling": _NUMERIC | _HTML,
}


def protecting_sanitizers(category: str, facts: FindingFacts) -> list[str]:
    """The sanitisers applied on the way to the sink that protect this kind of sink."""
    protecting = SANITIZERS_PROTECTING.get(category, frozenset())
    return [name for name in facts.sanitizers if name in protecting]


FILE_MULTIPLIER = {
    FileKind.PRODUCTION: (1.0, "production code"),
    FileKind.TOOLING: (0.7, "developer tooling (scripts, migrations, benchmarks)"),
    FileKind.VENDORED: (0.6, "vendored third-party code: fix by updating it"),
    FileKind.EXAMPLE: (0.4, "example or demo code"),
    FileKind.DOCS: (0.3, "documentation"),
    FileKind.TEST: (0.25, "test code, not shipped"),
}
# A committed credential leaks wherever it sits; tests and docs mostly hold fake ones.
SECRET_FILE_MULTIPLIER = {
    FileKind.PRODUCTION: 1.0,
    FileKind.TOOLING: 1.0,
    FileKind.VENDORED: 0.8,
    FileKind.EXAMPLE: 0.6,
    FileKind.DOCS: 0.6,
    FileKind.TEST: 0.6,
}
EXPOSURE_MULTIPLIER = {
    "web_handler": (1.0, "in a web request handler: reachable over the network"),
    "llm_tool": (1.0, "in a tool an LLM agent calls with arguments the model chooses"),
    None: (0.85, "in library or application code (no entry point seen)"),
    "cli": (0.75, "in a command-line entry point: run by its operator"),
}
DEAD_CODE_MULTIPLIER = 0.1


@dataclass(frozen=True, slots=True)
class Factor:
    name: str
    value: str
    effect: str  # "weight" (part of the base) or "multiplier"
    amount: float  # the weight, or the multiplier
    points: float  # how far this factor moved the final score
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "factor": self.name,
            "value": self.value,
            "effect": self.effect,
            ("weight" if self.effect == "weight" else "multiplier"): self.amount,
            "points": round(self.points, 1),
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class Risk:
    score: int
    factors: tuple[Factor, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "factors": [f.to_dict() for f in self.factors]}


def data_flow(category: str, rule_id: str, facts: FindingFacts) -> tuple[float, str, str]:
    """(multiplier, value, explanation) of the data-flow factor."""
    sources = set(facts.untrusted_sources)
    if category in FLOW_INDEPENDENT_CATEGORIES:
        return 1.0, "not applicable", "the risk does not depend on where input comes from"
    if sources & {"request", "handler_parameter"}:
        return 1.0, "request data", "web request data reaches it in the same function"
    if "llm_output" in sources:
        return 1.0, "llm output", "an LLM's reply (attacker-steerable) reaches it"
    injection = category in INJECTION_CATEGORIES
    cleaned = protecting_sanitizers(category, facts)
    if cleaned and not sources & {"request", "handler_parameter", "llm_output", "user_input"}:
        return 0.2, "sanitised", "untrusted input passes " + ", ".join(cleaned) + "() first"
    if facts.constant_input and injection:
        return 0.15, "constants only", "only literals and constants reach it"
    if "user_input" in sources:
        return 0.75, "command-line input", "command-line or console input reaches it"
    if "request" in rule_id or "handler-param" in rule_id:
        # The rule itself only matches request data flowing into the sink.
        return 0.9, "request data (by rule)", "the rule matches request data reaching it"
    if not injection:
        return (
            0.8,
            "secondary",
            "the rule flags how the code is configured; no untrusted input seen",
        )
    if facts.from_parameters:
        return 0.7, "function parameter", "a parameter reaches it: its callers decide"
    if facts.source == "none":
        return 0.6, "unknown", "no code context to follow"
    return 0.6, "unknown", "no untrusted input seen reaching it in the same function"


def score_risk(finding: dict[str, Any], facts: FindingFacts) -> Risk:
    severity = str(finding.get("severity", "MEDIUM")).upper()
    confidence = str(finding.get("confidence", "MEDIUM")).upper()
    category = str(finding.get("category", ""))
    rule_id = str(finding.get("rule_id", ""))
    exploitability, impact = EXPLOITABILITY.get(category, DEFAULT_EXPLOITABILITY)
    parts = [
        ("severity", severity, SEVERITY_VALUE.get(severity, 0.5), f"rule severity {severity}"),
        ("exploitability", category or "unknown", exploitability, impact),
        (
            "confidence",
            confidence,
            CONFIDENCE_VALUE.get(confidence, 0.6),
            f"rule confidence {confidence}",
        ),
    ]
    total_weight = sum(BASE_WEIGHTS.values())
    factors = [
        Factor(
            name,
            value,
            "weight",
            BASE_WEIGHTS[name],
            100 * BASE_WEIGHTS[name] * amount / total_weight,
            explanation,
        )
        for name, value, amount, explanation in parts
    ]
    score = sum(f.points for f in factors)
    for name, multiplier, value, explanation in _multipliers(category, rule_id, facts):
        before = score
        score *= multiplier
        factors.append(Factor(name, value, "multiplier", multiplier, score - before, explanation))
    return Risk(max(0, min(100, round(score))), tuple(factors))


def _multipliers(
    category: str, rule_id: str, facts: FindingFacts
) -> list[tuple[str, float, str, str]]:
    flow, flow_value, flow_why = data_flow(category, rule_id, facts)
    if category in SECRET_CATEGORIES:
        file_multiplier = SECRET_FILE_MULTIPLIER[facts.file_kind]
        file_why = f"{FILE_MULTIPLIER[facts.file_kind][1]}; a committed credential leaks anyway"
    else:
        file_multiplier, file_why = FILE_MULTIPLIER[facts.file_kind]
    if facts.dead_code:
        exposure, exposure_value, exposure_why = (
            DEAD_CODE_MULTIPLIER,
            "dead code",
            "unreachable (under a false condition or after a return)",
        )
    elif category in FLOW_INDEPENDENT_CATEGORIES:
        exposure, exposure_value, exposure_why = 1.0, "not applicable", "exposed wherever it is"
    else:
        exposure, exposure_why = EXPOSURE_MULTIPLIER.get(
            facts.entrypoint, EXPOSURE_MULTIPLIER[None]
        )
        exposure_value = facts.entrypoint or "internal"
    return [
        ("untrusted_input", flow, flow_value, flow_why),
        ("file_context", file_multiplier, facts.file_kind.value, file_why),
        ("exposure", exposure, exposure_value, exposure_why),
    ]
