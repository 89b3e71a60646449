"""Performance guide > Connection Management > Reuse Client Instances (the good way).

One client, three calls in flight at once over its pooled connections."""

import asyncio

from _common import API_KEY, check, run_example
from tavo import TavoClient


async def main() -> None:
    # ✅ Good: Reuse client for multiple requests
    client = TavoClient(api_key=API_KEY)

    results = await asyncio.gather(
        client.scan_management.list_scans(),
        client.repositories.list_repositories(),
        client.ai_analysis.get_models()
    )

    scans, repositories, models = results
    check(isinstance(scans["items"], list), "list_scans returned no items list")
    check(isinstance(repositories["items"], list), "list_repositories returned no items list")
    check(len(models["items"]) >= 1, "the server offers no analysis model")
    print(f"{scans['total']} scans, {repositories['total']} repositories, "
          f"models: {[model['id'] for model in models['items']]}")
    await client.close()


if __name__ == "__main__":
    run_example(main)
