/**
 * Bulk operations: create many scans, or read many statuses, in few requests. The server
 * takes at most 100 scans (500 status ids) per request; longer lists are split and sent
 * concurrently, and the answers are joined so that `results[i]` is still about the i-th
 * item given. Each part carries its own idempotency key (derived from the caller's, if one
 * is given), so a retried part never creates its scans twice.
 */
import { randomUUID } from 'node:crypto';
import * as C from '../constants.js';
import { SCAN_CREATION, apiPath } from '../core.js';
import type { ClientCore, RequestOptions } from '../core.js';
import type { BulkActionItem, BulkActionResult, BulkScanItem, BulkScanResult, BulkStatusItem, BulkStatusResult, CreateScanParams } from '../types/index.js';
import { Resource } from './base.js';

function parts<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out.length ? out : [[]];
}

/** A bulk cancel or delete, split over 500 ids a request; `results[i]` about `scanIds[i]`. */
async function bulkAction(core: ClientCore, action: 'cancel' | 'delete', scanIds: readonly string[], options?: RequestOptions): Promise<BulkActionResult> {
  const { idempotencyKey: _unused, ...rest } = options ?? {};
  const answers = await Promise.all(
    parts(scanIds, C.MAX_BULK_STATUS_IDS).map((part) =>
      core.request<BulkActionResult>({ method: 'POST', path: apiPath('scans', 'bulk', action), json: { scan_ids: part }, options: rest }),
    ),
  );
  const results: BulkActionItem[] = [];
  for (const answer of answers) {
    const offset = results.length;
    for (const item of answer.results) results.push({ ...item, index: item.index + offset });
  }
  const succeeded = results.filter((item) => item.success).length;
  return { results, total: results.length, succeeded, failed: results.length - succeeded };
}

export class ScanBulkOperations extends Resource {
  /**
   * Creates many scans: a list of createScan params (or `{ scans: [...] }`). Each item
   * succeeds or fails on its own; `results[i]` says which.
   */
  async createBulkScans(
    scans: readonly CreateScanParams[] | { scans: readonly CreateScanParams[] },
    options?: RequestOptions,
  ): Promise<BulkScanResult> {
    const items = Array.isArray(scans) ? (scans as readonly CreateScanParams[]) : (scans as { scans: readonly CreateScanParams[] }).scans;
    const chunks = parts(items, C.MAX_BULK_SCANS);
    const base = options?.idempotencyKey ?? randomUUID().replace(/-/g, '');
    const answers = await Promise.all(
      chunks.map((part, number) =>
        this.core.request<BulkScanResult>({
          method: 'POST',
          path: apiPath('scans', 'bulk'),
          json: { scans: part },
          scope: SCAN_CREATION,
          options: { ...options, idempotencyKey: chunks.length === 1 ? base : `${base}-${number}` },
        }),
      ),
    );
    const results: BulkScanItem[] = [];
    for (const answer of answers) {
      const offset = results.length;
      for (const item of answer.results) results.push({ ...item, index: item.index + offset });
    }
    const created = results.filter((item) => item.success).length;
    return { results, total: results.length, created, failed: results.length - created };
  }

  /** The statuses of many scans; unknown ids come back as NOT_FOUND items. */
  async getBulkStatus(scanIds: readonly string[], options?: RequestOptions): Promise<BulkStatusResult> {
    // Reading statuses changes nothing: each part gets an idempotency key of its own.
    const { idempotencyKey: _unused, ...rest } = options ?? {};
    const answers = await Promise.all(
      parts(scanIds, C.MAX_BULK_STATUS_IDS).map((part) =>
        this.core.request<BulkStatusResult>({ method: 'POST', path: apiPath('scans', 'bulk', 'status'), json: { scan_ids: part }, options: rest }),
      ),
    );
    const results: BulkStatusItem[] = answers.flatMap((answer) => answer.results);
    const found = results.filter((item) => item.success).length;
    return { results, total: results.length, found, not_found: results.length - found };
  }

  /** Cancels many scans; `results[i]` says what became of `scanIds[i]`. */
  bulkCancelScans(scanIds: readonly string[], options?: RequestOptions): Promise<BulkActionResult> {
    return bulkAction(this.core, 'cancel', scanIds, options);
  }

  /** Deletes many scans with their findings (running ones fail with SCAN_RUNNING). */
  bulkDeleteScans(scanIds: readonly string[], options?: RequestOptions): Promise<BulkActionResult> {
    return bulkAction(this.core, 'delete', scanIds, options);
  }
}
