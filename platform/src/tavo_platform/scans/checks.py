"""What a scan request is checked against before anything is charged or written: the
repository URL policy (SSRF), rule selectors the organisation knows, upload archives."""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Callable, Collection, Iterable
from typing import Any, TypeVar

from tavo_platform.errors import Invalid
from tavo_platform.fetch import FetchError
from tavo_platform.fetch.archive import UnsafeArchive
from tavo_platform.fetch.urls import check_repository_url
from tavo_platform.rules.catalog import builtin_catalog
from tavo_platform.settings import Settings
from tavo_platform.store.interface import Store

T = TypeVar("T")


async def url_problems(settings: Settings, urls: Iterable[str]) -> dict[str, str]:
    """Checks every distinct URL once, concurrently (each may need a DNS lookup): the
    problem of each refused URL, by URL."""

    async def check(url: str) -> str | None:
        try:
            await asyncio.to_thread(
                check_repository_url, url, settings.fetch_allow_hosts, settings.file_url_roots
            )
        except FetchError as error:
            return str(error)
        return None

    ordered = sorted(set(urls))
    problems = await asyncio.gather(*(check(url) for url in ordered))
    return {url: problem for url, problem in zip(ordered, problems, strict=True) if problem}


def invalid_url(url: str, problem: str) -> Invalid:
    return Invalid(problem, {"repository_url": url}, code="INVALID_REPOSITORY_URL")


async def known_rule_names(store: Store, org_id: str) -> set[str]:
    known = set(builtin_catalog().names())
    for rule_file in await store.list_rule_files(org_id):
        known.update(rule_file.rule_ids)
    known.add("custom")
    return known


def unknown_selectors(selectors: Iterable[str], known: Collection[str]) -> list[str]:
    """Selectors (rule ids, pack names or glob patterns) that name nothing known."""
    return [
        s for s in selectors if s not in known and not any(fnmatch.fnmatchcase(k, s) for k in known)
    ]


def unknown_rules(unknown: list[str]) -> Invalid:
    return Invalid("some rules or packs do not exist", {"unknown": unknown}, code="UNKNOWN_RULES")


async def check_rules(store: Store, org_id: str, selectors: list[str]) -> None:
    if not selectors:
        return
    unknown = unknown_selectors(selectors, await known_rule_names(store, org_id))
    if unknown:
        raise unknown_rules(unknown)


async def archive_checked(function: Callable[..., T], *args: Any) -> T:
    """Runs an archive step off the event loop; its refusals as Invalid."""
    try:
        return await asyncio.to_thread(function, *args)
    except UnsafeArchive as error:
        raise Invalid(str(error), code="UNSAFE_ARCHIVE") from None
    except FetchError as error:
        raise Invalid(str(error), code="INVALID_ARCHIVE") from None


def repository_name(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return tail.removesuffix(".git") or url
