"""An LLM as the analysis model: the built-in analysis first, then the LLM's verdict and
remediation for the findings that matter most, within limits.

- Which findings: one per cluster (its riskiest member; the others inherit the answer),
  riskiest first, at most `max_findings` (the provider's setting, lowered per request by
  `max_llm_findings`).
- Cost: a token budget per analysis. Each request reserves an estimate (prompt length / 3.5
  plus the output limit) before it is sent and is charged what the provider reports after;
  a request that would overrun the budget is not sent, and its finding is reported as
  skipped.
- Re-analysis costs nothing: answers are cached by (model, prompt version, finding
  fingerprint), and the fingerprint follows the matched code, not line numbers.
- Concurrency is bounded per provider (shared by all analyses of the process); each
  request has a timeout and the HTTP retries of transport.py. After several provider
  failures in a row the rest of the findings are not sent.
- An answer that is not valid (not JSON, not the schema, or leaking the instructions) is
  asked for again with a note saying what was wrong, then reported. It never replaces the
  built-in verdict.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tavo_platform.analysis.builtin import BUILTIN_INFO, Assessment, assess, report
from tavo_platform.analysis.clusters import find_clusters
from tavo_platform.analysis.interface import (
    AnalysisOptions,
    ChatProvider,
    InvalidOutput,
    ModelInfo,
    ProviderError,
    ScanMaterial,
    VerdictCache,
)
from tavo_platform.analysis.prompts import PROMPT_VERSION, LLMAnswer, PromptBuilder
from tavo_platform.analysis.triage import Triage, Verdict
from tavo_platform.settings import AIProvider

CHARS_PER_TOKEN = 3.5
CONSECUTIVE_FAILURES_TO_STOP = 3
PROVIDER_NAMES = {"openai": "openai-compatible", "anthropic": "anthropic"}


@dataclass
class _Budget:
    limit: int
    reserved: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def reserve(self, estimate: int) -> bool:
        if self.reserved + estimate > self.limit:
            return False
        self.reserved += estimate
        return True

    def settle(self, estimate: int, used: int, input_tokens: int, output_tokens: int) -> None:
        self.reserved += used - estimate
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens


@dataclass
class _Run:
    """The state of one analysis's conversations with the provider."""

    budget: _Budget
    prompts: PromptBuilder
    consecutive_failures: int = 0
    requests: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> None:
        self.outcomes[status] = self.outcomes.get(status, 0) + 1


