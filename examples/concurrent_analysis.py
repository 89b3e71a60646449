"""Performance guide > Asynchronous Programming > Concurrent Operations.

Scans several repositories concurrently, polls each until it completes, then runs the AI
analysis. (The SDK's `client.scan_management.wait_for_scan(scan_id, timeout=...)` follows
the server's event stream instead of polling every five seconds.)"""

import asyncio

from _common import API_KEY, REPOSITORY_URLS, check, run_example
from tavo import TavoClient


async def analyze_multiple_repos(repo_urls):
    client = TavoClient(api_key=API_KEY)

    async def analyze_repo(repo_url):
        # Create scan
        scan = await client.scan_management.create_scan({
            "repository_url": repo_url,
            "scan_type": "security"
        })

        # Wait for completion (with timeout)
        timeout = 300  # 5 minutes
        start_time = asyncio.get_event_loop().time()

        while asyncio.get_event_loop().time() - start_time < timeout:
            status = await client.scan_management.get_scan_status(scan["id"])
            if status["status"] == "completed":
                # Get AI analysis
                analysis = await client.ai_analysis.analyze_scan(scan["id"])
                return analysis
            await asyncio.sleep(5)  # Poll every 5 seconds

        raise TimeoutError(f"Scan timeout for {repo_url}")

    # Analyze all repos concurrently
    results = await asyncio.gather(*[
        analyze_repo(url) for url in repo_urls
    ], return_exceptions=True)

    return results


async def main() -> None:
    results = await analyze_multiple_repos(REPOSITORY_URLS)

    failures = [result for result in results if isinstance(result, BaseException)]
    check(not failures, f"some analyses failed: {failures!r}")
    for url, analysis in zip(REPOSITORY_URLS, results, strict=True):
        score = analysis["security_score"]
        top = analysis["fix_first"][0]["finding_id"] if analysis["fix_first"] else None
        print(f"{url}: security score {score['score']} ({score['grade']}), "
              f"{len(analysis['findings'])} findings, fix first: {top}")


if __name__ == "__main__":
    run_example(main)
