/**
 * Scans: create, list, get, status, results, cancel, delete, upload, and waiting for the end
 * of a scan (following the server's event stream, else polling with backoff).
 */
import * as C from '../constants.js';
import { SCAN_CREATION, apiPath } from '../core.js';
import type { ClientCore, RequestOptions } from '../core.js';
import { TavoConnectionError, TavoNotFoundError, TavoResponseError, TavoServerError, TavoTimeoutError } from '../errors.js';
import { Pager } from '../pagination.js';
import { sleep } from '../retry.js';
import type { ServerSentEvent } from '../sse.js';
import type {
  CreateScanParams,
  ListScansParams,
  Scan,
  ScanDiff,
  ScanList,
  ScanResults,
  ScanResultsParams,
  ScanStatus,
  ScanStatusName,
  UploadScanParams,
  Vulnerability,
} from '../types/index.js';
import { Resource, archiveBytes, deadline, withSignal } from './base.js';

const ARCHIVE_TYPE = 'application/octet-stream';

export interface IterScansParams {
  status?: ScanStatusName;
  page_size?: number;
}

export interface IterResultsParams extends Omit<ScanResultsParams, 'page' | 'offset' | 'limit'> {
  page_size?: number;
}

export interface WaitOptions extends RequestOptions {
  /** Give up after this many ms with TavoTimeoutError (default 10 minutes). */
  timeout?: number;
}

function statusOf(event: ServerSentEvent, scanId: string): ScanStatus | undefined {
  if (event.event === 'deleted') {
    throw new TavoNotFoundError(`scan ${scanId} was deleted while waiting for it`, { statusCode: 404, code: 'NOT_FOUND' });
  }
  if (event.event !== 'status') return undefined;
  return JSON.parse(event.data) as ScanStatus;
}

/** Failures of the event stream after which waiting goes on by polling. */
function streamFailed(error: unknown): boolean {
  return (
    error instanceof TavoConnectionError ||
    error instanceof TavoTimeoutError ||
    error instanceof TavoServerError ||
    error instanceof TavoResponseError ||
    error instanceof SyntaxError
  );
}

/** The final status from the event stream, or undefined to go on by polling. */
async function followEvents(core: ClientCore, scanId: string, options: RequestOptions): Promise<ScanStatus | undefined> {
  const request = { method: 'GET', path: apiPath('scans', scanId, 'events'), cacheable: false, options };
  try {
    for await (const event of core.events(request, C.STREAM_READ_TIMEOUT_MS)) {
      const status = event !== undefined ? statusOf(event, scanId) : undefined;
      if (status?.finished) return status;
    }
  } catch (error) {
    if (options.signal?.aborted) throw error;
    if (streamFailed(error)) return undefined;
    throw error;
  }
  return undefined;
}

export class ScanManagement extends Resource {
  /** One page of the organisation's scans, newest first, optionally of one status. */
  listScans(params: ListScansParams = {}, options?: RequestOptions): Promise<ScanList> {
    return this.core.request({ method: 'GET', path: apiPath('scans'), query: params, options });
  }

  /** Every scan (of one status), fetched a page at a time as iteration goes. */
  iterScans(params: IterScansParams = {}, options?: RequestOptions): Pager<ScanList, Scan> {
    const { page_size: pageSize = C.DEFAULT_PAGE_SIZE, ...filters } = params;
    return new Pager(
      (offset, limit) => this.listScans({ ...filters, offset, limit }, options),
      (page) => page.items,
      pageSize,
      (item) => item.id,
    );
  }

  /**
   * Queues a scan of a repository. Safe to retry: the same idempotency key (one is made
   * when `options.idempotencyKey` is not given) never creates a second scan.
   */
  createScan(params: CreateScanParams, options?: RequestOptions): Promise<Scan> {
    return this.core.request({ method: 'POST', path: apiPath('scans'), json: params, scope: SCAN_CREATION, options });
  }

