/**
 * The guide's "Streaming and Pagination" and "Memory Management": page by page as the guide
 * writes it, then the SDK's async iterators (by item, and by page).
 */
import { TavoSdk } from 'tavo-sdk';
import type { Scan, TavoClient, Vulnerability } from 'tavo-sdk';
import { API_KEY, REPO1, check, runExample, sleep } from './_common.js';

async function processLargeResultSet(client: TavoClient, processScan: (scan: Scan) => void | Promise<void>) {
  const pageSize = 100;
  let page = 0;
  for (;;) {
    // Use pagination for large datasets
    const scans = await client.scanManagement.listScans({ page, page_size: pageSize, status: 'completed' });
    if (scans.items.length === 0) break;
    // Process page
    for (const scan of scans.items) await processScan(scan);
    page += 1;
    // Rate limiting: small delay between pages
    await sleep(100);
  }
}

// For large scan results, process incrementally
async function processLargeScan(client: TavoClient, scanId: string, processVulnerability: (v: Vulnerability) => void | Promise<void>) {
  // Get basic scan info first
  await client.scanManagement.getScan(scanId);
  // Process results in chunks
  let offset = 0;
  const chunkSize = 50;
  for (;;) {
    const results = await client.scanManagement.getScanResults(scanId, { offset, limit: chunkSize });
    if (results.vulnerabilities.length === 0) break;
    for (const vuln of results.vulnerabilities) await processVulnerability(vuln);
    offset += chunkSize;
  }
}

runExample(import.meta.url, async () => {
  const client = TavoSdk.createClient({ apiKey: API_KEY });
  const created = await client.scanManagement.createScan({ repository_url: REPO1 });
  await client.scanManagement.waitForScan(created.id, { timeout: 300_000 });

  const seen: string[] = [];
  await processLargeResultSet(client, (scan) => void seen.push(scan.id));
  check(seen.includes(created.id), 'the finished scan was listed');

  const findings: string[] = [];
  await processLargeScan(client, created.id, (v) => void findings.push(v.id));

  // The SDK's iterators: item by item, or page by page; pages are fetched as iteration goes.
  const byItem: string[] = [];
  for await (const scan of client.scanManagement.iterScans({ status: 'completed' })) byItem.push(scan.id);
  check(byItem.length === seen.length, 'the same scans');
  let pages = 0;
  for await (const page of client.scanManagement.iterResults(created.id, { page_size: 1 }).pages()) {
    pages += 1;
    check(page.vulnerabilities.length === 1, 'one finding a page');
  }
  check(pages === findings.length && pages >= 2, `${pages} pages, ${findings.length} findings`);
  await client.close();
});
