"""Scan rules: the catalogue (served from the HTTP cache while fresh; revalidated with its
ETag after), one rule with its examples, packs, and the organisation's custom rule files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tavo._base_client import APIRequest, path
from tavo._config import NOT_GIVEN, NotGiven
from tavo.resources._base import AsyncResource, SyncResource, merged
from tavo.types.rules import (
    CustomRuleFile,
    CustomRuleFileList,
    ListRulesParams,
    RuleDetail,
    RuleList,
    RulePackList,
)

__all__ = ["AsyncScanRules", "SyncScanRules"]

StrOrList = str | Sequence[str]


def _list(query: Mapping[str, Any]) -> APIRequest:
    return APIRequest("GET", path("rules"), params=query)


def _get(rule_id: str) -> APIRequest:
    return APIRequest("GET", path("rules", rule_id))


def _packs() -> APIRequest:
    return APIRequest("GET", path("rules", "packs"))


def _upload(name: str, content: str) -> APIRequest:
    return APIRequest("POST", path("rules", "custom"), json={"name": name, "content": content})


def _custom_files() -> APIRequest:
    return APIRequest("GET", path("rules", "custom"))


def _custom_file(file_id: str) -> APIRequest:
    return APIRequest("GET", path("rules", "custom", file_id))


def _delete_custom_file(file_id: str) -> APIRequest:
    return APIRequest("DELETE", path("rules", "custom", file_id))


class AsyncScanRules(AsyncResource):
    """`client.scan_rules` of the async client."""

    async def list_rules(
        self,
        params: ListRulesParams | Mapping[str, Any] | None = None,
        /,
        *,
        pack: StrOrList | NotGiven | None = NOT_GIVEN,
        severity: StrOrList | NotGiven | None = NOT_GIVEN,
        language: StrOrList | NotGiven | None = NOT_GIVEN,
        owasp_llm: StrOrList | NotGiven | None = NOT_GIVEN,
        category: StrOrList | NotGiven | None = NOT_GIVEN,
    ) -> RuleList:
        """Built-in and custom rules with their metadata; filters combine with AND, the
        values of one filter with OR."""
        query = merged(
            params,
            pack=pack,
            severity=severity,
            language=language,
            owasp_llm=owasp_llm,
            category=category,
        )
        return await self._client.request(_list(query), RuleList)

    async def get_rule(self, rule_id: str) -> RuleDetail:
        """One rule with its definition and examples."""
        return await self._client.request(_get(rule_id), RuleDetail)

    async def list_packs(self) -> RulePackList:
        """The rule packs."""
        return await self._client.request(_packs(), RulePackList)

    async def upload_custom_rules(self, name: str, content: str) -> CustomRuleFile:
        """Uploads (or replaces, by name) a rule file of the organisation's own. The server
        checks every rule against its examples first."""
        return await self._client.request(_upload(name, content), CustomRuleFile)

    async def list_custom_rule_files(self) -> CustomRuleFileList:
        """The organisation's custom rule files."""
        return await self._client.request(_custom_files(), CustomRuleFileList)

    async def get_custom_rule_file(self, file_id: str) -> CustomRuleFile:
        """One custom rule file with its content."""
        return await self._client.request(_custom_file(file_id), CustomRuleFile)

    async def delete_custom_rule_file(self, file_id: str) -> None:
        """Deletes a custom rule file."""
        await self._client.request(_delete_custom_file(file_id))


class SyncScanRules(SyncResource):
    """`client.scan_rules` of the sync client."""

    def list_rules(
        self,
        params: ListRulesParams | Mapping[str, Any] | None = None,
        /,
        *,
        pack: StrOrList | NotGiven | None = NOT_GIVEN,
        severity: StrOrList | NotGiven | None = NOT_GIVEN,
        language: StrOrList | NotGiven | None = NOT_GIVEN,
        owasp_llm: StrOrList | NotGiven | None = NOT_GIVEN,
        category: StrOrList | NotGiven | None = NOT_GIVEN,
    ) -> RuleList:
        """Built-in and custom rules with their metadata."""
        query = merged(
            params,
            pack=pack,
            severity=severity,
            language=language,
            owasp_llm=owasp_llm,
            category=category,
        )
        return self._client.request(_list(query), RuleList)

    def get_rule(self, rule_id: str) -> RuleDetail:
        """One rule with its definition and examples."""
        return self._client.request(_get(rule_id), RuleDetail)

    def list_packs(self) -> RulePackList:
        """The rule packs."""
        return self._client.request(_packs(), RulePackList)

    def upload_custom_rules(self, name: str, content: str) -> CustomRuleFile:
        """Uploads (or replaces, by name) a rule file of the organisation's own."""
        return self._client.request(_upload(name, content), CustomRuleFile)

    def list_custom_rule_files(self) -> CustomRuleFileList:
        """The organisation's custom rule files."""
        return self._client.request(_custom_files(), CustomRuleFileList)

    def get_custom_rule_file(self, file_id: str) -> CustomRuleFile:
        """One custom rule file with its content."""
        return self._client.request(_custom_file(file_id), CustomRuleFile)

    def delete_custom_rule_file(self, file_id: str) -> None:
        """Deletes a custom rule file."""
        self._client.request(_delete_custom_file(file_id))
