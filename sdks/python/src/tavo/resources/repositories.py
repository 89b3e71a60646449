"""Repositories: register, list, and get by id or by URL (with last scan and trend)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from tavo import _constants as C
from tavo._base_client import APIRequest, path
from tavo._config import NOT_GIVEN, NotGiven
from tavo.pagination import AsyncPager, SyncPager
from tavo.resources._base import AsyncResource, SyncResource, merged
from tavo.types.repositories import ListRepositoriesParams, Repository, RepositoryList

__all__ = ["AsyncRepositories", "CreateRepositoryParams", "SyncRepositories"]


class CreateRepositoryParams(TypedDict, total=False):
    url: str
    name: str
    default_branch: str


def _list(query: Mapping[str, Any]) -> APIRequest:
    return APIRequest("GET", path("repositories"), params=query)


def _get(reference: str, trend_size: int | None) -> APIRequest:
    query = {"trend_size": trend_size} if trend_size is not None else {}
    if reference.startswith("repo_") and "/" not in reference and ":" not in reference:
        return APIRequest("GET", path("repositories", reference), params=query)
    # A URL: looked up by query parameter, which keeps every character of it intact.
    return APIRequest("GET", path("repositories", "lookup"), params={"url": reference, **query})


def _create(body: Mapping[str, Any]) -> APIRequest:
    if "url" not in body:
        raise ValueError("create_repository needs a url")
    return APIRequest("POST", path("repositories"), json=body)


_UNSET: Any = object()


def _reference_path(reference: str) -> str:
    return path("repositories", reference)


def _update(
    reference: str, name: Any, default_branch: Any, hook_secret: Any, credentials: Any
) -> APIRequest:
    body = {
        key: value
        for key, value in (("name", name), ("default_branch", default_branch),
                           ("hook_secret", hook_secret), ("credentials", credentials))
        if value is not _UNSET
    }
    return APIRequest("PATCH", _reference_path(reference), json=body)


def _delete(reference: str) -> APIRequest:
    return APIRequest("DELETE", _reference_path(reference))


class AsyncRepositories(AsyncResource):
    """`client.repositories` of the async client."""

    async def list_repositories(
        self,
        params: ListRepositoriesParams | Mapping[str, Any] | None = None,
        /,
        *,
        page: int | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven | None = NOT_GIVEN,
        offset: int | NotGiven | None = NOT_GIVEN,
        limit: int | NotGiven | None = NOT_GIVEN,
        trend_size: int | NotGiven | None = NOT_GIVEN,
    ) -> RepositoryList:
        """One page of the organisation's repositories with their last scan and trend."""
        query = merged(
            params,
            page=page,
            page_size=page_size,
            offset=offset,
            limit=limit,
            trend_size=trend_size,
        )
        return await self._client.request(_list(query), RepositoryList)

    def iter_repositories(
        self, *, page_size: int = C.DEFAULT_PAGE_SIZE
    ) -> AsyncPager[RepositoryList, Repository]:
        """Every repository, fetched a page at a time as iteration goes."""

        async def fetch(offset: int, limit: int) -> RepositoryList:
            return await self.list_repositories(offset=offset, limit=limit)

        return AsyncPager(
            fetch, lambda page: page.items, page_size=page_size, key=lambda item: item.id
        )

    async def get_repository(
        self, repository: str, *, trend_size: int | None = None
    ) -> Repository:
        """A repository by id (`repo_...`) or by URL (trailing slash and `.git` ignored)."""
        return await self._client.request(_get(repository, trend_size), Repository)

    async def create_repository(
        self,
        params: CreateRepositoryParams | Mapping[str, Any] | None = None,
        /,
        *,
        url: str | NotGiven = NOT_GIVEN,
        name: str | NotGiven | None = NOT_GIVEN,
        default_branch: str | NotGiven | None = NOT_GIVEN,
    ) -> Repository:
        """Registers a repository (returns the existing one for a known URL)."""
        body = merged(params, url=url, name=name, default_branch=default_branch)
        return await self._client.request(_create(body), Repository)


    async def update_repository(
        self,
        repository: str,
        *,
        name: str = _UNSET,
        default_branch: str | None = _UNSET,
        hook_secret: str | None = _UNSET,
        credentials: Mapping[str, str] | None = _UNSET,
    ) -> Repository:
        """Changes what is given (None clears `default_branch`, `hook_secret` or
        `credentials`). The hook secret verifies inbound GitHub hooks; `credentials`
        (`{"kind": "https_token", "token", "username"}` or `{"kind": "ssh_key",
        "private_key"}`) fetch a private repository. Neither is ever shown again."""
        request = _update(repository, name, default_branch, hook_secret, credentials)
        return await self._client.request(request, Repository)

    async def delete_repository(self, repository: str) -> None:
        """Deletes the repository with its scans, findings and schedules."""
        await self._client.request(_delete(repository))


class SyncRepositories(SyncResource):
    """`client.repositories` of the sync client."""

    def list_repositories(
        self,
        params: ListRepositoriesParams | Mapping[str, Any] | None = None,
        /,
        *,
        page: int | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven | None = NOT_GIVEN,
        offset: int | NotGiven | None = NOT_GIVEN,
        limit: int | NotGiven | None = NOT_GIVEN,
        trend_size: int | NotGiven | None = NOT_GIVEN,
    ) -> RepositoryList:
        """One page of the organisation's repositories with their last scan and trend."""
        query = merged(
            params,
            page=page,
            page_size=page_size,
            offset=offset,
            limit=limit,
            trend_size=trend_size,
        )
        return self._client.request(_list(query), RepositoryList)

    def iter_repositories(
        self, *, page_size: int = C.DEFAULT_PAGE_SIZE
    ) -> SyncPager[RepositoryList, Repository]:
        """Every repository, fetched a page at a time as iteration goes."""

        def fetch(offset: int, limit: int) -> RepositoryList:
            return self.list_repositories(offset=offset, limit=limit)

        return SyncPager(
            fetch, lambda page: page.items, page_size=page_size, key=lambda item: item.id
        )

    def get_repository(self, repository: str, *, trend_size: int | None = None) -> Repository:
        """A repository by id (`repo_...`) or by URL."""
        return self._client.request(_get(repository, trend_size), Repository)

    def create_repository(
        self,
        params: CreateRepositoryParams | Mapping[str, Any] | None = None,
        /,
        *,
        url: str | NotGiven = NOT_GIVEN,
        name: str | NotGiven | None = NOT_GIVEN,
        default_branch: str | NotGiven | None = NOT_GIVEN,
    ) -> Repository:
        """Registers a repository (returns the existing one for a known URL)."""
        body = merged(params, url=url, name=name, default_branch=default_branch)
        return self._client.request(_create(body), Repository)

    def update_repository(
        self,
        repository: str,
        *,
        name: str = _UNSET,
        default_branch: str | None = _UNSET,
        hook_secret: str | None = _UNSET,
        credentials: Mapping[str, str] | None = _UNSET,
    ) -> Repository:
        """Changes what is given (see the async client)."""
        return self._client.request(
            _update(repository, name, default_branch, hook_secret, credentials), Repository
        )

    def delete_repository(self, repository: str) -> None:
        """Deletes the repository with its scans, findings and schedules."""
        self._client.request(_delete(repository))
