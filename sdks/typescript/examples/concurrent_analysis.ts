/**
 * The guide's "Concurrent Operations": scan several repositories at once, wait for each (the
 * SDK follows the server's event stream instead of polling every 5 s), then analyse it; and
 * "Compression and Encoding": a large scan configuration goes out gzip-compressed.
 */
import { TavoSdk } from 'tavo-sdk';
import type { AnalysisResult } from 'tavo-sdk';
import { API_KEY, REPO1, REPOSITORY_URLS, check, runExample } from './_common.js';

runExample(import.meta.url, async () => {
  const client = TavoSdk.createClient({ apiKey: API_KEY });

  async function analyzeRepo(repoUrl: string): Promise<AnalysisResult> {
    // Create scan
    const scan = await client.scanManagement.createScan({ repository_url: repoUrl, scan_type: 'security' });
    // Wait for completion (with timeout)
    const status = await client.scanManagement.waitForScan(scan.id, { timeout: 300_000 }); // 5 minutes
    if (status.status !== 'completed') throw new Error(`Scan ${status.status} for ${repoUrl}`);
    // Get AI analysis
    return client.aiAnalysis.analyzeScan(scan.id);
  }

  // Analyze all repos concurrently
  const results = await Promise.allSettled(REPOSITORY_URLS.map((url) => analyzeRepo(url)));
  for (const outcome of results) {
    check(outcome.status === 'fulfilled', `analysis failed: ${outcome.status === 'rejected' ? String(outcome.reason) : ''}`);
    check(outcome.value.findings.length > 0 && outcome.value.security_score, 'an analysis with findings');
  }

  // Requests with large payloads are automatically compressed
  const largeScanConfig = {
    repository_url: REPO1,
    scan_type: 'comprehensive' as const,
    exclusions: Array.from({ length: 300 }, (_, i) => `path${i}/**`),
  };
  let encoding: string | undefined;
  const compressed = TavoSdk.createClient({ apiKey: API_KEY, hooks: { request: ({ request }) => void (encoding = request.headers['content-encoding']) } });
  const scan = await compressed.scanManagement.createScan(largeScanConfig);
  check(encoding === 'gzip', `sent ${encoding ?? 'uncompressed'}`);
  check(scan.exclusions.length === 300, 'the server read the compressed body');
  await compressed.scanManagement.cancelScan(scan.id);
  await compressed.close();
  await client.close();
});
