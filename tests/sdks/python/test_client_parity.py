"""The async client (TavoClient) and the sync client (SyncTavoClient) expose the same
resources, each with the same public methods taking the same parameters: a feature added to
one flavour only fails here. Return types differ by design (awaitables, async iterators)."""

from __future__ import annotations

import inspect
from typing import Any, get_type_hints

from tavo import SyncTavoClient, TavoClient


def resources(client: type) -> dict[str, type]:
    """The client's resource attributes (declared on the class), by name."""
    return {
        name: kind
        for name, kind in get_type_hints(client).items()
        if not name.startswith("_") and inspect.isclass(kind)
    }


def public_methods(kind: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in inspect.getmembers(kind, callable)
        if not name.startswith("_")
    }


def parameters(function: Any) -> list[tuple[str, Any, Any]]:
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(function).parameters.values()
        if p.name != "self"
    ]


def differences(async_kind: type, sync_kind: type) -> list[str]:
    """What one flavour of a resource has that the other has not, as readable lines."""
    asynchronous, synchronous = public_methods(async_kind), public_methods(sync_kind)
    found = [f"only async: {name}" for name in sorted(set(asynchronous) - set(synchronous))]
    found += [f"only sync: {name}" for name in sorted(set(synchronous) - set(asynchronous))]
    for name in sorted(set(asynchronous) & set(synchronous)):
        if parameters(asynchronous[name]) != parameters(synchronous[name]):
            found.append(
                f"{name}: async {inspect.signature(asynchronous[name])} "
                f"!= sync {inspect.signature(synchronous[name])}"
            )
        if inspect.iscoroutinefunction(synchronous[name]):
            found.append(f"{name}: the sync flavour is a coroutine function")
    return found


def test_both_clients_have_the_same_resources() -> None:
    asynchronous, synchronous = resources(TavoClient), resources(SyncTavoClient)
    assert asynchronous.keys() == synchronous.keys()
    assert len(asynchronous) >= 10  # scans, repositories, findings, webhooks, schedules...


def test_each_resource_has_the_same_methods_and_parameters() -> None:
    asynchronous, synchronous = resources(TavoClient), resources(SyncTavoClient)
    problems = {
        name: differences(asynchronous[name], synchronous[name])
        for name in asynchronous
        if differences(asynchronous[name], synchronous[name])
    }
    assert not problems, problems


def test_the_clients_themselves_match() -> None:
    # close/aclose and the context-manager protocol differ by name on purpose (dunders).
    assert differences(TavoClient, SyncTavoClient) == []


def test_the_comparison_sees_a_missing_method_and_a_different_parameter() -> None:
    class AsyncThing:
        async def get(self, thing_id: str, *, expand: bool = False) -> None: ...
        async def delete(self, thing_id: str) -> None: ...

    class SyncThing:
        def get(self, thing_id: str, *, expand: bool = True) -> None: ...

    missing, changed = differences(AsyncThing, SyncThing)
    assert missing == "only async: delete"
    assert changed.startswith("get: async") and "= False" in changed and "= True" in changed