  /**
   * Uploads code and scans it: a .tar.gz/.tgz/.tar/.zip (bytes or a file path), or a
   * directory, packed as .tar.gz honouring its .gitignore files.
   */
  async uploadScan(archive: Uint8Array | string, params: UploadScanParams = {}, options?: RequestOptions): Promise<Scan> {
    const body = await archiveBytes(archive);
    return this.core.request({
      method: 'POST',
      path: apiPath('uploads', 'scans'),
      query: { scan_type: params.scan_type ?? 'security', rules: params.rules, exclusions: params.exclusions, project: params.project },
      body,
      contentType: ARCHIVE_TYPE,
      scope: SCAN_CREATION,
      options,
    });
  }

  /** A scan with its summary (once finished). */
  getScan(scanId: string, options?: RequestOptions): Promise<Scan> {
    return this.core.request({ method: 'GET', path: apiPath('scans', scanId), options });
  }

  /** A scan's status: small and cheap, for polling. */
  getScanStatus(scanId: string, options?: RequestOptions): Promise<ScanStatus> {
    return this.core.request({ method: 'GET', path: apiPath('scans', scanId, 'status'), options });
  }

  /**
   * One page of a scan's findings (`vulnerabilities`), filtered by severity, rule and path.
   * Results of a finished scan are cached (they no longer change).
   */
  getScanResults(scanId: string, params: ScanResultsParams = {}, options?: RequestOptions): Promise<ScanResults> {
    return this.core.request({ method: 'GET', path: apiPath('scans', scanId, 'results'), query: params, options });
  }

  /** Every finding of a scan, fetched a page at a time as iteration goes. */
  iterResults(scanId: string, params: IterResultsParams = {}, options?: RequestOptions): Pager<ScanResults, Vulnerability> {
    const { page_size: pageSize = C.DEFAULT_PAGE_SIZE, ...filters } = params;
    return new Pager(
      (offset, limit) => this.getScanResults(scanId, { ...filters, offset, limit }, options),
      (page) => page.vulnerabilities,
      pageSize,
      (item) => item.id,
    );
  }

  /**
   * Findings `new` in this scan, `fixed` since the `base` scan, and `unchanged` (both
   * completed scans of the same repository).
   */
  getScanDiff(scanId: string, base: string, options?: RequestOptions): Promise<ScanDiff> {
    return this.core.request({ method: 'GET', path: apiPath('scans', scanId, 'diff'), query: { base }, options });
  }

  /** A completed scan's findings as a SARIF 2.1.0 log (GitHub code scanning). */
  getScanSarif(scanId: string, options?: RequestOptions): Promise<Record<string, unknown>> {
    return this.core.request({ method: 'GET', path: apiPath('scans', scanId, 'results.sarif'), options });
  }

  /** Cancels a queued or running scan. */
  cancelScan(scanId: string, options?: RequestOptions): Promise<Scan> {
    return this.core.request({ method: 'POST', path: apiPath('scans', scanId, 'cancel'), options });
  }

  /** Deletes a scan and its findings (cancel a running scan first). */
  async deleteScan(scanId: string, options?: RequestOptions): Promise<void> {
    await this.core.request({ method: 'DELETE', path: apiPath('scans', scanId), options });
  }

  /**
   * Waits until the scan is completed, failed or cancelled and returns its final status.
   * Follows the server's event stream (no polling); if the stream is not available or
   * breaks, polls the status with backoff. TavoTimeoutError after `timeout` ms.
   */
  async waitForScan(scanId: string, options: WaitOptions = {}): Promise<ScanStatus> {
    const { timeout = C.DEFAULT_SCAN_WAIT_TIMEOUT_MS, ...rest } = options;
    const wait = deadline(timeout, rest, `scan ${scanId}`);
    const callOptions = withSignal(rest, wait.signal);
    try {
      const final = await followEvents(this.core, scanId, callOptions);
      if (final !== undefined) return final;
      let interval = C.POLL_INITIAL_INTERVAL_MS;
      for (;;) {
        const status = await this.getScanStatus(scanId, callOptions);
        if (status.finished) return status;
        await sleep(Math.min(interval, wait.left()), wait.signal);
        interval = Math.min(interval * C.POLL_BACKOFF, C.POLL_MAX_INTERVAL_MS);
      }
    } catch (error) {
      throw wait.translate(error);
    } finally {
      wait.dispose();
    }
  }
}
