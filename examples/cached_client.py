"""Performance guide > Caching Strategies > Cache Static Data.

The guide's CachedTavoClient, as written. Two things to know about it:
- `lru_cache` on an `async def` caches the coroutine object, which can be awaited only
  once: a second call with the same URL raises "cannot reuse already awaited coroutine".
  Call get_repository_info once per URL (as below), or rely on the SDK instead:
- the SDK caches HTTP responses itself, honouring Cache-Control and ETag (rules are fresh
  for an hour and revalidated with a 304 after), so `client.scan_rules.list_rules()` is
  already served from memory the second time; see http_caching.py."""

import asyncio
from functools import lru_cache

from _common import API_KEY, REPO, check, run_example
from tavo import TavoClient


class CachedTavoClient:
    def __init__(self, api_key):
        self.client = TavoClient(api_key)
        self._cache = {}

    @lru_cache(maxsize=100)
    async def get_repository_info(self, repo_url):
        """Cache repository metadata"""
        return await self.client.repositories.get_repository(repo_url)

    async def cached_scan_rules(self):
        """Cache scan rules for 1 hour"""
        cache_key = "scan_rules"
        if cache_key in self._cache:
            cached_time, rules = self._cache[cache_key]
            if asyncio.get_event_loop().time() - cached_time < 3600:
                return rules

        rules = await self.client.scan_rules.list_rules()
        self._cache[cache_key] = (asyncio.get_event_loop().time(), rules)
        return rules


async def main() -> None:
    cached = CachedTavoClient(API_KEY)
    # A repository is known to the server once it has been scanned or registered.
    await cached.client.repositories.create_repository(url=REPO)

    repository = await cached.get_repository_info(REPO)
    first = await cached.cached_scan_rules()
    second = await cached.cached_scan_rules()

    check(repository["url"].rstrip("/") == REPO.rstrip("/"), "wrong repository")
    check(first is second, "the second call did not come from the cache")
    check(first["total"] > 0, "no rules")
    print(f"repository {repository['id']}; {first['total']} rules, cached")
    await cached.client.close()


if __name__ == "__main__":
    run_example(main)
