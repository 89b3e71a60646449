"""Scan rules: the built-in packs and rules with their metadata, one rule with its examples,
and an organisation's own custom rule files (upload, list, get, delete).

Lists and rules carry an ETag; `If-None-Match` gets 304 (which costs no rate-limit budget).
The built-in catalogue is the same for everyone and changes only with a release, so it is
`public, max-age=3600`. Once an organisation has custom rules the answer is theirs alone
and can change at any upload, so it is `private, no-cache`: clients keep it but revalidate
each time, which a 304 makes cheap.

Custom rules join scans of type security and comprehensive (see jobs/execution.py).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tavo_platform.engine import Language
from tavo_platform.rules.catalog import builtin_catalog
from tavo_platform.rules.loader import load_rule_text
from tavo_platform.rules.model import Rule
from tavo_platform.server.caching import cached_json
from tavo_platform.server.deps import Caller, State
from tavo_platform.server.errors import APIError, not_found
from tavo_platform.server.params import SeverityParam
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.rule_uploads import (
    RuleCheckFailed,
    RuleFileReport,
    RuleProblem,
    check_rule_file_isolated,
)
from tavo_platform.server.state import AppState
from tavo_platform.server.views import iso
from tavo_platform.store.records import CustomRuleFile

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])

PUBLIC_CACHE = "public, max-age=3600"
PRIVATE_CACHE = "private, no-cache"
# The answer depends on whose key asks (their custom rules), so caches must key on it.
VARY_PER_ORG = "Authorization, X-API-Key"
CUSTOM_PACK = "custom"
MAX_CUSTOM_RULE_FILE_BYTES = 1024 * 1024
MAX_CUSTOM_RULE_FILES = 100
MAX_FILTER_VALUES = 50
RULE_FILE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_PARSED_CACHE_MAX = 1024

OWASP_LLM = Literal[
    "LLM01", "LLM02", "LLM03", "LLM04", "LLM05", "LLM06", "LLM07", "LLM08", "LLM09", "LLM10"
]


class CustomRuleFileUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=200,
        pattern=RULE_FILE_NAME,
        description="File name, e.g. `our-rules.yaml`; uploading the same name replaces it",
    )
    content: str = Field(description="The rule file's YAML text (see docs/rules.md)")


# --- views ---------------------------------------------------------------------------------


def rule_view(rule: Rule, rule_file: CustomRuleFile | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": rule.id,
        "title": rule.title,
        "message": rule.message,
        "severity": rule.severity.value,
        "confidence": rule.confidence.value,
        "category": rule.category,
        "cwe": list(rule.cwe),
        "owasp_llm": rule.owasp_llm,
        "languages": [language.value for language in rule.languages],
        "pack": rule.pack,
        "references": list(rule.references),
        "fix": rule.fix,
        "autofix": rule.autofix,
        "matcher": rule.matcher_kind,
        "custom": rule_file is not None,
    }
    if rule_file is not None:
        view["rule_file"] = {"id": rule_file.id, "name": rule_file.name}
    return view


def rule_detail_view(rule: Rule, rule_file: CustomRuleFile | None = None) -> dict[str, Any]:
    matcher = getattr(rule, rule.matcher_kind)
    return {
        **rule_view(rule, rule_file),
        "definition": matcher.model_dump(mode="json", exclude_none=True),
        "examples": {
            kind: [
                example.model_dump(mode="json", exclude_none=True)
                for example in rule.examples_of(kind)
            ]
            for kind in ("positive", "negative")
        },
    }


def pack_view(name: str, rules: list[Rule], *, custom: bool) -> dict[str, Any]:
    return {
        "name": name,
        "custom": custom,
        "rules": len(rules),
        "languages": sorted({language.value for rule in rules for language in rule.languages}),
        "severities": dict(sorted(Counter(rule.severity.value for rule in rules).items())),
        "categories": sorted({rule.category for rule in rules}),
        "owasp_llm": sorted({rule.owasp_llm for rule in rules if rule.owasp_llm}),
    }


@lru_cache(maxsize=1)
def builtin_views() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rule and pack views of the built-in catalogue, built once per process."""
    catalog = builtin_catalog()
    rules = [rule_view(rule) for rule in catalog.rules]
    packs = [
        pack_view(pack, [rule for rule in catalog.rules if rule.pack == pack], custom=False)
        for pack in catalog.packs
    ]
    return rules, packs


# --- an organisation's custom rules ---------------------------------------------------------

# Stored files never change (an upload under the same name gets a new id), so parsing each
# one once per process is enough.
_parsed_files: dict[str, list[Rule]] = {}


def _parse_rule_file(rule_file: CustomRuleFile) -> list[Rule]:
    return load_rule_text(rule_file.content, rule_file.name, pack=CUSTOM_PACK).rules


