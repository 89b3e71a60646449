/**
 * The guide's "Batch Multiple Operations" and "Use Bulk Endpoints": status checks at once,
 * and one bulk request instead of many single creations.
 */
import { TavoSdk } from 'tavo-sdk';
import type { TavoClient } from 'tavo-sdk';
import { API_KEY, REPO1, REPO2, check, runExample } from './_common.js';

// ✅ Good: Batch related operations
async function batchScanOperations(client: TavoClient, scanIds: string[]) {
  // Batch status checks
  const statuses = await Promise.all(scanIds.map((scanId) => client.scanManagement.getScanStatus(scanId)));
  // Process results
  return statuses.filter((s) => s.status === 'completed');
}

runExample(import.meta.url, async () => {
  const client = TavoSdk.createClient({ apiKey: API_KEY });

  // ✅ Good: Use bulk operations when available
  // Single bulk request instead of multiple individual requests
  const bulkResult = await client.scanBulkOperations.createBulkScans([
    { repository_url: REPO1, scan_type: 'security' },
    { repository_url: REPO2, scan_type: 'security' },
  ]);
  check(bulkResult.created === 2, `created ${bulkResult.created}`);
  const ids = bulkResult.results.map((item) => item.scan_id as string);

  for (const id of ids) await client.scanManagement.waitForScan(id, { timeout: 300_000 });
  const completed = await batchScanOperations(client, ids);
  check(completed.length === 2, `completed ${completed.length}`);
  // The SDK's one-request equivalent of the status batch:
  const bulkStatus = await client.scanBulkOperations.getBulkStatus(ids);
  check(bulkStatus.found === 2 && bulkStatus.results.every((r) => r.finished), 'bulk status');
  await client.close();
});
