"""What every example shares: where the server, the API keys and the repositories to scan
come from, and how an example reports success (exit 0) or failure (exit 1).

Environment:
  TAVO_BASE_URL          the server (read by TavoClient itself), e.g. http://127.0.0.1:8700
  TAVO_API_KEY           an API key; several separated by commas for the load-balancing one
  TAVO_REPOSITORY_URLS   repositories the server can fetch, comma-separated (default: the
                         guide's placeholders, which only a server on the internet can reach)
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
from collections.abc import Callable, Coroutine
from typing import Any

from tavo import TavoRateLimitError

# The tiers: README.md's table says what each example needs.
TIER_ADVICE = (
    "Each example alone runs on the free tier (10 scans and 100 requests an hour per key), "
    "except load_balancing.py (two keys); running them all in a row needs a pro-tier key."
)

API_KEYS = [key.strip() for key in os.environ.get("TAVO_API_KEY", "").split(",") if key.strip()]
API_KEY = API_KEYS[0] if API_KEYS else "your-key"

_SEED_REPOSITORIES = "https://github.com/org/repo1,https://github.com/org/repo2"
REPOSITORY_URLS = [
    url.strip()
    for url in os.environ.get("TAVO_REPOSITORY_URLS", _SEED_REPOSITORIES).split(",")
    if url.strip()
]
# The guide's https://github.com/org/repo1, .../repo2 and .../repo.
REPO1 = REPOSITORY_URLS[0]
REPO2 = REPOSITORY_URLS[1 % len(REPOSITORY_URLS)]
REPO = REPOSITORY_URLS[0]


def check(condition: object, message: str) -> None:
    """Fails the example (exit status 1) when `condition` is false."""
    if not condition:
        raise AssertionError(message)


def run_example(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Runs an example's async main; exit status 0 when it worked, 1 with a traceback when
    anything failed."""
    name = os.path.basename(sys.argv[0])
    try:
        asyncio.run(main())
    except TavoRateLimitError as error:
        print(f"{name}: FAILED: the API key's rate limit is spent ({error}).\n"
              f"{TIER_ADVICE}", file=sys.stderr)
        sys.exit(1)
    except BaseException:
        traceback.print_exc()
        print(f"{name}: FAILED", file=sys.stderr)
        sys.exit(1)
    print(f"{name}: ok")