async def custom_rules(state: AppState, org_id: str) -> list[tuple[Rule, CustomRuleFile]]:
    pairs: list[tuple[Rule, CustomRuleFile]] = []
    for rule_file in await state.store.list_rule_files(org_id):
        rules = _parsed_files.get(rule_file.id)
        if rules is None:
            rules = await asyncio.to_thread(_parse_rule_file, rule_file)
            if len(_parsed_files) >= _PARSED_CACHE_MAX:
                _parsed_files.clear()
            _parsed_files[rule_file.id] = rules
        pairs.extend((rule, rule_file) for rule in rules)
    return pairs


def _cached(request: Request, content: Any, *, custom: bool, per_org: bool) -> Response:
    """`per_org`: the answer depends on the caller's organisation (its custom rules)."""
    response = cached_json(request, content, PRIVATE_CACHE if custom else PUBLIC_CACHE)
    if per_org:
        response.headers["Vary"] = f"{response.headers['Vary']}, {VARY_PER_ORG}"
    return response


def rule_file_view(rule_file: CustomRuleFile, *, with_content: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": rule_file.id,
        "name": rule_file.name,
        "rule_ids": list(rule_file.rule_ids),
        "size": len(rule_file.content.encode("utf-8", "surrogatepass")),
        "created_at": iso(rule_file.created_at),
    }
    if with_content:
        view["content"] = rule_file.content
    return view


# --- built-in and custom rules ----------------------------------------------------------------


def _matches(
    view: dict[str, Any],
    pack: Sequence[str] | None,
    severity: Sequence[str] | None,
    language: Sequence[Language] | None,
    owasp_llm: Sequence[str] | None,
    category: Sequence[str] | None,
) -> bool:
    return (
        (not pack or view["pack"] in pack)
        and (not severity or view["severity"] in severity)
        and (not language or any(lang.value in view["languages"] for lang in language))
        and (not owasp_llm or view["owasp_llm"] in owasp_llm)
        and (not category or view["category"] in category)
    )


@router.get("", summary="List rule packs and rules")
async def list_rules(
    request: Request,
    caller: Caller,
    state: State,
    pack: Annotated[list[str] | None, Query(max_length=MAX_FILTER_VALUES)] = None,
    severity: Annotated[list[SeverityParam] | None, Query(max_length=MAX_FILTER_VALUES)] = None,
    language: Annotated[list[Language] | None, Query(max_length=MAX_FILTER_VALUES)] = None,
    owasp_llm: Annotated[list[OWASP_LLM] | None, Query(max_length=MAX_FILTER_VALUES)] = None,
    category: Annotated[list[str] | None, Query(max_length=MAX_FILTER_VALUES)] = None,
) -> Response:
    """Every built-in rule and the organisation's custom rules (`custom: true`), with
    metadata; filters combine with AND, repeated values of one filter with OR."""
    builtin_rules, builtin_packs = builtin_views()
    custom = await custom_rules(state, caller.org_id)
    rules = builtin_rules + [rule_view(rule, rule_file) for rule, rule_file in custom]
    packs = list(builtin_packs)
    if custom:
        packs.append(pack_view(CUSTOM_PACK, [rule for rule, _ in custom], custom=True))
    items = [
        view for view in rules if _matches(view, pack, severity, language, owasp_llm, category)
    ]
    return _cached(
        request,
        {"items": items, "total": len(items), "packs": packs},
        custom=bool(custom),
        per_org=True,
    )


@router.get("/packs", summary="List rule packs")
async def list_packs(request: Request, caller: Caller, state: State) -> Response:
    _, builtin_packs = builtin_views()
    custom = await custom_rules(state, caller.org_id)
    packs = list(builtin_packs)
    if custom:
        packs.append(pack_view(CUSTOM_PACK, [rule for rule, _ in custom], custom=True))
    return _cached(
        request, {"items": packs, "total": len(packs)}, custom=bool(custom), per_org=True
    )


# --- custom rule files (declared before /{rule_id} so "custom" is not taken for an id) ------


@router.get("/custom", summary="List the organisation's custom rule files")
async def list_custom_rule_files(caller: Caller, state: State) -> Response:
    files = await state.store.list_rule_files(caller.org_id)
    return JSONResponse(
        {"items": [rule_file_view(f) for f in files], "total": len(files)},
        headers={"Cache-Control": "no-store"},
    )


def _reserved_ids() -> set[str]:
    # Selectors name rules and packs alike, so a custom rule must not share a pack's name.
    return {CUSTOM_PACK, "packs", *builtin_catalog().packs}


