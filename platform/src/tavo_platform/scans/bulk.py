"""A bulk create's items on their way through the service's steps: each item is checked on
its own, so one bad item never sinks the rest, and only items that passed are charged."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tavo_platform.enums import ScanSource
from tavo_platform.errors import BudgetExceeded, DomainError
from tavo_platform.scans import checks
from tavo_platform.scans.requests import BUDGET_MESSAGE, C, Charger, GitScanRequest
from tavo_platform.settings import Settings
from tavo_platform.store.interface import Store
from tavo_platform.store.records import NewScan

# Renders a refusal as it is stored and returned for one item ({"code", "message",
# "details"}); the server's error mapping is the one given.
ItemErrorBody = Callable[[DomainError], dict[str, Any]]


@dataclass
class _Item:
    index: int
    request: GitScanRequest | None
    error: DomainError | None = None
    new: NewScan | None = None


class BulkPlan:
    def __init__(self, items: Sequence[GitScanRequest | DomainError], render: ItemErrorBody):
        self._render = render
        self._items = [
            _Item(i, None, item) if isinstance(item, DomainError) else _Item(i, item)
            for i, item in enumerate(items)
        ]

    def _pending(self) -> list[_Item]:
        return [item for item in self._items if item.error is None]

    async def validate(self, settings: Settings, store: Store, org_id: str) -> None:
        pending = self._pending()
        requests = [item.request for item in pending if item.request is not None]
        problems = await checks.url_problems(settings, {r.repository_url for r in requests})
        wants_rules = any(r.rules for r in requests)
        known = await checks.known_rule_names(store, org_id) if wants_rules else set()
        for item in pending:
            assert item.request is not None
            url = item.request.repository_url
            unknown = checks.unknown_selectors(item.request.rules, known)
            if url in problems:
                item.error = checks.invalid_url(url, problems[url])
            elif unknown:
                item.error = checks.unknown_rules(unknown)

    async def charge(self, charge: Charger[C]) -> C | None:
        """Charges each valid item in order; returns the last decision taken (the budget
        left after the last accepted item, or the refusal), None if nothing was charged."""
        refused: BudgetExceeded | None = None
        decision: C | None = None
        for item in self._pending():
            # Once the budget is spent every later item is refused with the same answer;
            # charging again would only push the counter further past its limit.
            if refused is None:
                decision = await charge()
                if not decision.allowed:
                    refused = BudgetExceeded(BUDGET_MESSAGE, decision)
            item.error = refused
        return decision

    async def new_scans(self, store: Store, org_id: str) -> list[NewScan]:
        accepted = self._pending()
        repositories = await store.upsert_repositories(
            org_id,
            {
                item.request.repository_url: checks.repository_name(item.request.repository_url)
                for item in accepted
                if item.request is not None
            },
        )
        for item in accepted:
            request = item.request
            assert request is not None
            item.new = NewScan(
                org_id=org_id,
                source=ScanSource.GIT,
                scan_type=request.scan_type,
                repository_url=request.repository_url,
                repository_id=repositories[request.repository_url].id,
                branch=request.ref,
                base_ref=request.base_ref,
                rules=list(dict.fromkeys(request.rules)),
                exclusions=list(dict.fromkeys(request.exclusions)),
            )
        return [item.new for item in accepted if item.new is not None]

    def results(self) -> list[dict[str, Any]]:
        """What the idempotency record keeps: successes are matched, in order, to the
        record's `scan_ids`; failures keep their error."""
        return [self._result(item) for item in self._items]

    def _result(self, item: _Item) -> dict[str, Any]:
        if item.new is not None:
            return {"index": item.index, "success": True}
        assert item.error is not None, "every item is either created or refused"
        return {"index": item.index, "success": False, "error": self._render(item.error)}