class LLMTriageModel:
    def __init__(self, config: AIProvider, provider: ChatProvider) -> None:
        self.config = config
        self.provider = provider
        self._slots = asyncio.Semaphore(config.max_concurrency)
        self.info = ModelInfo(
            id=config.model_id,
            kind="llm",
            provider=PROVIDER_NAMES[config.kind],
            name=config.model,
            description=(
                f"{config.model} through the {PROVIDER_NAMES[config.kind]} API: LLM triage "
                "verdicts and remediation on top of the built-in risk scoring, clustering, "
                "fix-first list and coverage."
            ),
            capabilities=(*BUILTIN_INFO.capabilities, "llm_triage", "llm_remediation"),
            local=config.local,
            limits={
                "max_findings": config.max_findings,
                "token_budget": config.token_budget,
                "max_output_tokens": config.max_output_tokens,
                "max_concurrency": config.max_concurrency,
                "timeout_seconds": config.timeout_seconds,
            },
        )

    @property
    def cache_key(self) -> str:
        return f"{self.config.model_id}@{PROMPT_VERSION}"

    async def analyze(
        self, material: ScanMaterial, options: AnalysisOptions, cache: VerdictCache
    ) -> dict[str, Any]:
        findings = material.findings
        assessments = await asyncio.to_thread(assess, findings)
        groups = _groups(findings, assessments)
        order = sorted(groups, key=lambda i: (-assessments[i].risk.score, i))
        limit = min(self.config.max_findings, _or_inf(options.max_llm_findings))
        chosen, skipped = order[: int(min(limit, len(order)))], order[int(min(limit, len(order))) :]
        budget = _Budget(int(min(self.config.token_budget, _or_inf(options.token_budget))))
        run = _Run(budget, PromptBuilder())

        fingerprints = {i: str(findings[i].get("fingerprint") or "") for i in chosen}
        cached = await cache.get_many(self.cache_key, [fp for fp in fingerprints.values() if fp])
        outcomes: dict[int, dict[str, Any]] = {}
        to_ask = []
        for index in chosen:
            answer = _valid_cached(cached.get(fingerprints[index]))
            if answer is not None:
                outcomes[index] = {"status": "cached", **answer}
                run.count("cached")
            else:
                to_ask.append(index)
        asked = await asyncio.gather(*(self._ask(run, findings[i], assessments[i]) for i in to_ask))
        fresh = {}
        for index, outcome in zip(to_ask, asked, strict=True):
            outcomes[index] = outcome
            run.count(outcome["status"])
            if outcome["status"] == "answered" and fingerprints[index]:
                fresh[fingerprints[index]] = _answer_fields(outcome)
        await cache.put_many(self.cache_key, fresh)
        for index in skipped:
            outcomes[index] = {"status": "skipped_limit"}
            run.count("skipped_limit")

        for leader, members in groups.items():
            outcome = outcomes[leader]
            for member in members:
                assessments[member] = _with_outcome(
                    assessments[member], outcome, None if member == leader else findings[leader]
                )
        result = await asyncio.to_thread(
            report, material, assessments, options, self.config.model_id
        )
        result["llm"] = {
            "provider": self.info.provider,
            "model": self.config.model,
            "prompt_version": PROMPT_VERSION,
            "findings_considered": len(order),
            "requests": run.requests,
            "outcomes": dict(sorted(run.outcomes.items())),
            "tokens": {
                "input": budget.input_tokens,
                "output": budget.output_tokens,
                "budget": budget.limit,
            },
        }
        return result

    async def _ask(
        self, run: _Run, finding: dict[str, Any], assessment: Assessment
    ) -> dict[str, Any]:
        baseline = {
            "risk_score": assessment.risk.score,
            "verdict": assessment.triage.verdict.value,
            "reasons": list(assessment.triage.reasons),
            "code_facts": assessment.facts.to_dict(),
        }
        conversation = run.prompts.conversation(finding, baseline)
        user = conversation.user
        problem: InvalidOutput | None = None
        async with self._slots:
            for _ in range(self.config.invalid_output_retries + 1):
                if run.consecutive_failures >= CONSECUTIVE_FAILURES_TO_STOP:
                    return {"status": "provider_unavailable"}
                estimate = (
                    math.ceil((len(conversation.system) + len(user)) / CHARS_PER_TOKEN)
                    + self.config.max_output_tokens
                )
                if not run.budget.reserve(estimate):
                    return {"status": "skipped_budget"}
                run.requests += 1
                try:
                    reply = await self.provider.complete(
                        conversation.system, user, self.config.max_output_tokens
                    )
                except InvalidOutput as error:
                    run.budget.settle(estimate, estimate, 0, 0)
                    problem = error
                    user = conversation.user + run.prompts.correction(str(error))
                    continue
                except ProviderError as error:
                    run.budget.settle(estimate, 0, 0, 0)
                    run.consecutive_failures += 1
                    return {"status": "provider_error", "error": str(error)}
                run.consecutive_failures = 0
                input_tokens = reply.input_tokens or math.ceil(
                    (len(conversation.system) + len(user)) / CHARS_PER_TOKEN
                )
                output_tokens = reply.output_tokens or math.ceil(len(reply.text) / CHARS_PER_TOKEN)
                run.budget.settle(
                    estimate, input_tokens + output_tokens, input_tokens, output_tokens
                )
                try:
                    answer = run.prompts.parse_answer(reply.text)
                except InvalidOutput as error:
                    problem = error
                    user = conversation.user + run.prompts.correction(str(error))
                    continue
                return {"status": "answered", **_answer_dict(answer)}
        attempts = self.config.invalid_output_retries + 1
        return {
            "status": "invalid_output",
            "error": f"{problem} (after {attempts} attempt{'s' if attempts > 1 else ''})",
        }

    async def aclose(self) -> None:
        await self.provider.aclose()


def _groups(
    findings: Sequence[dict[str, Any]], assessments: Sequence[Assessment]
) -> dict[int, list[int]]:
    """Leader (riskiest member) -> members, for clusters; unclustered findings lead
    themselves."""
    groups: dict[int, list[int]] = {}
    clustered: set[int] = set()
    for cluster in find_clusters(findings, [a.facts.situation for a in assessments]):
        leader = max(cluster.members, key=lambda i: (assessments[i].risk.score, -i))
        groups[leader] = list(cluster.members)
        clustered.update(cluster.members)
    for index in range(len(findings)):
        if index not in clustered:
            groups[index] = [index]
    return groups


def _answer_dict(answer: LLMAnswer) -> dict[str, Any]:
    return answer.model_dump()


def _valid_cached(answer: object) -> dict[str, Any] | None:
    """A cached answer, checked again (it is read back from the database)."""
    if not isinstance(answer, dict):
        return None
    try:
        return LLMAnswer.model_validate(answer).model_dump()
    except ValueError:
        return None


def _answer_fields(outcome: dict[str, Any]) -> dict[str, Any]:
    return {key: outcome[key] for key in LLMAnswer.model_fields}


def _with_outcome(
    assessment: Assessment, outcome: dict[str, Any], leader: dict[str, Any] | None
) -> Assessment:
    llm = {**outcome, "baseline_verdict": assessment.triage.verdict.value}
    if leader is not None:
        llm["from_cluster_member"] = leader.get("id")
    if outcome["status"] in ("answered", "cached"):
        reasons = tuple(f"LLM: {reason}" for reason in outcome["reasons"])
        return replace(assessment, triage=Triage(Verdict(outcome["verdict"]), reasons), llm=llm)
    return replace(assessment, llm=llm)


def _or_inf(value: int | None) -> float:
    return math.inf if value is None else value