def _conflicts(
    report: RuleFileReport, name: str, others: list[CustomRuleFile]
) -> list[RuleProblem]:
    builtin = builtin_catalog().by_id
    reserved = _reserved_ids()
    elsewhere = {rule_id: f.name for f in others if f.name != name for rule_id in f.rule_ids}
    problems = []
    for rule_id in report.rule_ids:
        if rule_id in builtin:
            problems.append(
                RuleProblem(
                    rule_id,
                    f"the id is taken by the built-in rule in pack "
                    f"{builtin[rule_id].pack!r}; choose another id",
                )
            )
        elif rule_id in reserved:
            problems.append(RuleProblem(rule_id, "the id is reserved (it names a rule pack)"))
        elif rule_id in elsewhere:
            problems.append(
                RuleProblem(rule_id, f"already defined in custom rule file {elsewhere[rule_id]!r}")
            )
    return problems


def _validation_failed(name: str, problems: list[RuleProblem]) -> APIError:
    first = problems[0]
    where = f"rule {first.rule_id!r}: " if first.rule_id else ""
    return APIError(
        422,
        "RULE_VALIDATION_FAILED",
        f"rule file {name!r} has {len(problems)} problem(s); first: {where}{first.message}",
        {
            "file": name,
            "errors": [{"rule_id": p.rule_id, "message": p.message} for p in problems],
        },
    )


@router.post("/custom", status_code=201, summary="Upload a custom rule file")
async def upload_custom_rule_file(
    body: CustomRuleFileUpload, caller: Caller, state: State
) -> Response:
    """Validated before it is stored: every rule must load and pass its own positive and
    negative examples, and its id must not clash with a built-in rule, a pack name or a rule
    of the organisation's other files. Otherwise 422 RULE_VALIDATION_FAILED, with
    `details.errors` naming each rule. Uploading an existing name replaces that file."""
    size = len(body.content.encode("utf-8", "surrogatepass"))
    if size > MAX_CUSTOM_RULE_FILE_BYTES:
        raise APIError(
            413,
            "PAYLOAD_TOO_LARGE",
            f"a rule file may be at most {MAX_CUSTOM_RULE_FILE_BYTES} bytes",
            {"max_bytes": MAX_CUSTOM_RULE_FILE_BYTES, "size": size},
        )
    existing = await state.store.list_rule_files(caller.org_id)
    replaces = any(f.name == body.name for f in existing)
    if not replaces and len(existing) >= MAX_CUSTOM_RULE_FILES:
        raise APIError(
            409,
            "RULE_FILE_LIMIT_REACHED",
            f"an organisation may have at most {MAX_CUSTOM_RULE_FILES} custom rule files; "
            "delete one or replace it by uploading under its name",
            {"limit": MAX_CUSTOM_RULE_FILES},
        )
    try:
        report = await check_rule_file_isolated(body.name, body.content)
    except RuleCheckFailed as error:
        raise _validation_failed(body.name, [RuleProblem(None, str(error))]) from None
    problems = report.problems + _conflicts(report, body.name, existing)
    if problems or not report.rule_ids:
        raise _validation_failed(body.name, problems)
    saved = await state.store.save_rule_file(
        caller.org_id, body.name, body.content, report.rule_ids
    )
    rules = await asyncio.to_thread(_parse_rule_file, saved)
    _parsed_files[saved.id] = rules
    return JSONResponse(
        {
            **rule_file_view(saved),
            "replaced": replaces,
            "rules": [rule_view(rule, saved) for rule in rules],
        },
        status_code=201,
        headers={"Location": f"/api/v1/rules/custom/{saved.id}"},
    )


async def _owned_rule_file(state: AppState, org_id: str, file_id: str) -> CustomRuleFile:
    for rule_file in await state.store.list_rule_files(org_id):
        if rule_file.id == file_id:
            return rule_file
    raise not_found("custom rule file")


@router.get("/custom/{file_id}", summary="Get a custom rule file with its content")
async def get_custom_rule_file(file_id: str, caller: Caller, state: State) -> Response:
    rule_file = await _owned_rule_file(state, caller.org_id, file_id)
    return JSONResponse(
        rule_file_view(rule_file, with_content=True), headers={"Cache-Control": "no-store"}
    )


@router.delete("/custom/{file_id}", summary="Delete a custom rule file")
async def delete_custom_rule_file(file_id: str, caller: Caller, state: State) -> Response:
    if len(file_id) > 64 or not await state.store.delete_rule_file(caller.org_id, file_id):
        raise not_found("custom rule file")
    _parsed_files.pop(file_id, None)
    return Response(status_code=204)


@router.get("/{rule_id}", summary="Get one rule with its examples")
async def get_rule(
    request: Request,
    caller: Caller,
    state: State,
    rule_id: Annotated[str, Path(max_length=100)],
) -> Response:
    builtin = builtin_catalog().by_id.get(rule_id)
    if builtin is not None:
        return _cached(request, rule_detail_view(builtin), custom=False, per_org=False)
    for rule, rule_file in await custom_rules(state, caller.org_id):
        if rule.id == rule_id:
            return _cached(request, rule_detail_view(rule, rule_file), custom=True, per_org=True)
    raise not_found("rule")
